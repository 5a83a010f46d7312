// Diagnose and split on synthetic clip lists of growing size (metadata + frame dHashes: these
// stages never read pixels), phase by phase, then each stage whole through its run() (reading
// videos.jsonl, writing diagnostics.json / report.md / split.json), plus the stage on a real
// extract output when a path to one is given.
//
//   node --import tsx bench/diagnose-split.ts [--sizes 1000,10000,100000] [path/to/extract/output]
//
// The synthetic set: half real, half fake, 40 class-pure sources, generator-like metadata, 4 frame
// hashes per clip (frames of one clip a few bits apart, as in real footage), and a realistic share
// of near-duplicates: 3 % of clips are re-encodes of another (1–6 bits per frame), 1 % exact
// copies, and a few chains of three.
import { performance } from "node:perf_hooks";
import { cpus, loadavg } from "node:os";
import { readVideos, type VideoRecord } from "../src/artifacts/features.js";
import { mulberry32 } from "../src/lib/random.js";
import { runKind } from "../src/runner/in-process.js";
import type { StageSummary } from "../src/stage.js";
import { SOURCE_ATTRIBUTES } from "../stages/diagnose/attributes.js";
import { analyze } from "../stages/diagnose/analyze.js";
import { metadataClassifierAuc } from "../stages/diagnose/classifier.js";
import { nearDuplicates, planSearch } from "../stages/diagnose/duplicates.js";
import diagnoseKind from "../stages/diagnose/index.js";
import { diagnoseParams, type DiagnoseParams } from "../stages/diagnose/params.js";
import { attributeAuc } from "../stages/diagnose/shortcut.js";
import splitKind from "../stages/split/index.js";
import { splitParams, type SplitParams } from "../stages/split/params.js";
import { jsonl, tempContext, video } from "../test/helpers/stage-context.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";

function synthetic(n: number): VideoRecord[] {
  const r = mulberry32(n);
  const word = () => Math.floor(r() * 2 ** 32);
  const hex = (hi: number, lo: number) => (hi >>> 0).toString(16).padStart(8, "0") + (lo >>> 0).toString(16).padStart(8, "0");
  const flip = (h: [number, number], k: number): [number, number] => {
    const out: [number, number] = [h[0], h[1]];
    for (let i = 0; i < k; i++) {
      const b = Math.floor(r() * 64);
      out[b >> 5] = (out[b >> 5]! ^ (1 << (b & 31))) >>> 0;
    }
    return out;
  };
  const frames = (): [number, number][] => {
    const base: [number, number] = [word(), word()];
    return Array.from({ length: 4 }, () => flip(base, Math.floor(r() * 12)));
  };
  const hashes: [number, number][][] = [];
  for (let i = 0; i < n; i++) {
    const u = r();
    const prev = i > 0 ? hashes[Math.floor(r() * i)]! : undefined;
    if (prev && u < 0.03) hashes.push(prev.map((h) => flip(h, 1 + Math.floor(r() * 6)))); // re-encode
    else if (prev && u < 0.04) hashes.push(prev.map((h) => [h[0], h[1]] as [number, number])); // copy
    else if (prev && u < 0.045 && i > 1) hashes.push(hashes[i - 1]!.map((h) => flip(h, 5))); // chain link
    else hashes.push(frames());
  }
  return hashes.map((hs, i) => {
    const fake = i % 2 === 1;
    const f = fake ? 8 + 8 * Math.floor(3 * r()) : 24 + Math.floor(100 * r());
    return video({
      id: `c${String(i).padStart(6, "0")}`,
      label: fake ? "fake" : "real",
      source: `${fake ? "gen" : "cam"}${Math.floor(r() * 20)}`,
      frames: f,
      source_frames: f,
      fps: fake ? [8, 8.33, 24][Math.floor(3 * r())]! : [25, 29.97, 30][Math.floor(3 * r())]!,
      width: [512, 640, 1280][Math.floor(3 * r())]!,
      codec: fake && r() < 0.8 ? "gif" : "h264",
      bytes: 1e5 + 1e6 * r(),
      bitrate: 4e5 + 4e6 * r(),
      phash: hs.map(([hi, lo]) => hex(hi, lo)),
    });
  });
}

/** Wall time and this process's CPU time (user + system), in ms: on a shared machine the wall
 * time grows with the load, the CPU time much less. */
interface Took {
  wall: number;
  cpu: number;
}
const time = async <T>(f: () => T | Promise<T>): Promise<[T, Took]> => {
  const t = performance.now();
  const c = process.cpuUsage();
  const v = await f();
  const u = process.cpuUsage(c);
  return [v, { wall: performance.now() - t, cpu: (u.user + u.system) / 1000 }];
};
const s1 = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
const sec = (t: Took) => `${s1(t.wall)} (${s1(t.cpu)})`;

async function stage<P>(kind: typeof diagnoseKind | typeof splitKind, spec: typeof diagnoseParams | typeof splitParams, inputs: Record<string, Record<string, string>>, read?: string) {
  const ctx = tempContext<P>({ name: kind.kind, spec, inputs });
  try {
    const [summary, ms] = await time(() => runKind(kind as never, ctx as never) as Promise<StageSummary>);
    return { summary, took: ms, file: read ? readFileSync(join(ctx.outDir, read), "utf8") : "" };
  } finally {
    ctx.cleanup();
  }
}

const args = process.argv.slice(2);
const sizesArg = args.indexOf("--sizes");
const sizes = sizesArg >= 0 ? args[sizesArg + 1]!.split(",").map(Number) : [1_000, 10_000, 100_000];
const dir = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--sizes");

console.log(`${new Date().toISOString()}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, load ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
console.log("wall time (CPU time of this process)");
console.log("| clips | per-attribute AUCs | metadata classifier (5-fold) | near-duplicates (pairs found, plan) | whole analysis | diagnose stage | split stage (auto → source) |");
console.log("|---:|---:|---:|---:|---:|---:|---:|");
for (const n of sizes) {
  const clips = synthetic(n);
  const labels = clips.map((c) => (c.label === "fake" ? 1 : 0));
  const opt = { folds: 5, seed: 0 };
  const [, tAuc] = await time(() => SOURCE_ATTRIBUTES.map((a) => attributeAuc(a, clips, labels, opt)));
  const [, tCls] = await time(() => metadataClassifierAuc(SOURCE_ATTRIBUTES.filter((a) => a.name !== "resolution"), clips, labels, opt));
  const [dups, tDup] = await time(() => nearDuplicates(clips, 8));
  const plan = planSearch(n, 4 * n, 8);
  const [, tAll] = await time(() => analyze(clips, { folds: 5, seed: 0, duplicate_distance: 8 }));
  const videos = jsonl(clips);
  const d = await stage<DiagnoseParams>(diagnoseKind, diagnoseParams, { extract: { "videos.jsonl": videos } }, "diagnostics.json");
  const s = await stage<SplitParams>(splitKind, splitParams, { extract: { "videos.jsonl": videos }, diagnose: { "diagnostics.json": d.file } }, "split.json");
  const grouped = (JSON.parse(s.file) as { group_by: string | null }).group_by;
  const planText = plan.kind === "pairs" ? "all pairs" : `${plan.chunks.filter((c) => c.radius >= 0).length}-chunk index`;
  console.log(
    `| ${n.toLocaleString("en-US")} | ${sec(tAuc)} | ${sec(tCls)} | ${sec(tDup)} (${dups.length.toLocaleString("en-US")}, ${planText}) | ${sec(tAll)} | ${sec(d.took)} | ${sec(s.took)} (${grouped ?? "none"}) |`,
  );
  if (n <= 10_000) {
    const [, tPairs] = await time(() => nearDuplicates(clips, 8, { kind: "pairs" }));
    console.log(`|   | | | all pairs, for comparison: ${sec(tPairs)} | | | |`);
  }
}

if (dir) {
  const videos = readVideos(dir);
  const [, t] = await time(() => analyze(videos, { folds: 5, seed: 0, duplicate_distance: 8 }));
  console.log(`${dir}: ${videos.length} clips, analysis ${sec(t)}`);
}
