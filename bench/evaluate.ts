// Evaluate and predict costs. Part 1 (always): evaluate's maths (all metrics, 1000-round bootstrap
// AUC interval) and report.html rendering for growing numbers of scored clips, synthetic scores.
// Part 2 (given a train output dir and ../shared/data/clips): `dfd predict` throughput on the
// shared clips, at --jobs 1 and 2.
//   node --import tsx bench/evaluate.ts [path/to/train-output]
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { predict } from "../src/commands/predict.js";
import { renderEvaluateReport, type ReportClip } from "../src/report/evaluate.js";
import { curvePoints, mulberry32, setMetrics, type Scored } from "../stages/evaluate/metrics.js";

const time = <T>(f: () => T): [T, number] => {
  const t = performance.now();
  const r = f();
  return [r, performance.now() - t];
};

console.log(`# evaluate bench — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}`);
console.log("\n| clips | metrics (ms) | + bootstrap 1000 (ms) | report.html (ms) | report size |");
console.log("|---:|---:|---:|---:|---:|");
for (const n of [100, 1000, 10000]) {
  const rand = mulberry32(n);
  const items: Scored[] = Array.from({ length: n }, (_, i) => {
    const label = (i % 2) as 0 | 1;
    return { label, score: Math.min(1, Math.max(0, 0.5 + (label ? 0.15 : -0.15) + 0.3 * (rand() - 0.5))), source: `s${i % 12}` };
  });
  const [, plain] = time(() => setMetrics(items, { threshold: 0.5 }));
  const [m, boot] = time(() => setMetrics(items, { threshold: 0.5, bootstrap: 1000, seed: 1 }));
  const clips: ReportClip[] = items.slice(0, 10).map((it, i) => ({ id: `c${i}`, path: `x/c${i}.mp4`, label: it.label ? "fake" : "real", source: it.source, split: "test", score: it.score, attention: Array.from({ length: 64 }, () => 1 / 64) }));
  const [html, render] = time(() =>
    renderEvaluateReport({ title: "bench", threshold: 0.5, sets: [{ split: "test", metrics: m, curve: curvePoints(items) }], history: null, findings: [], mostConfident: clips.slice(0, 5), leastConfident: clips.slice(5), facts: {}, excluded: [] }),
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
