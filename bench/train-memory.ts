// Peak memory of train and evaluate against the number of clips (issue 13). Synthetic features
// artifacts (videos.jsonl + features/<id>.npy written through src/artifacts/features.ts, 64 frames
// × 256 features per clip by default, 70/15/15 split) at 1 000 / 10 000 / 100 000 clips; each
// stage runs in a fresh process through runKind (the code path `dfd run` uses) and reports its
// peak RSS (getrusage maxrss) and wall time:
//   train (transformer)  d_model 16, 1 layer, 1 epoch, batch 32, threads 2 (the default), backend auto
//   train (linear)       the default probe (6 statistics × 256 features = 1 536 per clip), l2 0.1
//   evaluate             the transformer above, every split scored (score_train: true)
// The model is deliberately small: memory that grows with the clip count comes from how clips are
// held, not from the network, and a seed-size model would take hours per epoch at 100 000 clips.
//   node --import tsx bench/train-memory.ts [--sizes 1000,10000,100000] [--frames 64] [--dims 256] [--root DIR] [--no-linear]
// --root runs the stages of another checkout (e.g. the commit before streaming) on the same data;
// --no-linear skips the probe (a checkout without it would train a seed-size transformer instead).
// Writes bench/out/train-memory.json and prints a Markdown table.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : dflt);

const TRANSFORMER = { model: "transformer", backend: "auto", d_model: 16, layers: 1, heads: 2, ff: 32, dropout: 0.1, seq_len: 64, max_epochs: 1, min_epochs: 1, patience: 1, batch_size: 32, threads: 2, lr: 0.001 };
const LINEAR = { model: "linear" };

if (args[0] === "--child") await child(args[1]!, args[2]!, args[3]!, args[4]!);
else await parent();

async function parent(): Promise<void> {
  const sizes = opt("--sizes", "1000,10000,100000").split(",").map(Number);
  const frames = Number(opt("--frames", "64")), dims = Number(opt("--dims", "256"));
  const root = resolve(opt("--root", join(here, "..")));
  const results: Record<string, unknown>[] = [];
  console.log(`# train/evaluate memory — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}, load ${loadavg().map((x) => x.toFixed(1)).join(" ")}, code ${root}`);
  console.log(`\n| clips (${frames} × ${dims} float32) | features on disk | train transformer: peak RSS, wall | train linear: peak RSS, wall | evaluate: peak RSS, wall |`);
  console.log("|---:|---:|---:|---:|---:|");
  for (const n of sizes) {
    const dir = mkdtempSync(join(tmpdir(), `dfd-mem-${n}-`));
    try {
      const t0 = performance.now();
      const bytes = await makeData(dir, n, frames, dims);
      const made = (performance.now() - t0) / 1000;
      const tr = runChild(root, "train", dir, join(dir, "train"), JSON.stringify(TRANSFORMER));
      const li: ChildResult = args.includes("--no-linear") ? { ok: false, error: "skipped" } : runChild(root, "train", dir, join(dir, "linear"), JSON.stringify(LINEAR));
      const ev = tr.ok ? runChild(root, "evaluate", dir, join(dir, "evaluate"), "{}") : { ok: false, error: "train failed" };
      const cell = (r: ChildResult) => (r.ok ? `${(r.maxRssKb! / 1024).toFixed(0)} MiB, ${r.seconds!.toFixed(0)} s` : `failed: ${r.error}`);
      console.log(`| ${n.toLocaleString("en")} | ${(bytes / 2 ** 30).toFixed(2)} GiB | ${cell(tr)} | ${cell(li)} | ${cell(ev)} |`);
      results.push({ clips: n, frames, dims, feature_bytes: bytes, data_seconds: made, train: tr, linear: li, evaluate: ev, load: loadavg() });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  mkdirSync(join(here, "out"), { recursive: true });
  writeFileSync(join(here, "out", "train-memory.json"), JSON.stringify({ date: new Date().toISOString(), root, results }, null, 1) + "\n");
}

interface ChildResult {
  ok: boolean;
  maxRssKb?: number;
  seconds?: number;
  error?: string;
}

function runChild(root: string, stage: string, dataDir: string, outDir: string, params: string): ChildResult {
  mkdirSync(outDir, { recursive: true });
  const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", root, stage, dataDir, JSON.stringify({ outDir, params: JSON.parse(params) })],
    { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 });
  const line = r.stdout.trim().split("\n").reverse().find((l) => l.startsWith("{"));
  if (r.status !== 0 || !line) return { ok: false, error: (r.stderr || r.stdout).trim().split("\n").slice(-3).join(" ").slice(0, 300) };
  return { ok: true, ...(JSON.parse(line) as { maxRssKb: number; seconds: number }) };
}

/** n clips, half fake (a small shift on the first 8 features), 70/15/15 split, seeded. */
async function makeData(dir: string, n: number, frames: number, dims: number): Promise<number> {
  const { writeClipFeatures, writeFeaturesInfo, writeVideos } = await import("../src/artifacts/features.js");
  const { mulberry32 } = await import("../src/lib/random.js");
  const ex = join(dir, "extract"), sp = join(dir, "split");
  mkdirSync(join(ex, "features"), { recursive: true });
  mkdirSync(sp);
  const rand = mulberry32(n);
  const rows = [];
  const split: Record<string, string[]> = { train: [], val: [], test: [] };
  const data = new Float32Array(frames * dims);
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const id = `c${String(i).padStart(6, "0")}`;
    const label: "real" | "fake" = i % 2 ? "fake" : "real";
    for (let k = 0; k < data.length; k++) data[k] = rand() - 0.5 + (label === "fake" && k % dims < 8 ? 0.1 : 0);
    const rel = writeClipFeatures(ex, id, { data, rows: frames, cols: dims });
    bytes += data.byteLength + 128;
    rows.push({ id, path: `${label}/${id}.mp4`, label, label_raw: label, source: `${label}-src${i % 7}`, group: null, frames, dims, features: rel, error: null,
      fps: 25, width: 256, height: 256, duration: frames / 25, codec: "h264", pix_fmt: "yuv420p", format: "mp4", bytes: null, bitrate: null, source_frames: frames, sha256: null, phash: [] });
    const u = (i * 7919) % 100;
    split[u < 70 ? "train" : u < 85 ? "val" : "test"]!.push(id);
  }
  writeVideos(ex, rows);
  writeFeaturesInfo(ex, { params: { max_frames: frames }, feature: { name: "synthetic", dims, names: [] }, counts: { clips: n, ok: n, failed: 0 } });
  writeFileSync(join(sp, "split.json"), JSON.stringify({ ...split, seed: 0 }));
  return bytes;
}

async function child(root: string, stage: string, dataDir: string, spec: string): Promise<void> {
  const { outDir, params } = JSON.parse(spec) as { outDir: string; params: Record<string, unknown> };
  const mod = (p: string) => import(pathToFileURL(join(root, p)).href);
  const { runKind } = await mod("src/runner/in-process.ts");
  const kind = (await mod(`stages/${stage}/index.ts`)).default;
  const spec0 = stage === "train" ? (await mod("stages/train/params.ts")).trainParams : (await mod("stages/evaluate/index.ts")).params;
  const inputs = [
    { name: "extract", kind: "extract", dir: join(dataDir, "extract") },
    { name: "split", kind: "split", dir: join(dataDir, "split") },
    ...(stage === "evaluate" ? [{ name: "train", kind: "train", dir: join(dataDir, "train") }] : []),
  ];
  const ctx = {
    name: stage, params: { ...defaults(spec0), ...params }, inputs, projectDir: dataDir, outDir, tmpDir: mkdtempSync(join(tmpdir(), "dfd-mem-tmp-")),
    progress() {}, log: { debug() {}, info() {}, warn() {}, error() {} }, signal: new AbortController().signal, cpus: 2,
    logFile: join(dataDir, `${stage}.log`), provenance: { run: { id: "bench", startedAt: "" }, pipeline: "", data: null, environment: {}, upstream: [] },
  };
  const t0 = performance.now();
  await runKind(kind, ctx);
  console.log(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, seconds: (performance.now() - t0) / 1000 }));
  rmSync(ctx.tmpDir, { recursive: true, force: true });
  process.exit(0); // data-parallel workers and tfjs may keep handles open
}

function defaults(spec: Record<string, { type: string; default?: unknown; properties?: Record<string, never> }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(spec)) out[k] = s.type === "object" ? defaults(s.properties!) : (s.default ?? null);
  return out;
}
