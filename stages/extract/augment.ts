// Re-encoding augmentation (training time only): besides a clip's own features, extract can write
// the features of `variants` re-encoded copies of it — H.264 at a random CRF, scaled by a random
// factor, optionally at another frame rate, as upload platforms do to every clip — so a model can
// learn traces that survive that. Each variant's settings are drawn from a PRNG seeded by (seed,
// clip id, variant), so they are the same on every machine and run. The recipe's format control
// (if any) still applies after the variant's re-encode; predict never augments.
// Readers use the variants of training clips only (src/artifacts/features.ts `augmented`).
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { AugmentedFeatures } from "../../src/artifacts/features.js";
import { mulberry32 } from "../../src/lib/random.js";
import type { ParamsSpec } from "../../src/params.js";
import type { Reencode } from "../../src/video/frames.js";
import type { ClipTaskResult } from "./worker.js";

export interface AugmentParams {
  variants: number;
  seed: number;
  crf_min: number;
  crf_max: number;
  scale_min: number;
  scale_max: number;
  /** Frame rates to pick from (with "keep"); empty = keep the clip's. */
  fps: number[];
}

export const augmentParams: ParamsSpec = {
  variants: { type: "number", integer: true, min: 0, max: 16, default: 0, doc: "re-encoded variants per clip whose features are written beside the clip's (training-time augmentation); 0 = none" },
  seed: { type: "number", integer: true, default: 0, doc: "seed of the variants' random settings" },
  crf_min: { type: "number", min: 0, max: 51, default: 23, doc: "lowest x264 CRF a variant is encoded at" },
  crf_max: { type: "number", min: 0, max: 51, default: 38, doc: "highest x264 CRF" },
  scale_min: { type: "number", min: 0.1, max: 1, default: 0.5, doc: "smallest scale factor of a variant (both sides)" },
  scale_max: { type: "number", min: 0.1, max: 1, default: 1, doc: "largest scale factor" },
  fps: { type: "array", items: { type: "number", min: 1 }, default: [], doc: "frame rates a variant may be resampled to (each as likely as keeping the clip's); [] = keep" },
};

/** The re-encodes of a clip's variants, in variant order. */
export function variantsFor(id: string, p: AugmentParams | undefined): Reencode[] {
  if (!p?.variants) return [];
  if (p.crf_min > p.crf_max) throw new Error(`extract: augment.crf_min ${p.crf_min} is above augment.crf_max ${p.crf_max}`);
  if (p.scale_min > p.scale_max) throw new Error(`extract: augment.scale_min ${p.scale_min} is above augment.scale_max ${p.scale_max}`);
  return Array.from({ length: p.variants }, (_, k) => {
    const seed = createHash("sha256").update(`${p.seed}\0${id}\0${k}`).digest().readUInt32LE(0);
    const r = mulberry32(seed);
    const crf = Math.round(p.crf_min + r() * (p.crf_max - p.crf_min));
    const scale = Math.round(100 * (p.scale_min + r() * (p.scale_max - p.scale_min))) / 100;
    const pick = Math.floor(r() * (p.fps.length + 1));
    return { crf, scale, fps: pick < p.fps.length ? p.fps[pick]! : null };
  });
}

/** Computes the features of each of a clip's variants (through `run`, the clip pool) into
 * features/<id>.aug<k>.npy under `outDir`; returns the videos.jsonl `augmented` entries. */
export async function augmentClip(
  id: string,
  file: string,
  outDir: string,
  run: (task: { file: string; out: string; augment: Reencode }) => Promise<ClipTaskResult>,
  p: AugmentParams | undefined,
): Promise<AugmentedFeatures[]> {
  const out: AugmentedFeatures[] = [];
  for (const [k, v] of variantsFor(id, p).entries()) {
    const rel = `features/${id}.aug${k + 1}.npy`;
    const r = await run({ file, out: join(outDir, rel), augment: v });
    const settings = { crf: v.crf, scale: v.scale ?? 1, fps: v.fps ?? null };
    out.push(r.ok ? { features: rel, frames: r.rows, ...settings, error: null } : { features: null, frames: 0, ...settings, error: r.error.split("\n")[0]! });
  }
  return out;
}
