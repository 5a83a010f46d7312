// Turning variable-length clips ([frames, dims] matrices) into fixed [batch, seq_len, dims]
// batches with a 0/1 frame mask. Longer clips are cropped to a window, shorter ones padded with
// zeros; where the real frames sit is the "placement": centred for evaluation, random while
// training with random_padding (so the model cannot learn where padding starts).
import type { Matrix } from "../lib/npy.js";
import type { Rng } from "./rng.js";

export interface Normalization {
  mean: number[];
  std: number[];
}

/** Where a clip lands in its sequence: rows [start, start+count) go to positions [offset, …). */
export interface Window {
  start: number;
  offset: number;
  count: number;
}

/** Centred window (evaluation), or a random one when `rng` is given (training). */
export function placeClip(rows: number, seqLen: number, rng?: Rng): Window {
  const count = Math.min(rows, seqLen);
  const slack = Math.abs(rows - seqLen);
  const shift = rng ? rng.int(slack + 1) : Math.floor(slack / 2);
  return rows > seqLen ? { start: shift, offset: 0, count } : { start: 0, offset: shift, count };
}

export interface Batch {
  /** [batch, seq_len, dims] standardised features, zeros on padding. */
  x: Float32Array;
  /** [batch, seq_len], 1 = real frame. */
  mask: Float32Array;
  windows: Window[];
  batch: number;
  seqLen: number;
  dims: number;
}

/** Packs clips (already standardised) into one batch. */
export function packBatch(clips: Matrix[], seqLen: number, windows: Window[]): Batch {
  const dims = clips[0]?.cols ?? 0;
  const x = new Float32Array(clips.length * seqLen * dims);
  const mask = new Float32Array(clips.length * seqLen);
  clips.forEach((c, b) => {
    const w = windows[b]!;
    x.set(c.data.subarray(w.start * dims, (w.start + w.count) * dims), (b * seqLen + w.offset) * dims);
    mask.fill(1, b * seqLen + w.offset, b * seqLen + w.offset + w.count);
  });
  return { x, mask, windows, batch: clips.length, seqLen, dims };
}

/** Per-feature mean and (sample) standard deviation over every frame of the training clips
 * (std 1 for a constant feature). One streaming pass: clips may come from disk one at a time. */
export function computeNormalization(clips: Iterable<Matrix>): Normalization {
  let dims = -1;
  let sum = new Float64Array(0), sumSq = new Float64Array(0);
  let n = 0;
  for (const c of clips) {
    if (dims < 0) {
      dims = c.cols;
      sum = new Float64Array(dims);
      sumSq = new Float64Array(dims);
    }
    for (let r = 0; r < c.rows; r++)
      for (let j = 0; j < dims; j++) {
        const v = c.data[r * dims + j]!;
        sum[j]! += v;
        sumSq[j]! += v * v;
      }
    n += c.rows;
  }
  const mean = Array.from(sum, (s) => (n ? s / n : 0));
  const std = Array.from(sumSq, (s, j) => {
    const variance = n > 1 ? Math.max(0, (s - n * mean[j]! ** 2) / (n - 1)) : 0;
    // a feature constant over the train set carries nothing; dividing by ~0 would only turn tiny
    // differences in new clips into huge inputs, so leave it unscaled
    const sd = Math.sqrt(variance);
    return sd < 1e-6 ? 1 : sd + 1e-6;
  });
  return { mean, std };
}

/** (x − mean) / std per feature, as a new matrix. */
export function standardize(m: Matrix, norm: Normalization): Matrix {
  const out = new Float32Array(m.data.length);
  const dims = m.cols;
  for (let r = 0; r < m.rows; r++)
    for (let j = 0; j < dims; j++) out[r * dims + j] = (m.data[r * dims + j]! - norm.mean[j]!) / norm.std[j]!;
  return { data: out, rows: m.rows, cols: m.cols };
}

export { firstNonFinite } from "../lib/npy.js";
