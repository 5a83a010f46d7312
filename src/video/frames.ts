// Streams decoded frames out of ffmpeg as raw rgb24 at a fixed analysis size, one buffer per frame,
// with back-pressure (a slow consumer pauses ffmpeg instead of buffering a clip in memory) and a
// clean kill on abort or early exit. A second, tiny output (9×8 grey of the whole frame) feeds the
// perceptual hash. `decodeArgs` is exported so the benchmark runs exactly the same command.
//
// openClip runs one ffmpeg per clip that both decodes and describes the clip (dump.ts): no
// ffprobe. A spawn costs a fork of this (large) Node process plus, for a dynamically linked
// ffmpeg, ~60 ms of dynamic loading: per clip it is the largest cost after decoding itself.
import { spawn, type ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import { DumpParser, type ClipHeader } from "./dump.js";
import { ffmpegBinary } from "./ffmpeg.js";
import { ClipError } from "./probe.js";
import { killOnAbort, reasonFrom, tailCollector, terminate } from "./process.js";

export type ResizeMode = "crop" | "scale" | "stretch";

export interface DecodeOptions {
  /** Resample to this frame rate first; null = every decoded frame. */
  fps: number | null;
  /** Analysis frames are size × size. */
  size: number;
  /** crop: centre size×size patch at native resolution (clips smaller than size are scaled up so
   *  the short side fits); scale: short side scaled to size, then centre crop; stretch: scaled to
   *  size×size ignoring aspect. */
  resize: ResizeMode;
  /** Re-encode through H.264 yuv420p first, so every clip has been through the same codec. */
  normalizeFormat: boolean;
  /** Re-encodes before decoding, in order (before normalizeFormat's): a format control, an
   * augmentation variant. */
  reencode?: Reencode[];
  /** Also emit the 9×8 grey thumbnails the dHash uses. */
  thumbs: boolean;
  signal?: AbortSignal;
  /** Frames read ahead of the consumer at most (default 32). */
  queueFrames?: number;
}

export const THUMB_W = 9;
export const THUMB_H = 8;

/** The filter graph: [0:v] → rgb24 analysis frames on [v] (+ grey thumbnails on [t]). */
export function filterGraph(o: Pick<DecodeOptions, "fps" | "size" | "resize" | "thumbs">): string {
  const s = o.size;
  const head = o.fps ? `fps=${o.fps}` : "null";
  let resize: string;
  if (o.resize === "crop") {
    // Scale only when the short side is below `size` (keeps native pixels otherwise), then crop.
    const f = `max(1\\,${s}/min(iw\\,ih))`;
    resize = `scale=w='ceil(iw*${f})':h='ceil(ih*${f})':flags=bicubic,crop=${s}:${s}`;
  } else if (o.resize === "scale") {
    resize = `scale=${s}:${s}:force_original_aspect_ratio=increase:flags=area,crop=${s}:${s}`;
  } else {
    resize = `scale=${s}:${s}:flags=area`;
  }
  if (!o.thumbs) return `[0:v:0]${head},${resize},format=rgb24[v]`;
  return (
    `[0:v:0]${head},split=2[a][b];[a]${resize},format=rgb24[v];` +
    `[b]scale=${THUMB_W}:${THUMB_H}:flags=area,format=gray[t]`
  );
}

/** ffmpeg arguments decoding `input` (a path, or "pipe:0") with the given options. Outputs go to
 * `outputs.frames` / `outputs.thumbs` (e.g. "pipe:1" and "pipe:3", or "-" with `-f null`). */
export function decodeArgs(
  input: string,
  o: Pick<DecodeOptions, "fps" | "size" | "resize" | "thumbs">,
  outputs: { frames: string; thumbs: string; format?: string },
  opts: { describe?: boolean } = {},
): string[] {
  const fmt = outputs.format ?? "rawvideo";
  // describe: the input's description and end statistics on stderr, each line with its level
  const level = opts.describe ? "level+verbose" : "error";
  const args = ["-nostdin", "-hide_banner", "-loglevel", level, "-i", input, "-filter_complex", filterGraph(o)];
  args.push("-map", "[v]", "-an", "-sn", "-dn", "-vsync", "passthrough", "-flush_packets", "0", "-f", fmt, outputs.frames);
  if (o.thumbs) args.push("-map", "[t]", "-an", "-sn", "-dn", "-vsync", "passthrough", "-flush_packets", "0", "-f", fmt, outputs.thumbs);
  return args;
}

/** ffmpeg arguments that re-encode the first video stream of `file` to H.264 in Matroska on stdout. */
export function normalizeArgs(file: string, loglevel = "error"): string[] {
  return reencodeArgs(file, { crf: 18 }, "pipe:1", loglevel);
}

/** One pass through H.264 (yuv420p, libx264 veryfast): at `crf`, optionally resampled to `fps`,
 * scaled by `scale`, and/or with the short side scaled to `size` and the centre size×size cropped
 * (how evaluation clips are often format-controlled, and what upload platforms do to a clip). */
export interface Reencode {
  crf: number;
  fps?: number | null;
  scale?: number | null;
  size?: number | null;
}

/** ffmpeg arguments for one Reencode of `input` (a path or pipe:0) to Matroska at `output`. */
export function reencodeArgs(input: string, r: Reencode, output: string, loglevel = "error"): string[] {
  const vf: string[] = [];
  if (r.fps) vf.push(`fps=${r.fps}`);
  if (r.scale && r.scale !== 1) vf.push(`scale=trunc(iw*${r.scale}/2)*2:-2:flags=bicubic`);
  if (r.size) vf.push(`scale=${r.size}:${r.size}:force_original_aspect_ratio=increase:flags=bicubic`, `crop=${r.size}:${r.size}`);
  vf.push("scale=trunc(iw/2)*2:trunc(ih/2)*2");
  return [
    "-nostdin", "-hide_banner", "-loglevel", loglevel, "-i", input, "-map", "0:v:0", "-an", "-sn", "-dn",
    // One encoder thread: x264's frame threads restrict motion search by how far the reference is
    // encoded, so its bytes depend on the thread count; one thread gives the same frames on every
    // machine (a shared cache and workers on other machines rely on that).
    "-vf", vf.join(","), "-c:v", "libx264", "-preset", "veryfast", "-crf", String(r.crf), "-threads", "1",
    "-pix_fmt", "yuv420p", "-vsync", r.fps ? "cfr" : "passthrough", "-f", "matroska", output,
  ];
}

function reencodeLabel(r: Reencode): string {
  const parts = [`crf ${r.crf}`];
  if (r.fps) parts.push(`${r.fps} fps`);
  if (r.scale && r.scale !== 1) parts.push(`scale ${r.scale}`);
  if (r.size) parts.push(`${r.size}×${r.size}`);
  return `re-encode at ${parts.join(", ")}`;
}

export interface DecodedClip {
  /** Analysis frames, size×size×3 bytes each, in decode order. Iterate once. */
  frames: AsyncIterable<Uint8Array>;
  /** After `frames` is exhausted: the grey thumbnails (THUMB_W×THUMB_H each). */
  thumbs(): Uint8Array[];
  /** Kills ffmpeg when the frames will not be read, resolving once it has exited (iterating to the
   * end or breaking out of the iteration cleans up by itself). */
  close(): Promise<void>;
}

/** Starts ffmpeg on `file`. Iterate `frames`; a decode failure throws a ClipError from the
 * iteration, an abort throws the signal's reason. Breaking out early kills ffmpeg. */
export function decodeClip(file: string, o: DecodeOptions): DecodedClip {
  return startDecode(file, o).clip;
}

/** A clip being decoded by one ffmpeg process that also describes it (dump.ts): no separate
 * ffprobe. `header` resolves before the first frame needs reading, or rejects with a ClipError
 * (nothing left running); then iterate `clip.frames` or call `clip.close()`; after the frames,
 * `sourceFrames()` is the container's frame count (packets read). */
export interface OpenedClip {
  header: Promise<ClipHeader>;
  clip: DecodedClip;
  sourceFrames(): number | null;
}

export function openClip(file: string, o: DecodeOptions): OpenedClip {
  const { clip, dump } = startDecode(file, o, true);
  const header = dump!.headerReady().then(async () => {
    try {
      return dump!.header(file);
    } catch (e) {
      await clip.close();
      throw e;
    }
  });
  header.catch(() => {}); // the caller awaits it; this only keeps an early close from going unhandled
  return { header, clip, sourceFrames: () => dump!.sourceFrames() };
}

function startDecode(file: string, o: DecodeOptions, describe = false): { clip: DecodedClip; dump?: DumpParser } {
  const bin = ffmpegBinary().path;
  const children: ChildProcess[] = [];
  const dump = describe ? new DumpParser() : undefined;
  // re-encoders in order (o.reencode, then normalize_format's), each piping into the next; the
  // first reads the original file, so it is the one that describes it
  const steps = (o.reencode ?? []).map((r) => ({ r, what: reencodeLabel(r) }));
  if (o.normalizeFormat) steps.push({ r: { crf: 18 }, what: "normalize_format" });
  const stepReasons: { index: number; what: string; reason: () => string }[] = [];
  let upstream: ChildProcess | undefined;
  for (const [k, step] of steps.entries()) {
    const describesThis = !!dump && k === 0;
    const p = spawn(bin, reencodeArgs(upstream ? "pipe:0" : file, step.r, "pipe:1", describesThis ? "level+verbose" : "error"), {
      stdio: [upstream ? upstream.stdout! : "ignore", "pipe", "pipe"],
    });
    const err = tailCollector();
    p.stderr!.on("data", describesThis ? dump!.push : err.push);
    if (describesThis) p.on("close", () => dump!.end());
    stepReasons.push({ index: children.length, what: step.what, reason: describesThis ? () => dump!.reason(file) : () => reasonFrom(err.text(), file) });
    children.push(p);
    // the next process holds its own copy of the pipe; ours would keep this one from ever 'close'
    upstream?.stdout!.destroy();
    upstream = p;
  }
  const describes = !!dump && !upstream;
  const child = spawn(bin, decodeArgs(upstream ? "pipe:0" : file, o, { frames: "pipe:1", thumbs: "pipe:3" }, { describe: describes }), {
    stdio: [upstream ? upstream.stdout! : "ignore", "pipe", "pipe", o.thumbs ? "pipe" : "ignore"],
  });
  children.push(child);
  upstream?.stdout!.destroy();
  const err = tailCollector();
  if (describes) {
    child.stderr!.on("data", dump!.push);
    child.on("close", () => dump!.end());
  } else child.stderr!.on("data", err.push);
  const decodeReason = describes ? () => dump!.reason(file) : () => reasonFrom(err.text(), file);
  return { clip: readClip(o, child, children, decodeReason, stepReasons), dump };
}

/** Wraps a running ffmpeg (`child`, the last of `children`) as a DecodedClip. */
function readClip(
  o: DecodeOptions,
  child: ChildProcess,
  children: ChildProcess[],
  decodeReason: () => string,
  steps: { index: number; what: string; reason: () => string }[] = [],
): DecodedClip {
  const thumbParts: Buffer[] = [];
  if (o.thumbs) (child.stdio[3] as Readable).on("data", (b: Buffer) => thumbParts.push(b));
  const unhooks = children.map((c) => killOnAbort(c, o.signal));
  const exits = children.map(
    (c) =>
      new Promise<{ code: number | null; error?: Error }>((resolve) => {
        c.on("error", (e) => resolve({ code: null, error: e }));
        c.on("close", (code) => resolve({ code }));
      }),
  );
  const frameBytes = o.size * o.size * 3;
  let closing: Promise<void> | undefined;
  // Kill, and wait until the processes are reaped: a worker that returned (or was
  // terminated) before that would leave zombies behind. Our end of the pipes is destroyed first,
  // so an ffmpeg blocked writing to a full pipe gets EPIPE instead of waiting there.
  const close = () =>
    (closing ??= (async () => {
      child.stdout!.destroy();
      (child.stdio[3] as Readable | null)?.destroy();
      children.forEach(terminate);
      await Promise.all(exits);
      unhooks.forEach((u) => u());
    })());

  // Read ffmpeg's output eagerly into a bounded queue (not only when the consumer asks): a
  // consumer busy computing features would otherwise leave ffmpeg blocked on a full 64 KiB pipe.
  const maxQueued = Math.max(1, o.queueFrames ?? 32) * frameBytes;
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let streamError: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const stdout = child.stdout!;
  stdout.on("data", (b: Buffer) => {
    queue.push(b);
    queued += b.length;
    if (queued >= maxQueued) stdout.pause();
    notify();
  });
  stdout.on("end", () => {
    ended = true;
    notify();
  });
  stdout.on("error", (e) => {
    streamError = e;
    notify();
  });

  async function* frames(): AsyncGenerator<Uint8Array> {
    let finished = false;
    try {
      let cur = new Uint8Array(frameBytes);
      let fill = 0;
      for (;;) {
        if (streamError) throw streamError;
        const chunk = queue.shift();
        if (!chunk) {
          if (ended) break;
          await new Promise<void>((r) => (wake = r));
          continue;
        }
        queued -= chunk.length;
        if (stdout.isPaused() && queued < maxQueued / 2) stdout.resume();
        let off = 0;
        while (off < chunk.length) {
          const n = Math.min(frameBytes - fill, chunk.length - off);
          cur.set(chunk.subarray(off, off + n), fill);
          fill += n;
          off += n;
          if (fill === frameBytes) {
            yield cur;
            cur = new Uint8Array(frameBytes);
            fill = 0;
          }
        }
      }
      const results = await Promise.all(exits);
      o.signal?.throwIfAborted();
      for (const r of results) if (r.error) throw r.error;
      const dec = results.at(-1)!;
      for (const st of steps)
        if (results[st.index]!.code !== 0) throw new ClipError(`ffmpeg could not re-encode it (${st.what}): ${st.reason()}`);
      if (dec.code !== 0) throw new ClipError(`ffmpeg could not decode it: ${decodeReason()}`);
      finished = true;
    } finally {
      if (!finished) await close();
      else unhooks.forEach((u) => u());
    }
  }

  return {
    frames: frames(),
    thumbs: () => {
      const all = Buffer.concat(thumbParts);
      const n = THUMB_W * THUMB_H;
      const out: Uint8Array[] = [];
      for (let i = 0; i + n <= all.length; i += n) out.push(new Uint8Array(all.subarray(i, i + n)));
      return out;
    },
    close,
  };
}
