// The scoring API for evaluate and predict: load a trained model directory and score clips'
// feature matrices (as extract writes them) in evaluation mode.
import * as tf from "@tensorflow/tfjs-core";
import type { Matrix } from "../lib/npy.js";
import { firstNonFinite, standardize } from "./batches.js";
import { useBackend, type BackendRequest } from "./backend.js";
import { loadModelFiles, type DfdMeta } from "./io.js";
import { scoreClips } from "./predict.js";
import { disposeWeights, weightsFrom } from "./weights.js";

export type { DfdMeta } from "./io.js";

export interface Detector {
  /** model/dfd.json: threshold, seq_len, feature_dims, normalization, extract params, backend... */
  meta: DfdMeta;
  /** The backend scoring runs on in this process. */
  backend: string;
  /** P(fake) in [0, 1] per clip, and one attention weight per input frame (sums to 1; frames
   * outside the seq_len window get 0). Throws on a clip with the wrong width, no frames or
   * non-finite values — score clips one at a time to isolate bad ones. */
  score(clips: Matrix[]): Promise<{ score: number; attention: number[] }[]>;
  dispose(): void;
}

/** modelDir: the train stage's model/ folder (or the train output dir holding it). */
export async function loadDetector(modelDir: string, opts: { backend?: string } = {}): Promise<Detector> {
  const choice = await useBackend((opts.backend ?? "auto") as BackendRequest);
  const { meta, config, tensors } = loadModelFiles(modelDir);
  const weights = weightsFrom(tensors, config);
  let disposed = false;
  return {
    meta,
    backend: choice.backend,
    async score(clips) {
      if (disposed) throw new Error("detector: score() after dispose()");
      const ready = clips.map((m, i) => {
        const where = clips.length > 1 ? `clip ${i}: ` : "";
        if (m.cols !== meta.feature_dims)
          throw new Error(`${where}features have ${m.cols} dims, the model was trained on ${meta.feature_dims} (extract params differ?)`);
        if (m.rows === 0) throw new Error(`${where}no frames`);
        const bad = firstNonFinite(m.data);
        if (bad >= 0) throw new Error(`${where}non-finite feature value at frame ${Math.floor(bad / m.cols)}, dim ${bad % m.cols}`);
        return standardize(m, meta.normalization);
      });
      if (tf.getBackend() !== choice.tfBackend) await tf.setBackend(choice.tfBackend);
      const r = scoreClips(weights, config, ready);
      return r.scores.map((score, i) => ({ score, attention: r.attention[i]! }));
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      disposeWeights(weights);
    },
  };
}
