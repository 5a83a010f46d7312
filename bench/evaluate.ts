// Evaluate and predict costs. Part 1 (always): evaluate's maths (all metrics, 1000-round bootstrap
// AUC interval) and report.html rendering for growing numbers of scored clips, synthetic scores.
// Part 2 (given a train output dir and ../shared/data/clips): `dfd predict` throughput on the
// shared clips, at --jobs 1 and 2.
// Part 3 (always): scoring cost of the default-size model (d 256, 4 layers, ff 512, seq 64; random
// weights) through loadDetector on the wasm backend: what evaluate spends per clip.
//   node --import tsx bench/evaluate.ts [path/to/train-output]
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { predict } from "../src/commands/predict.js";
import { renderEvaluateReport, type ReportClip } from "../src/report/evaluate.js";
import { misclassifiedOf } from "../stages/evaluate/impl.js";
import { curvePoints, setMetrics, type Scored } from "../src/lib/metrics.js";
import { mulberry32 } from "../src/lib/random.js";

const time = <T>(f: () => T): [T, number] => {
  const t = performance.now();
  const r = f();
  return [r, performance.now() - t];
};

console.log(`# evaluate bench — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}`);
console.log("\n| clips | metrics (ms) | + bootstrap 1000 (ms) | report.html (ms) | report size |");
console.log("|---:|---:|---:|---:|---:|");
for (const n of [100, 1000, 10000, 100000]) {
  const rand = mulberry32(n);
  const items: Scored[] = Array.from({ length: n }, (_, i) => {
    const label = (i % 2) as 0 | 1;
    return { label, score: Math.min(1, Math.max(0, 0.5 + (label ? 0.15 : -0.15) + 0.6 * (rand() - 0.5))), source: `s${i % 12}` };
  });
  const [, plain] = time(() => setMetrics(items, { threshold: 0.5 }));
  const [m, boot] = time(() => setMetrics(items, { threshold: 0.5, bootstrap: 1000, seed: 1 }));
  const clips: ReportClip[] = items.slice(0, 10).map((it, i) => ({ id: `c${i}`, path: `x/c${i}.mp4`, label: it.label ? "fake" : "real", source: it.source, split: "test", score: it.score, attention: Array.from({ length: 64 }, () => 1 / 64) }));
  // every misclassified clip goes to the report (capped, with the count): a quarter of them here
  const rows = items.map((it, i) => ({ id: `c${i}`, path: `data/${it.source}/clip_${String(i).padStart(6, "0")}.mp4`, label: (it.label ? "fake" : "real") as "real" | "fake", source: it.source, features: "", frames: 64, error: null }));
  const [html, render] = time(() =>
    renderEvaluateReport({ title: "bench", threshold: 0.5, thresholdNote: "bench", sets: [{ split: "test", metrics: m, curve: curvePoints(items) }], history: null, findings: [], mostConfident: clips.slice(0, 5), leastConfident: clips.slice(5), facts: {}, excluded: [],
      misclassified: [misclassifiedOf({ rows, scores: items.map((it) => it.score) }, "test", 0.5)] }),
  );
  console.log(`| ${n} | ${plain.toFixed(1)} | ${boot.toFixed(0)} | ${render.toFixed(1)} | ${(html.length / 1024).toFixed(0)} KiB |`);
}

const trainDir = process.argv[2];
const clipsDir = fileURLToPath(new URL("../../shared/data/clips", import.meta.url));
if (!trainDir) console.log("\n(predict part skipped: give a train output dir, e.g. `dfd path train`)");
else if (!existsSync(clipsDir)) console.log(`\n(predict part skipped: ${clipsDir} not present)`);
else {
  console.log(`\n| dfd predict on ${clipsDir} | clips | wall (s) | clips/s |`);
  console.log("|---|---:|---:|---:|");
  for (const jobs of [1, 2]) {
    let n = 0;
    let failed = 0;
    const t = performance.now();
    await predict([clipsDir], { model: trainDir, json: true, jobs }, { out: (l) => { n++; if (JSON.parse(l).error) failed++; }, err: () => {} });
    const s = (performance.now() - t) / 1000;
    console.log(`| --jobs ${jobs} | ${n}${failed ? ` (${failed} failed)` : ""} | ${s.toFixed(1)} | ${(n / s).toFixed(2)} |`);
  }
}

{
  const { useBackend } = await import("../src/model/backend.js");
  const { initWeights, disposeWeights } = await import("../src/model/weights.js");
  const { saveModel } = await import("../src/model/io.js");
  const { loadDetector } = await import("../src/model/detector.js");
  await useBackend("wasm");
  const dims = 50;
  const config = { inputDims: dims, dModel: 256, layers: 4, heads: 4, ff: 512, dropout: 0.1, pooling: "attention" as const, seqLen: 64 };
  const dir = mkdtempSync(join(tmpdir(), "dfd-bench-model-"));
  const w = initWeights(config, 1);
  await saveModel(dir, w, { threshold: 0.5, seq_len: 64, feature_dims: dims, normalization: { mean: new Array(dims).fill(0), std: new Array(dims).fill(1) }, extract: null, backend: "wasm", params: {}, model: config });
  disposeWeights(w);
  const det = await loadDetector(dir, { backend: "wasm" });
  const rand = mulberry32(3);
  const clips = Array.from({ length: 128 }, () => ({ data: Float32Array.from({ length: 64 * dims }, () => rand() - 0.5), rows: 64, cols: dims }));
  await det.score(clips.slice(0, 8)); // warm-up (wasm compile, kernels)
  console.log(`\n| default-size model on ${det.backend}, 64 frames per clip | clips | wall (ms) | ms/clip |`);
  console.log("|---|---:|---:|---:|");
  for (const [label, batch] of [["evaluate, batch_size 32", 32], ["predict, one clip per call", 1]] as const) {
    const t = performance.now();
    for (let i = 0; i < clips.length; i += batch) await det.score(clips.slice(i, i + batch));
    const ms = performance.now() - t;
    console.log(`| ${label} | ${clips.length} | ${ms.toFixed(0)} | ${(ms / clips.length).toFixed(1)} |`);
  }
  det.dispose();
  rmSync(dir, { recursive: true, force: true });
}
