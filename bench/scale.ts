// Scale benchmark (issue 13): the pipeline's stages at 1 000 / 10 000 / 100 000 clips, without video.
//
// For each clip count a project under bench/out/scale/n<N>/ runs, through the real CLI, a pipeline
// whose extract is a shell stage writing a synthetic features artifact (videos.jsonl with
// extract-like metadata and 4 dHashes per clip, features/<id>.npy of 8–32 frames × 32 dims, a weak
// label signal, extract.json), then the built-in diagnose, split, train (a tiny model, 1 epoch:
// the data handling is the point, not the model) and evaluate. Each stage is one
// `dfd run --only <stage>` process under /usr/bin/time: the stage's own seconds (run record),
// the process's wall, CPU (user + sys, children included) and peak RSS. Then a fully cached
// `dfd run` (the no-op cost at that size), and a second split/train/evaluate with `--set
// split.test=0.9` for report.html at ~0.9·N test clips. Last, `dfd runs` / `compare` / `gc
// --dry-run` over 1 000 recorded runs with realistic summaries. The fitted exponent b of each
// curve (y ∝ N^b, least squares on log–log) is printed with the tables; n log n over 1k→100k is
// b ≈ 1.11.
//
//   npm run build && node --import tsx bench/scale.ts [--clips 1000,10000,100000] [--records 1000]
//     [--timeout-min 60] [--skip-records] [--against DIR]   writes bench/out/scale/results.json, prints Markdown
// (--against DIR: a built checkout of another version; the 1 000-run commands are timed with it
// too, on the same records written through its own Records.)
// (`--generate DIR --clips N` is the extract stand-in's own entry point.)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeClipFeatures, writeFeaturesInfo, writeVideos, type VideoRecord } from "../src/artifacts/features.js";
import { mulberry32 as rng } from "../src/lib/random.js";
import { openDb } from "../src/runner/db.js";
import { Records, type RunRecord, type StageRecord } from "../src/runner/records.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const FRAMES = [8, 32] as const;
const DIMS = 32;

/** The extract stand-in: writes the features artifact for `n` clips into `out`. */
function generate(out: string, n: number): void {
  mkdirSync(join(out, "features"), { recursive: true });
  const rows: VideoRecord[] = [];
  const sources = Math.max(8, Math.round(Math.sqrt(n)));
  for (let i = 0; i < n; i++) {
    const r = rng(i * 7919 + 13);
    const fake = i % 2 === 1;
    const id = `clip${String(i).padStart(6, "0")}`;
    const frames = FRAMES[0] + Math.floor(r() * (FRAMES[1] - FRAMES[0] + 1));
    const data = new Float32Array(frames * DIMS);
    const shift = fake ? 0.15 : -0.15; // a weak signal: the model has something to find
    for (let k = 0; k < data.length; k++) data[k] = (r() - 0.5) * 2 + (k % DIMS < 4 ? shift : 0);
    const features = writeClipFeatures(out, id, { data, rows: frames, cols: DIMS });
    const hex = () => Math.floor(r() * 2 ** 32).toString(16).padStart(8, "0");
    const fps = fake ? [8, 24, 30][Math.floor(3 * r())]! : [25, 29.97, 30][Math.floor(3 * r())]!;
    const w = [512, 640, 1280][Math.floor(3 * r())]!;
    const bytes = Math.round(1e5 + 1e6 * r());
    rows.push({
      id, path: `${fake ? "fake" : "real"}/${id}.mp4`, label: fake ? "fake" : "real", label_raw: fake ? "fake" : "real",
      source: `${fake ? "gen" : "cam"}${Math.floor(r() * sources)}`, group: null, frames, dims: DIMS, features,
      fps, width: w, height: Math.round((w * 9) / 16), duration: frames / fps, codec: "h264", pix_fmt: "yuv420p", format: "mp4",
      bytes, bitrate: Math.round((bytes * 8) / (frames / fps)), source_frames: frames, sha256: null,
      phash: Array.from({ length: 4 }, () => hex() + hex()), error: null,
    });
  }
  writeVideos(out, rows);
  writeFeaturesInfo(out, {
    params: { synthetic: true, clips: n }, feature: { name: "synthetic", dims: DIMS, names: Array.from({ length: DIMS }, (_, k) => `f${k}`) },
    counts: { clips: n, ok: n, failed: 0 },
  });
}

if (process.argv.includes("--generate")) {
  generate(arg("generate", ""), Number(arg("clips", "0")));
  process.exit(0);
}

const CLIPS = arg("clips", "1000,10000,100000").split(",").map(Number).filter((n) => n > 0);
const RECORDS = Number(arg("records", "1000"));
/** A built checkout of another version: `dfd runs`/`compare`/`gc` over the same records with it. */
const AGAINST = process.argv.includes("--against") ? resolve(arg("against", "")) : undefined;
const TIMEOUT_MS = Number(arg("timeout-min", "60")) * 60_000;
const self = fileURLToPath(import.meta.url);
const bin = fileURLToPath(new URL("../bin/dfd.js", import.meta.url));
const outRoot = fileURLToPath(new URL("./out/scale/", import.meta.url));
const TIME = existsSync("/usr/bin/time");
const STAGES = ["extract", "diagnose", "split", "train", "evaluate"] as const;

const pipeline = (n: number) => `# bench/scale.ts: ${n} synthetic clips
stages:
  extract:
    run: node --import tsx ${JSON.stringify(self)} --generate "$DFD_OUT" --clips ${n}
  diagnose:
    uses: diagnose
    needs: [extract]
  split:
    uses: split
    needs: [extract, diagnose]
    with: { val: 0.1, test: 0.2, seed: 0 }
  train:
    uses: train
    needs: [extract, split]
    with: { backend: wasm, d_model: 16, layers: 1, heads: 2, ff: 32, dropout: 0, seq_len: 32, batch_size: 64, min_epochs: 1, max_epochs: 1, patience: 1, threads: 1, random_padding: false }
  evaluate:
    uses: evaluate
    needs: [train, split, extract, diagnose]
    with: { backend: wasm, batch_size: 256 }
`;

interface Measure {
  /** The stage's own seconds from the run record (null for a whole run). */
  stageS: number | null;
  wallS: number;
  cpuS: number;
  rssMb: number;
  status: string;
  load: number;
  note?: string;
}

function dfd(cwd: string, args: string[], otherBin?: string, env: NodeJS.ProcessEnv = {}): Measure & { stdout: string; stderr: string } {
  const cli = [process.execPath, otherBin ?? bin, ...args];
  const cmd = TIME ? ["/usr/bin/time", "-f", "TIME %U %S %M", ...cli] : cli;
  const t0 = performance.now();
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd, encoding: "utf8", env: { ...process.env, CI: "1", ...env }, timeout: TIMEOUT_MS, maxBuffer: 1 << 30 });
  const wallS = (performance.now() - t0) / 1000;
  const t = /TIME ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr ?? "");
  const timedOut = r.error && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT";
  return {
    stageS: null, wallS, cpuS: t ? Number(t[1]) + Number(t[2]) : NaN, rssMb: t ? Number(t[3]) / 1024 : NaN,
    status: timedOut ? `timed out after ${TIMEOUT_MS / 60_000} min` : r.status === 0 ? "ok" : `exit ${r.status}`,
    load: loadavg()[0]!, stdout: r.stdout ?? "", stderr: r.stderr ?? "",
  };
}

const lastJsonLine = (s: string): any => {
  try { return JSON.parse(s.trimEnd().split("\n").pop() ?? ""); } catch { return undefined; }
};

/** Runs one stage (upstream cached) and measures it. */
function stage(dir: string, name: string, sets: string[] = []): Measure {
  const m = dfd(dir, ["run", "--only", name, "--json", ...sets.flatMap((s) => ["--set", s])]);
  const j = lastJsonLine(m.stdout);
  const s = j?.stages?.find((x: { name: string }) => x.name === name);
  const err = m.status === "ok" ? undefined : (s?.error ?? m.stderr.split("\n").filter((l) => l && !l.startsWith("TIME")).slice(-3).join(" | ")).slice(0, 300);
  return { stageS: typeof s?.seconds === "number" ? s.seconds : null, wallS: m.wallS, cpuS: m.cpuS, rssMb: m.rssMb, status: s?.status === "ran" ? "ok" : m.status, load: m.load, ...(err ? { note: err } : {}) };
}

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
  load_start: loadavg().map((l) => Number(l.toFixed(2))),
};
const perN: Record<number, Record<string, Measure | number | string>> = {};

for (const n of CLIPS) {
  const dir = join(outRoot, `n${n}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "pipeline.yaml"), pipeline(n));
  const row: Record<string, Measure | number | string> = {};
  for (const s of STAGES) {
    const m = stage(dir, s);
    row[s] = m;
    console.error(`n=${n} ${s}: ${JSON.stringify(m)}`);
    if (m.status !== "ok") break;
  }
  if (STAGES.every((s) => (row[s] as Measure | undefined)?.status === "ok")) {
    const noop = dfd(dir, ["run"], undefined, { DFD_STATS: "1" });
    const st = /dfd: hashed (\d+) files, read (\d+)/.exec(noop.stderr);
    row.noop = { ...noop, stageS: null, note: st ? `hashed ${st[1]} files, read ${st[2]}` : "" } as Measure;
    delete (row.noop as Partial<{ stdout: string; stderr: string }>).stdout;
    delete (row.noop as Partial<{ stdout: string; stderr: string }>).stderr;
    console.error(`n=${n} no-op: ${JSON.stringify(row.noop)}`);
    const path = dfd(dir, ["path", "evaluate"]).stdout.trim();
    if (path && existsSync(join(path, "report.html"))) row.report_kib_test20 = statSync(join(path, "report.html")).size / 1024;
    row.test_clips_test20 = Math.round(n * 0.2);
    // Mostly test: report.html (and scoring) at ~0.9·N test clips.
    const sets = ["split.test=0.9", "split.val=0.05"];
    for (const s of ["split", "train", "evaluate"] as const) {
      const m = stage(dir, s, sets);
      row[`${s}_test90`] = m;
      console.error(`n=${n} ${s} (test 0.9): ${JSON.stringify(m)}`);
      if (m.status !== "ok") break;
    }
    const p90 = dfd(dir, ["path", "evaluate", ...sets.flatMap((s) => ["--set", s])]).stdout.trim();
    if (p90 && existsSync(join(p90, "report.html"))) {
      row.report_kib_test90 = statSync(join(p90, "report.html")).size / 1024;
      const metrics = JSON.parse(readFileSync(join(p90, "metrics.json"), "utf8")) as { test?: { n?: number } };
      row.test_clips_test90 = metrics.test?.n ?? Math.round(n * 0.9);
    }
  }
  perN[n] = row;
  writeFileSync(join(outRoot, "results.json"), JSON.stringify({ ...results, perN }, null, 2));
}

// ---- dfd runs / compare / gc over many recorded runs -----------------------------------------
let recordsResult: Record<string, Measure & { against?: Measure }> | undefined;
if (!process.argv.includes("--skip-records") && RECORDS > 0) {
  // The same records through each build's own Records.put (this one, and --against's when given).
  const builds: { name: "this" | "against"; dir: string; src?: string }[] = [{ name: "this", dir: join(outRoot, `records${RECORDS}`) }];
  if (AGAINST) builds.push({ name: "against", dir: join(outRoot, `records${RECORDS}-against`), src: AGAINST });
  for (const b of builds) {
    rmSync(b.dir, { recursive: true, force: true });
    mkdirSync(join(b.dir, "artifacts"), { recursive: true });
    writeFileSync(join(b.dir, "pipeline.yaml"), pipeline(1000));
    const { openDb: open } = (b.src ? await import(join(b.src, "src/runner/db.ts")) : { openDb }) as { openDb: typeof openDb };
    const { Records: Recs } = (b.src ? await import(join(b.src, "src/runner/records.ts")) : { Records }) as { Records: typeof Records };
    const db = await open(join(b.dir, "artifacts", "cache.sqlite"));
    const recs = new Recs(db);
    const t0 = Date.parse("2026-11-01T00:00:00Z");
    for (let i = 0; i < RECORDS; i++) await recs.put(syntheticRecord(i, t0 + i * 600_000));
    await db.close();
  }
  recordsResult = {};
  for (const args of [["runs"], ["runs", "--limit", String(RECORDS), "--json"], ["compare", "latest~1", "latest"], ["compare", "latest~900", "latest", "--md"], ["gc", "--dry-run"]]) {
    // interleaved: this build, then the other
    const m = dfd(builds[0]!.dir, args);
    const o = AGAINST ? dfd(builds[1]!.dir, args, join(AGAINST, "bin/dfd.js")) : undefined;
    const pick = (x: typeof m): Measure => ({ stageS: null, wallS: x.wallS, cpuS: x.cpuS, rssMb: x.rssMb, status: x.status, load: x.load });
    recordsResult[`dfd ${args.join(" ")}`] = { ...pick(m), ...(o ? { against: pick(o) } : {}) };
  }
  console.error(JSON.stringify(recordsResult));
}

/** A run record the size of the demo pipeline's (5 stages, diagnose findings, evaluate lines and
 * 200 skipped clips in extract's summary). */
function syntheticRecord(i: number, at: number): RunRecord {
  const r = rng(i);
  const loss = i % 3 === 0 ? "bce" : "focal";
  const st = (name: string, status: StageRecord["status"], params: Record<string, unknown>, summary: StageRecord["summary"]): StageRecord => ({
    name, kind: name, key: `${name}-${status === "cached" ? 0 : i}`.padEnd(64, "0"), status, reasons: status === "ran" ? [`params.loss.type "focal" → "${loss}"`] : [],
    seconds: 10 * r(), params: params as StageRecord["params"], outputHash: `${name}${i}`.padEnd(64, "f"), summary, log: `/x/artifacts/logs/${i}/${name}.log`,
  });
  return {
    id: `2026${String(i).padStart(10, "0")}-aaaaaa`, pid: 1, startedAt: new Date(at).toISOString(), finishedAt: new Date(at + 60_000).toISOString(),
    pipeline: { file: "pipeline.yaml", sha256: "0".repeat(64) }, overrides: [`train.loss.type=${loss}`], data: "clips", status: "ok",
    stages: [
      st("extract", "cached", { max_frames: 64, size: 128 }, { lines: ["103 clips"], skipped: Array.from({ length: 200 }, (_, k) => ({ item: `clips/c${k}.mp4`, error: "ffprobe: invalid data found when processing input" })) }),
      st("diagnose", "cached", { fail_on: "never" }, { findings: Array.from({ length: 12 }, (_, k) => ({ severity: k < 2 ? "error" : "warn", code: `f${k}`, message: "x".repeat(300) } as never)) }),
      st("split", "cached", { val: 0.2, test: 0.2, seed: 0 }, { lines: ["60 train · 20 val · 20 test"] }),
      st("train", "ran", { loss: { type: loss, gamma: 2 }, lr: 0.0003, max_epochs: 20 }, { metrics: { best_epoch: 4 + (i % 9), threshold: r() }, facts: { backend: "wasm", epochs: 20 } }),
      st("evaluate", "ran", { bootstrap: 1000 }, { metrics: { test_auc: r(), test_acc: r(), test_f1: r(), val_auc: r() }, facts: { test_clips: 20, test_set: "a".repeat(64) }, lines: ["test: AUC 0.8 · 10 fake / 10 real"] }),
    ],
  };
}

// ---- tables --------------------------------------------------------------------------------
/** Least-squares slope of log y on log n. */
function exponent(points: [number, number][]): string {
  const p = points.filter(([, y]) => Number.isFinite(y) && y > 0);
  if (p.length < 2) return "—";
  const xs = p.map(([x]) => Math.log(x));
  const ys = p.map(([, y]) => Math.log(y));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const b = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  return b.toFixed(2);
}
const f = (v: number | null | undefined, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(d));
const ns = CLIPS.filter((n) => perN[n]);
const lines: string[] = [];
lines.push(`${results.machine}; ${results.date}; load average at start ${(results.load_start as number[]).join(" ")}`);
const ROWS = [...STAGES, "noop", "split_test90", "train_test90", "evaluate_test90"];
const label = (s: string) => (s === "noop" ? "fully cached `dfd run`" : s.replace("_test90", " (test 0.9)"));
const head = (title: string) => ["", `| ${title} | ${ns.map((n) => `${n.toLocaleString("en")} clips`).join(" | ")} | exponent |`, `|---|${ns.map(() => "---:|").join("")}---:|`];
for (const [title, get, d] of [
  ["stage's own wall s (run record)", (m: Measure) => m.stageS, 2],
  ["process wall s (`dfd run --only <stage>`)", (m: Measure) => m.wallS, 2],
  ["process CPU s (user + sys, children included)", (m: Measure) => m.cpuS, 2],
  ["process peak RSS MB", (m: Measure) => m.rssMb, 0],
] as const) {
  lines.push(...head(title));
  for (const s of ROWS) {
    const ms = ns.map((n) => perN[n]![s] as Measure | undefined);
    if (!ms.some(Boolean) || (s === "noop" && get(ms.find(Boolean)!) === null)) continue;
    const vals = ms.map((m) => (m && m.status === "ok" ? get(m) ?? undefined : undefined));
    lines.push(`| ${label(s)} | ${ms.map((m, i) => (m && m.status !== "ok" ? m.status : f(vals[i], d))).join(" | ")} | ${exponent(ns.map((n, i) => [n, vals[i] ?? NaN]))} |`);
  }
}
lines.push("", `1-minute load average when each stage finished: ${ns.map((n) => `${n}: ${ROWS.map((s) => f((perN[n]![s] as Measure | undefined)?.load, 0)).join("/")}`).join("; ")}`);
lines.push(`No-op runs: ${ns.map((n) => `${n}: ${(perN[n]!.noop as Measure | undefined)?.note ?? "—"}`).join("; ")}`);
lines.push("", `| report.html | ${ns.map((n) => `${n.toLocaleString("en")} clips`).join(" | ")} |`, `|---|${ns.map(() => "---:|").join("")}`);
lines.push(`| test 0.2: test clips / KiB | ${ns.map((n) => `${perN[n]!.test_clips_test20 ?? "—"} / ${f(perN[n]!.report_kib_test20 as number, 0)}`).join(" | ")} |`);
lines.push(`| test 0.9: test clips / KiB | ${ns.map((n) => `${perN[n]!.test_clips_test90 ?? "—"} / ${f(perN[n]!.report_kib_test90 as number, 0)}`).join(" | ")} |`);
if (recordsResult) {
  const cells = (m: Measure) => `${m.status === "ok" ? f(m.wallS, 2) : m.status} | ${f(m.cpuS, 2)} | ${f(m.rssMb, 0)}`;
  lines.push("", `| ${RECORDS} recorded runs | wall s | CPU s | peak RSS MB |${AGAINST ? " --against: wall s | CPU s | peak RSS MB |" : ""} load |`, `|---|---:|---:|---:|${AGAINST ? "---:|---:|---:|" : ""}---:|`);
  for (const [k, m] of Object.entries(recordsResult)) lines.push(`| \`${k}\` | ${cells(m)} |${m.against ? ` ${cells(m.against)} |` : ""} ${f(m.load, 1)} |`);
}
results.load_end = loadavg().map((l) => Number(l.toFixed(2)));
lines.push("", `load average at the end ${(results.load_end as number[]).join(" ")}`);
writeFileSync(join(outRoot, "results.json"), JSON.stringify({ ...results, perN, records: recordsResult }, null, 2));
console.log(lines.join("\n"));
