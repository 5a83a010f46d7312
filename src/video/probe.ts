// ffprobe in JSON mode: the container and first video stream's facts extract records in
// videos.jsonl and diagnose reads for shortcut detection. `-count_packets` demuxes the whole file
// (no decoding) so GIFs and MKVs, which carry no frame count in their headers, still get one.
import { ffprobeBinary } from "./ffmpeg.js";
import { reasonFrom, runCapture } from "./process.js";

export interface ProbeInfo {
  codec: string | null;
  pix_fmt: string | null;
  /** Container format name(s) as ffprobe reports them, e.g. "gif", "mov,mp4,m4a,3gp,3g2,mj2". */
  format: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  duration: number | null;
  /** Container bitrate in bits/s (or bytes·8/duration when the container has none). */
  bitrate: number | null;
  bytes: number;
  /** Frames in the first video stream: the header's count, else the counted packets. */
  source_frames: number | null;
  /** Display rotation in degrees (phone clips), 0 when none. */
  rotation: number;
}

/** A problem with one input file: the message is a complete sentence about that file. */
export class ClipError extends Error {
  override name = "ClipError";
  /** The probe facts, when the file was probed before the problem showed. */
  probe?: ProbeInfo;
}

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}
interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string; bit_rate?: string; size?: string };
}

/** ffprobe's arguments for `file` (also run by openClip inside the same shell as ffmpeg). */
export function probeArgs(file: string): string[] {
  return ["-v", "error", "-count_packets", "-show_streams", "-show_format", "-of", "json", file];
}

export async function probe(file: string, opts: { signal?: AbortSignal } = {}): Promise<ProbeInfo> {
  const r = await runCapture(ffprobeBinary().path, probeArgs(file), opts);
  return parseProbe(r.code, r.stdout.toString("utf8"), r.stderr, file);
}

/** ffprobe's exit code and output → the facts, or a ClipError saying what is wrong with the file. */
export function parseProbe(code: number | null, stdout: string, stderr: string, file: string): ProbeInfo {
  if (code !== 0) throw new ClipError(`not a video ffprobe can read: ${reasonFrom(stderr, file)}`);
  let out: FfprobeOutput;
  try {
    out = JSON.parse(stdout) as FfprobeOutput;
  } catch {
    throw new ClipError(`ffprobe printed no readable JSON: ${reasonFrom(stderr, file)}`);
  }
  const streams = out.streams ?? [];
  const video = streams.find((s) => s.codec_type === "video" && !s.disposition?.attached_pic);
  if (!video) {
    const audio = streams.filter((s) => s.codec_type === "audio").map((s) => s.codec_name ?? "?");
    throw new ClipError(
      audio.length ? `no video stream (audio only: ${audio.join(", ")})` : `no video stream (format ${out.format?.format_name ?? "unknown"})`,
    );
  }
  const bytes = num(out.format?.size) ?? 0;
  const duration = positive(num(video.duration)) ?? positive(num(out.format?.duration));
  const fps = positive(rate(video.avg_frame_rate)) ?? positive(rate(video.r_frame_rate));
  const frames = positive(num(video.nb_frames)) ?? positive(num(video.nb_read_packets));
  const bitrate = positive(num(out.format?.bit_rate)) ?? (duration ? Math.round((bytes * 8) / duration) : null);
  const rotation = num(video.tags?.rotate) ?? video.side_data_list?.find((d) => typeof d.rotation === "number")?.rotation ?? 0;
  return {
    codec: video.codec_name ?? null,
    pix_fmt: video.pix_fmt ?? null,
    format: out.format?.format_name ?? null,
    width: positive(video.width ?? null),
    height: positive(video.height ?? null),
    fps: fps === null ? null : round(fps, 4),
    duration: duration === null ? null : round(duration, 4),
    bitrate,
    bytes,
    source_frames: frames,
    rotation: ((Math.round(rotation) % 360) + 360) % 360,
  };
}

function num(s: string | number | undefined | null): number | null {
  if (s === undefined || s === null || s === "" || s === "N/A") return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}
function positive(n: number | null): number | null {
  return n !== null && n > 0 ? n : null;
}
function rate(s: string | undefined): number | null {
  if (!s) return null;
  const [a, b] = s.split("/").map(Number);
  if (a === undefined || !Number.isFinite(a)) return null;
  if (b === undefined) return a;
  return b > 0 ? a / b : null;
}
function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
