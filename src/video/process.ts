// Spawning ffmpeg/ffprobe: capture output, turn a failure into a one-line reason, and kill the
// child cleanly when the caller's AbortSignal fires (SIGTERM, then SIGKILL if it lingers).
import { spawn, type ChildProcess } from "node:child_process";

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a binary to completion, collecting stdout and (the tail of) stderr. */
export function runCapture(bin: string, args: string[], opts: { signal?: AbortSignal } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    opts.signal?.throwIfAborted();
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err = tailCollector();
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", err.push);
    const unhook = killOnAbort(child, opts.signal);
    child.on("error", (e) => {
      unhook();
      reject(e);
    });
    child.on("close", (code) => {
      unhook();
      if (opts.signal?.aborted) reject(opts.signal.reason ?? new Error("aborted"));
      else resolve({ code, stdout: Buffer.concat(out), stderr: err.text() });
    });
  });
}

/** Kills `child` when `signal` aborts; returns the function that removes the listener. */
export function killOnAbort(child: ChildProcess, signal?: AbortSignal): () => void {
  if (!signal) return () => {};
  const onAbort = () => terminate(child);
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

export function terminate(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const t = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }, 2000);
  t.unref();
  child.once("exit", () => clearTimeout(t));
}

/** Keeps the last ~16 KiB of a stream (ffmpeg's stderr can be long; the reason is at the end). */
export function tailCollector(limit = 16384): { push: (b: Buffer) => void; text: () => string } {
  let chunks: Buffer[] = [];
  let size = 0;
  return {
    push: (b: Buffer) => {
      chunks.push(b);
      size += b.length;
      while (size > limit && chunks.length > 1) size -= chunks.shift()!.length;
    },
    text: () => Buffer.concat(chunks).toString("utf8"),
  };
}

/** The telling part of ffmpeg/ffprobe stderr: the last two distinct lines that name a problem
 * (e.g. "moov atom not found; Invalid data found when processing input"), with the input path
 * (already in our own message) and "[demuxer @ 0x...]" prefixes stripped. */
export function reasonFrom(stderr: string, file?: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => {
      let t = l.trim();
      if (file) t = t.split(`${file}: `).join("").split(file).join("<file>");
      return t.replace(/^\[[^\]]+\]\s*/, "");
    })
    .filter((l) => l && !/^(Input|Output|Stream|Duration|Metadata|frame=|size=|video:|Press \[q\])/i.test(l));
  const telling = lines.filter((l) => /error|invalid|not found|no such|unsupported|could not|failed|corrupt|truncat|moov|unable/i.test(l));
  const picked = [...new Set(telling.length ? telling : lines.slice(-1))].slice(-2);
  const line = picked.join("; ") || "no output";
  return line.length > 240 ? line.slice(0, 237) + "..." : line;
}
