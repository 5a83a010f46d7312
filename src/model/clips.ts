// A set of labelled clips as the model library reads them: by index, one clip at a time, so a
// trainer never needs every clip's features in memory (src/artifacts/features.ts reads them from
// the .npy files on demand; tests and small callers wrap matrices they already hold).
import type { Matrix } from "../lib/npy.js";

export interface ClipSet {
  /** Clip ids, in a fixed order (the order the split lists them). */
  readonly ids: readonly string[];
  /** 1 = fake, 0 = real, per clip. */
  readonly labels: readonly number[];
  /** Clip i's raw (unstandardised) per-frame features [frames, dims], checked: ≥ 1 frame, every
   * value finite, the same width as the others. May read from disk: a fresh matrix or a cached one,
   * never to be modified by the caller. */
  read(i: number): Matrix;
}

/** A ClipSet over matrices already in memory. */
export function memoryClips(ids: readonly string[], labels: readonly number[], clips: readonly Matrix[]): ClipSet {
  if (ids.length !== labels.length || ids.length !== clips.length)
    throw new Error(`clip set: ${ids.length} ids, ${labels.length} labels, ${clips.length} clips`);
  return { ids, labels, read: (i) => clips[i]! };
}

/** Reads clips [start, end) of a set. */
export function readRange(set: ClipSet, start: number, end: number): Matrix[] {
  const out: Matrix[] = [];
  for (let i = start; i < Math.min(end, set.ids.length); i++) out.push(set.read(i));
  return out;
}

/** Counts of each class. */
export function classCounts(labels: readonly number[]): { real: number; fake: number } {
  let fake = 0;
  for (const l of labels) if (l === 1) fake++;
  return { real: labels.length - fake, fake };
}
