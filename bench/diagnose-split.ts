// Diagnose and split on synthetic clip lists of growing size (metadata only: these stages never
// read pixels), phase by phase, plus the stage on the shared clip set's real videos.jsonl when a
// path to one is given. Run: node --import tsx bench/diagnose-split.ts [path/to/extract/output]
import { performance } from "node:perf_hooks";
import { cpus } from "node:os";
import { SOURCE_ATTRIBUTES } from "../stages/diagnose/attributes.js";
import { analyze } from "../stages/diagnose/analyze.js";
import { metadataClassifierAuc } from "../stages/diagnose/classifier.js";
import { nearDuplicates } from "../stages/diagnose/duplicates.js";
import { attributeAuc } from "../stages/diagnose/shortcut.js";
import { seq, video } from "../test/helpers/stage-context.js";
import { readVideos, type VideoRecord } from "../src/artifacts/features.js";
import { largestRemainder } from "../stages/split/allocate.js";
import { assignUnits, SETS } from "../stages/split/assign.js";
import { buildUnits } from "../stages/split/units.js";

function synthetic(n: number): VideoRecord[] {
  const r = seq(n);
  const hex = () => Math.floor(r() * 2 ** 32).toString(16).padStart(8, "0");
  return Array.from({ length: n }, (_, i) => {
    const fake = i % 2 === 1;
    const frames = fake ? 8 + 8 * Math.floor(3 * r()) : 24 + Math.floor(100 * r());
    return video({
      id: `c${i}`,
      label: fake ? "fake" : "real",
      source: `s${Math.floor(r() * 40)}`,
      frames,
      source_frames: frames,
      fps: fake ? [8, 8.33, 24][Math.floor(3 * r())]! : [25, 29.97, 30][Math.floor(3 * r())]!,
      width: [512, 640, 1280][Math.floor(3 * r())]!,
      codec: fake && r() < 0.8 ? "gif" : "h264",
      bytes: 1e5 + 1e6 * r(),
      bitrate: 4e5 + 4e6 * r(),
      phash: Array.from({ length: 4 }, () => hex() + hex()),
    });
  });
}

const time = <T>(f: () => T): [T, number] => {
  const t = performance.now();
  const v = f();
  return [v, performance.now() - t];
};
const ms = (x: number) => (x < 10 ? x.toFixed(1) : Math.round(x).toString()).padStart(7);

console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${new Date().toISOString()}`);
console.log("clips    per-attribute AUCs  classifier  near-dups  whole analyze  split(group_by source)   (ms)");
for (const n of [1_000, 5_000, 10_000]) {
  const clips = synthetic(n);
  const labels = clips.map((c) => (c.label === "fake" ? 1 : 0));
  const opt = { folds: 5, seed: 0 };
  const [, tAuc] = time(() => SOURCE_ATTRIBUTES.map((a) => attributeAuc(a, clips, labels, opt)));
  const [, tCls] = time(() => metadataClassifierAuc(SOURCE_ATTRIBUTES, clips, labels, opt));
  const [, tDup] = time(() => nearDuplicates(clips, 8));
  const [, tAll] = time(() => analyze(clips, { folds: 5, seed: 0, duplicate_distance: 8 }));
  const [, tSplit] = time(() => {
    const u = buildUnits(clips, "source", []);
    const real = largestRemainder(n / 2, [0.7, 0.15, 0.15]);
    const fake = largestRemainder(n / 2, [0.7, 0.15, 0.15]);
    return assignUnits(u.units, SETS.map((_, s) => [real[s]!, fake[s]!] as [number, number]), 0);
  });
  console.log(`${String(n).padStart(6)}  ${ms(tAuc)}            ${ms(tCls)}    ${ms(tDup)}  ${ms(tAll)}        ${ms(tSplit)}`);
}

const dir = process.argv[2];
if (dir) {
  const videos = readVideos(dir);
  const [, t] = time(() => analyze(videos, { folds: 5, seed: 0, duplicate_distance: 8 }));
  console.log(`${dir}: ${videos.length} clips, analyze ${ms(t)} ms`);
}
