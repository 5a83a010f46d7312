// Extract throughput and memory on ../shared/data/clips (issue 3), measured in one run:
//  - bare: ffmpeg decoding every clip with extract's exact command (-f null), 2 at a time;
//  - extract: the stage with 2 workers (sha256, one ffmpeg per clip that decodes and describes it,
//    features, .npy writes), run through runKind as `dfd run` runs it (fan-out);
//  - extract over the clip list twice (symlinked copies): peak RSS must stay flat.
// Each in its own process under /usr/bin/time (CPU of the process and all its ffmpeg children),
// running the compiled stage from dist/ as `dfd run` does: `npm run build` first.
//   node --import tsx bench/extract.ts [--data DIR] [--workers N] [--rounds R] [--write]
// --write replaces the Extract section of BENCHMARKS.md with the results.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { listDataset } from "../src/dataset/list.js";
import { ffmpegBinary } from "../src/video/ffmpeg.js";
import { probe } from "../src/video/probe.js";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const here = new URL(".", import.meta.url).pathname;
const data = resolve(arg("data", join(here, "../../shared/data/clips")));
const workers = Number(arg("workers", "2"));
const rounds = Number(arg("rounds", "2"));
if (!existsSync(data)) {
  console.log(`bench/extract: SKIPPED — ${data} not found (the shared clip set is not on this machine)`);
  process.exit(0);
}

if (!existsSync(join(here, "../dist/stages/extract/impl.js"))) {
  console.error("bench/extract: dist/ is missing; run `npm run build` first");
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), "dfd-bench-extract-"));
// single and doubled copies of the set as class folders of symlinks
const classDirs = ["real", "ai", "fake"].filter((c) => existsSync(join(data, c)));
const single = join(tmp, "single");
const double = join(tmp, "double");
for (const c of classDirs) {
  mkdirSync(join(single), { recursive: true });
  symlinkSync(join(data, c), join(single, c));
  mkdirSync(join(double, c), { recursive: true });
  symlinkSync(join(data, c), join(double, c, "a"));
  symlinkSync(join(data, c), join(double, c, "b"));
}
const entries = listDataset(single).entries;
let frames = 0;
for (const e of entries) frames += (await probe(e.file).catch(() => null))?.source_frames ?? 0;

/** cpuSelf: the measured process's own CPU; cpuWorkers: its node worker processes' (extract's
 * clip pool, sampled); the rest of `cpu` is ffmpeg's. */
interface Run { mode: string; clips: number; failed: number; secs: number; maxRssMB: number; cpu: number; cpuSelf: number; cpuWorkers: number; wall: number }
function measure(mode: string, dir: string): Run {
  const out = mkdtempSync(join(tmp, "out-"));
  // mode is a label: "hd-bare" runs the child's "bare" on the 1080p set
  const child = [join(here, "extract-child.mjs"), mode.replace(/^hd-/, ""), dir, String(workers), out];
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %U %S", process.execPath, ...child], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bench child failed: ${r.stderr}`);
  const line = r.stdout.trim().split("\n").at(-1)!;
  const t = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr)!;
  rmSync(out, { recursive: true, force: true });
  return { ...JSON.parse(line), mode, wall: Number(t[1]), cpu: Number(t[2]) + Number(t[3]) };
}

// A second, synthetic set of 1080p clips (decode-heavy, like camera footage) made by the bench.
const hd = join(tmp, "hd");
for (let i = 0; i < 6; i++) {
  const dir = join(hd, i % 2 ? "fake" : "real");
  mkdirSync(dir, { recursive: true });
  execFileSync(ffmpegBinary().path, ["-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", `testsrc2=s=1920x1080:r=30,noise=alls=10:allf=t:all_seed=${i + 1}`,
    "-frames:v", "90", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", join(dir, `clip${i}.mp4`)]);
}

const runs: Run[] = [];
for (let i = 0; i < rounds; i++) {
  runs.push(measure("bare", single));
  runs.push(measure("extract", single));
  runs.push(measure("hd-bare", hd));
  runs.push(measure("hd-extract", hd));
}
const dbl = measure("extract", double);
const best = (mode: string) => runs.filter((r) => r.mode === mode).sort((a, b) => a.secs - b.secs)[0]!;
const bare = best("bare");
const ext = best("extract");
const hdBare = best("hd-bare");
const hdExt = best("hd-extract");
const ratio = bare.secs / ext.secs;
const cpuRatio = bare.cpu / ext.cpu;
const cpu = (r: Run) => {
  const node = r.cpuSelf + (r.cpuWorkers ?? 0);
  return `${r.cpu.toFixed(1)} (${node.toFixed(1)} + ${(r.cpu - node).toFixed(1)})`;
};
const rows = [
  `| bare ffmpeg, ${workers} at a time | ${bare.clips} | ${bare.secs.toFixed(1)} | ${(bare.clips / bare.secs).toFixed(2)} | ${Math.round(frames / bare.secs)} | ${cpu(bare)} | ${Math.round(bare.maxRssMB)} |`,
  `| extract, ${workers} workers | ${ext.clips} | ${ext.secs.toFixed(1)} | ${(ext.clips / ext.secs).toFixed(2)} | ${Math.round(frames / ext.secs)} | ${cpu(ext)} | ${Math.round(ext.maxRssMB)} |`,
  `| extract, clip list ×2 | ${dbl.clips} | ${dbl.secs.toFixed(1)} | ${(dbl.clips / dbl.secs).toFixed(2)} | ${Math.round((2 * frames) / dbl.secs)} | ${cpu(dbl)} | ${Math.round(dbl.maxRssMB)} |`,
  `| 1080p set: bare ffmpeg | ${hdBare.clips} | ${hdBare.secs.toFixed(1)} | ${(hdBare.clips / hdBare.secs).toFixed(2)} | ${Math.round(540 / hdBare.secs)} | ${cpu(hdBare)} | ${Math.round(hdBare.maxRssMB)} |`,
  `| 1080p set: extract | ${hdExt.clips} | ${hdExt.secs.toFixed(1)} | ${(hdExt.clips / hdExt.secs).toFixed(2)} | ${Math.round(540 / hdExt.secs)} | ${cpu(hdExt)} | ${Math.round(hdExt.maxRssMB)} |`,
];
// Why the ratio is what it is (kept with the numbers so a reader of BENCHMARKS.md gets both).
const NOTES = [
  "How to read it: CPU s / wall s is how busy the 2 cores were. When both runs are CPU-bound the",
  "throughput ratio is the CPU ratio; on a machine loaded by other jobs the wall ratio is closer to 1 than",
  "the CPU ratio (both runs wait for cores). extract's ffmpeg side costs what bare ffmpeg does (one process",
  "per clip that decodes and describes the clip; no ffprobe, plus the rawvideo pipe writes); its node side",
  "(the runner process and its worker processes) is the forensic-v1 features (~0.6 ms per 128×128 frame",
  "on a quiet core, ~1 ms under load; ~3 700 frames get features in the shared set) plus sha256, reading",
  "the pipes, forks and the worker processes' start-up. On the shared set (small clips, mostly ≤ 640×480 GIFs and",
  "MKVs) decoding is cheap, so the features cannot hide behind it; on 1080p footage decoding dominates.",
  "Numbers move by ±30 % between runs on this shared machine (other sessions' jobs): compare within one run.",
].join("\n");

const ff = execFileSync(ffmpegBinary().path, ["-version"], { encoding: "utf8" }).split("\n")[0]!.replace(/ Copyright.*/, "");
const date = new Date().toISOString().slice(0, 16).replace("T", " ");
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const table = [
  `Measured ${date} UTC on ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, no GPU, Node ${process.versions.node}, ${ff}; load average at the end ${load} (the machine is shared, so numbers move run to run: best of ${rounds} interleaved rounds).`,
  `Data: ${data.replace(/.*\/shared\//, "../shared/")} — ${entries.length} clips, ${frames} source frames; extract defaults (size 128 crop, max_frames 64, native fps).`,
  ``,
  `| run | clips | wall s | clips/s | frames/s decoded | CPU s total (node processes + ffmpeg) | peak RSS MB (node processes) |`,
  `|---|---|---|---|---|---|---|`,
  ...rows,
  ``,
  `extract / bare ffmpeg throughput: **${ratio.toFixed(2)}×** on the shared set (target ≥ 0.8×; CPU ratio ${cpuRatio.toFixed(2)}×, what a quiet machine gives), **${(hdBare.secs / hdExt.secs).toFixed(2)}×** on the 1080p set (6 synthetic H.264 clips × 90 frames, made by the bench).`,
  `Peak RSS ${Math.round(ext.maxRssMB)} MB → ${Math.round(dbl.maxRssMB)} MB when the clip count doubles (target ≤ 500 MB, flat).`,
  ``,
  NOTES,
  ``,
  `Reproduce: \`node --import tsx bench/extract.ts --write\`.`,
].join("\n");
console.log(table);
console.log("all runs:", JSON.stringify(runs.concat(dbl)));
if (process.argv.includes("--write")) {
  const path = join(here, "../BENCHMARKS.md");
  const md = readFileSync(path, "utf8");
  const re = /(## Extract[^\n]*\n)([\s\S]*?)(?=\n## |$)/;
  if (!re.test(md)) throw new Error("BENCHMARKS.md has no '## Extract' section");
  writeFileSync(path, md.replace(re, (_m, head: string) => `${head}\n${table}\n`));
  console.log("BENCHMARKS.md updated");
}
rmSync(tmp, { recursive: true, force: true });
