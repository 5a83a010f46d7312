// Test helpers for the video side: a real temp StageContext, ffmpeg-made clips, a plain .npy reader.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ParamsSpec } from "../../src/params.js";
import type { StageContext, StageInput, StageKind } from "../../src/stage.js";
import { ffmpegBinary } from "../../src/video/ffmpeg.js";
import { standaloneProvenance } from "../../src/runner/in-process.js";

export function tempDir(prefix = "dfd-video-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Defaults from a params spec, overridden by `over`. */
export function resolveParams<P>(spec: ParamsSpec, over: Partial<P> = {}): P {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(spec)) if ("default" in s) out[k] = s.default ?? null;
  return { ...out, ...over } as P;
}

export interface TestCtx<P> extends StageContext<P> {
  progressCalls: { done: number; total: number; note?: string }[];
  logs: string[];
}

export function makeCtx<P>(
  kind: StageKind<P>,
  root: string,
  opts: { params?: Partial<P>; data?: string; inputs?: StageInput[]; cpus?: number; signal?: AbortSignal; name?: string } = {},
): TestCtx<P> {
  const name = opts.name ?? kind.kind;
  const outDir = join(root, `${name}-out`);
  const tmpDir = join(root, `${name}-tmp`);
  mkdirSync(outDir, { recursive: true });
  mkdirSync(tmpDir, { recursive: true });
  const progressCalls: TestCtx<P>["progressCalls"] = [];
  const logs: string[] = [];
  const log = (level: string) => (msg: string) => void logs.push(`${level}: ${msg}`);
  return {
    name,
    params: resolveParams<P>(kind.params, opts.params),
    inputs: opts.inputs ?? [],
    data: opts.data,
    projectDir: root,
    logFile: join(root, `${name}.log`),
    provenance: standaloneProvenance(),
    outDir,
    tmpDir,
    progress: (done, total, note) => void progressCalls.push({ done, total, note }),
    log: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    signal: opts.signal ?? new AbortController().signal,
    cpus: opts.cpus ?? 2,
    progressCalls,
    logs,
  };
}

/** Runs ffmpeg with a lavfi video source into `out` (creating its folder). */
export function makeClip(out: string, source: string, opts: { frames?: number; args?: string[] } = {}): string {
  mkdirSync(dirname(out), { recursive: true });
  const args = ["-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", source];
  if (opts.frames !== undefined) args.push("-frames:v", String(opts.frames));
  args.push(...(opts.args ?? ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]), out);
  const r = spawnSync(ffmpegBinary().path, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ffmpeg failed making ${out}: ${r.stderr}`);
  return out;
}

/** A plain NumPy .npy reader written from the format spec (independent of src/lib/npy.ts). */
export function parseNpyPlain(buf: Buffer): { descr: string; shape: number[]; values: number[] } {
  if (buf[0] !== 0x93 || buf.toString("latin1", 1, 6) !== "NUMPY") throw new Error("bad magic");
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if ((start + hlen) % 64 !== 0) throw new Error(`data offset ${start + hlen} not 64-aligned`);
  const header = buf.toString("latin1", start, start + hlen);
  if (!header.endsWith("\n")) throw new Error("header does not end with a newline");
  const dict = header.trim().replace(/'/g, '"').replace(/\(/g, "[").replace(/\)/g, "]").replace(/,\s*([}\]])/g, "$1")
    .replace(/False/g, "false").replace(/True/g, "true");
  const h = JSON.parse(dict) as { descr: string; fortran_order: boolean; shape: number[] };
  if (h.fortran_order) throw new Error("fortran order");
  const n = h.shape.reduce((a, b) => a * b, 1);
  const body = buf.subarray(start + hlen);
  if (body.length !== n * 4) throw new Error(`body has ${body.length} bytes, shape needs ${n * 4}`);
  const values: number[] = [];
  for (let i = 0; i < n; i++) values.push(body.readFloatLE(i * 4));
  return { descr: h.descr, shape: h.shape, values };
}

/** ffmpeg/ffprobe processes and extract worker processes (node), zombies included, that descend
 * from this process (an ffmpeg runs in a worker process, a grandchild), waiting up to `waitMs`
 * for them to go. */
export async function ffmpegChildren(waitMs = 5000): Promise<string[]> {
  const list = () => {
    const procs = execFileSync("ps", ["-e", "-o", "pid=,ppid=,stat=,comm="], { encoding: "utf8" })
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 4)
      .map(([pid, ppid, stat, ...comm]) => ({ pid: Number(pid), ppid: Number(ppid), line: `${stat} ${comm.join(" ")}` }));
    const mine = new Set([process.pid]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of procs) if (mine.has(p.ppid) && !mine.has(p.pid)) (mine.add(p.pid), (grew = true));
    }
    return procs.filter((p) => p.pid !== process.pid && mine.has(p.pid) && /ffmpeg|ffprobe|\bsh$|\bnode$/.test(p.line)).map((p) => p.line);
  };
  for (let t = 0; t < waitMs && list().length; t += 100) await new Promise((r) => setTimeout(r, 100));
  return list();
}
