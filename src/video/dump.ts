// The clip's facts from the decoding ffmpeg itself (`-loglevel level+verbose`), so extract runs one
// process per clip instead of ffprobe + ffmpeg: every spawn of a dynamically linked ffmpeg build
// (Debian's) costs ~60 ms of CPU in the dynamic loader alone, as much as decoding a small clip.
// ffmpeg prints the input's description ("Input #0, FORMAT, from ...", "Duration: ...",
// "Stream #0:0: Video: ...") before the first frame and, at the end, how many packets it read per
// stream. Precision is what that text has: duration 10 ms, bitrate kb/s, frame rate 2 decimals
// (ffprobe's JSON has more; the features do not depend on any of it).
import { ClipError, type ProbeInfo } from "./probe.js";
import { reasonFrom } from "./process.js";

/** The facts known once ffmpeg has opened the input (`source_frames` comes at the end). */
export type ClipHeader = Omit<ProbeInfo, "source_frames" | "bytes">;

interface StreamLine {
  index: number;
  kind: string;
  body: string;
  attached: boolean;
  rotation: number | null;
}

/** Feeds on ffmpeg's stderr (with level prefixes); collects the input dump, the end statistics and
 * the problem lines (warning level and worse, for error messages). */
export class DumpParser {
  private buf = "";
  private inInput = false;
  private format: string | null = null;
  private duration: number | null = null;
  private bitrate: number | null = null;
  private streams: StreamLine[] = [];
  private packets = new Map<number, number>();
  private problems: string[] = [];
  private headerDone = false;
  private onHeader: (() => void)[] = [];

  /** Feed a chunk of stderr. */
  push = (b: Buffer | string): void => {
    this.buf += typeof b === "string" ? b : b.toString("utf8");
    let nl: number;
    while ((nl = this.buf.indexOf("\n")) >= 0) {
      this.line(this.buf.slice(0, nl).replace(/\r$/, ""));
      this.buf = this.buf.slice(nl + 1);
    }
  };

  /** Call once the process has exited: flushes the last line and releases `header()` waiters. */
  end(): void {
    if (this.buf) this.line(this.buf);
    this.buf = "";
    this.finishHeader();
  }

  /** Resolves once the input dump is complete (or the process ended without one). */
  headerReady(): Promise<void> {
    return this.headerDone ? Promise.resolve() : new Promise((r) => this.onHeader.push(r));
  }

  /** The input's facts, or a ClipError when ffmpeg could not open it or it has no video. */
  header(file: string): ClipHeader {
    const video = this.videoStream();
    if (this.format === null && !this.streams.length) throw new ClipError(`not a video ffmpeg can read: ${this.reason(file)}`);
    if (!video) {
      const audio = this.streams.filter((s) => s.kind === "Audio").map((s) => s.body.split(/[ ,(]/)[0] || "?");
      throw new ClipError(audio.length ? `no video stream (audio only: ${audio.join(", ")})` : `no video stream (format ${this.format ?? "unknown"})`);
    }
    const parts = splitTop(video.body);
    const codec = parts[0]?.split(/[ (]/)[0] || null;
    let pixFmt: string | null = null;
    let width: number | null = null;
    let height: number | null = null;
    let fps: number | null = null;
    let tbr: number | null = null;
    for (const p of parts.slice(1)) {
      const size = /^(\d+)x(\d+)(\s|$)/.exec(p);
      if (size && width === null) {
        width = Number(size[1]);
        height = Number(size[2]);
        continue;
      }
      const rate = /^([\d.]+)(k?) (fps|tbr)$/.exec(p);
      if (rate) {
        const v = Number(rate[1]) * (rate[2] ? 1000 : 1);
        if (rate[3] === "fps") fps ??= v;
        else tbr ??= v;
        continue;
      }
      if (pixFmt === null && width === null && /^[a-z][a-z0-9_]*(\(.*\))?$/.test(p)) pixFmt = p.split("(")[0]!;
    }
    return {
      codec, pix_fmt: pixFmt, format: this.format, width: positive(width), height: positive(height),
      fps: round(positive(fps) ?? positive(tbr), 4), duration: round(this.duration, 4), bitrate: this.bitrate,
      rotation: (((Math.round(video.rotation ?? 0)) % 360) + 360) % 360,
    };
  }

  /** Packets ffmpeg read from the clip's video stream (the container's frame count), once it ended. */
  sourceFrames(): number | null {
    const video = this.videoStream();
    return video ? positive(this.packets.get(video.index) ?? null) : null;
  }

  /** The telling part of what went wrong (warning lines and worse), for messages. */
  reason(file: string): string {
    return reasonFrom(this.problems.join("\n"), file);
  }

  private videoStream(): StreamLine | undefined {
    return this.streams.find((s) => s.kind === "Video" && !s.attached);
  }

  private finishHeader(): void {
    if (this.headerDone) return;
    this.headerDone = true;
    this.onHeader.splice(0).forEach((r) => r());
  }

  private line(raw: string): void {
    // "[h264 @ 0x55…] [error] text" or "[info] text": the level is the last bracket before the text
    const m = /^(?:\[[^\]]*@[^\]]*\] )?\[(quiet|panic|fatal|error|warning|info|verbose|debug|trace)\] ?(.*)$/.exec(raw);
    const level = m ? m[1]! : "info";
    const text = m ? m[2]! : raw;
    if (level === "panic" || level === "fatal" || level === "error" || level === "warning") {
      this.problems.push(text);
      if (this.problems.length > 50) this.problems.shift();
      return;
    }
    if (level !== "info" && level !== "verbose") return;
    const input = /^Input #0, (.*?), from '/.exec(text);
    if (input) {
      this.inInput = true;
      this.format = input[1]!;
      return;
    }
    if (/^(Input #[1-9]|Output #|Stream mapping:|Press \[q\])/.test(text)) {
      if (this.inInput) this.finishHeader();
      this.inInput = false;
    }
    const stats = /Input stream #0:(\d+) \((\w+)\): (\d+) packets read/.exec(text);
    if (stats) {
      this.packets.set(Number(stats[1]), Number(stats[3]));
      return;
    }
    if (!this.inInput) return;
    const dur = /^\s*Duration: ([^,]+), (?:start: [^,]+, )?bitrate: (.*)$/.exec(text);
    if (dur) {
      this.duration = hms(dur[1]!);
      const kb = /^(\d+) kb\/s/.exec(dur[2]!);
      this.bitrate = kb ? Number(kb[1]) * 1000 : null;
      return;
    }
    const st = /^\s*Stream #0:(\d+)[^:]*: (\w+): (.*)$/.exec(text);
    if (st) {
      this.streams.push({ index: Number(st[1]), kind: st[2]!, body: st[3]!, attached: /\(attached pic\)/.test(st[3]!), rotation: null });
      return;
    }
    const last = this.streams.at(-1);
    if (!last) return;
    const rot = /displaymatrix: rotation of (-?[\d.]+) degrees/.exec(text);
    if (rot && last.rotation === null) last.rotation = Number(rot[1]);
    const tag = /^\s*rotate\s*: (-?\d+)/.exec(text);
    if (tag) last.rotation = Number(tag[1]); // the stream's rotate tag wins, as in probe.ts
  }
}

/** Splits "h264 (High), yuv420p(tv, bt709), 640x480 [SAR 1:1 DAR 4:3], 25 fps" at top-level commas. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const c of s) {
    if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth = Math.max(0, depth - 1);
    if (c === "," && depth === 0) {
      out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function hms(s: string): number | null {
  const m = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(s.trim());
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}
function positive(n: number | null): number | null {
  return n !== null && Number.isFinite(n) && n > 0 ? n : null;
}
function round(n: number | null, digits: number): number | null {
  if (n === null) return null;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
