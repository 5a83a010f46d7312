// Per-frame cost of each feature extractor (ms/frame on one core), on real decoded frames when
// ../shared/data is there (else on seeded noise), and a determinism check (same bytes → same
// floats). Numbers go to BENCHMARKS.md ("Detector").
//
//   node --import tsx bench/features.ts [--size 128] [--frames 64] [--extractors forensic-v1,forensic-v2]
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { EXTRACTORS } from "../src/features/builtins.js";
import { decodeClip } from "../src/video/frames.js";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "128" },
    frames: { type: "string", default: "64" },
    extractors: { type: "string", default: Object.keys(EXTRACTORS).join(",") },
    rounds: { type: "string", default: "3" },
  },
});
const size = Number(values.size);
const want = Number(values.frames);
const clip = join(import.meta.dirname, "../../shared/data/clips/real/decord__flipping_a_pancake.mkv");

async function frames(): Promise<{ frames: Uint8Array[]; from: string }> {
  if (existsSync(clip)) {
    const out: Uint8Array[] = [];
    const d = decodeClip(clip, { fps: null, size, resize: "scale", normalizeFormat: false, thumbs: false });
    for await (const f of d.frames) {
      out.push(f);
      if (out.length === want) break;
    }
    await d.close();
    if (out.length) return { frames: out, from: clip };
  }
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return { frames: Array.from({ length: want }, () => Uint8Array.from({ length: size * size * 3 }, () => Math.floor(rand() * 256))), from: "seeded noise" };
}

const { frames: fs, from } = await frames();
process.stdout.write(`${fs.length} frames ${size}×${size} from ${from}\n| extractor | dims | ms/frame (best of ${values.rounds}) | deterministic |\n|---|---|---|---|\n`);
for (const name of values.extractors!.split(",")) {
  const e = EXTRACTORS[name];
  if (!e) throw new Error(`unknown extractor ${name}`);
  let best = Infinity;
  let first: Float32Array[] = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    const t0 = performance.now();
    const out: Float32Array[] = [];
    for (const [i, f] of fs.entries()) out.push(await e.frame(f, size, size, fs[i === 0 ? 1 : i - 1]));
    best = Math.min(best, (performance.now() - t0) / fs.length);
    if (r === 0) first = out;
    else if (out.some((v, i) => Buffer.compare(Buffer.from(v.buffer), Buffer.from(first[i]!.buffer)) !== 0)) throw new Error(`${name}: round ${r} differs from round 0`);
  }
  process.stdout.write(`| ${name} | ${e.dims} | ${best.toFixed(2)} | yes |\n`);
}
