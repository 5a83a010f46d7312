// Evaluation-mode scoring shared by training (validation each epoch) and the Detector: clips are
// placed centred, no dropout, scores are sigmoid(logit) and the pooling weights are mapped back
// to the clip's own frames (frames cropped out of the window get weight 0).
import * as tf from "@tensorflow/tfjs-core";
import type { Matrix } from "../lib/npy.js";
import { packBatch, placeClip } from "./batches.js";
import type { ModelConfig } from "./config.js";
import { forward } from "./transformer.js";
import type { Weights } from "./weights.js";

export interface ClipScores {
  /** Per clip P(fake). */
  scores: number[];
  /** Per clip the raw logit. */
  logits: number[];
  /** Per clip one weight per input frame (sums to 1). */
  attention: number[][];
}

export function scoreClips(w: Weights, c: ModelConfig, clips: Matrix[], batchSize = 32): ClipScores {
  const out: ClipScores = { scores: [], logits: [], attention: [] };
  for (let i = 0; i < clips.length; i += batchSize) {
    const part = clips.slice(i, i + batchSize);
    const windows = part.map((m) => placeClip(m.rows, c.seqLen));
    const b = packBatch(part, c.seqLen, windows);
    const [logits, pool] = tf.tidy(() => {
      const x = tf.tensor3d(b.x, [b.batch, b.seqLen, b.dims]);
      const mask = tf.tensor2d(b.mask, [b.batch, b.seqLen]);
      const r = forward(w, c, x, mask);
      return [r.logits, r.pool];
    });
    const lv = logits!.dataSync(), pv = pool!.dataSync();
    logits!.dispose();
    pool!.dispose();
    part.forEach((m, j) => {
      const z = lv[j]!;
      out.logits.push(z);
      out.scores.push(1 / (1 + Math.exp(-z)));
      const att = new Array<number>(m.rows).fill(0);
      const win = windows[j]!;
      for (let t = 0; t < win.count; t++) att[win.start + t] = pv[j * c.seqLen + win.offset + t]!;
      out.attention.push(att);
    });
  }
  return out;
}
