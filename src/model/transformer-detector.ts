// The transformer behind the Detector interface (src/model/detector.ts): standardise with the
// saved normalisation, centred placement, no dropout, on the chosen TensorFlow.js backend.
import * as tf from "@tensorflow/tfjs-core";
import type { TransformerMeta } from "../artifacts/model.js";
import { standardize } from "./batches.js";
import { useBackend, type BackendChoice, type BackendRequest } from "./backend.js";
import type { ModelConfig } from "./config.js";
import { checkClips, type Detector } from "./detector.js";
import { loadModelFiles } from "./io.js";
import { scoreClips } from "./predict.js";
import { disposeWeights, weightsFrom, type Weights } from "./weights.js";

export async function loadTransformerDetector(modelDir: string, opts: { backend?: string } = {}): Promise<Detector> {
  const choice = await useBackend((opts.backend ?? "auto") as BackendRequest);
  const { meta, config, tensors } = loadModelFiles(modelDir);
  return transformerDetector(weightsFrom(tensors, config), config, meta, choice);
}

/** A Detector over weights in memory (loaded, or just trained: then it owns them). */
export function transformerDetector(weights: Weights, config: ModelConfig, meta: TransformerMeta, choice: BackendChoice): Detector {
  let disposed = false;
  return {
    kind: "transformer",
    meta,
    backend: choice.backend,
    async score(clips) {
      if (disposed) throw new Error("detector: score() after dispose()");
      checkClips(clips, meta.feature_dims);
      const ready = clips.map((m) => standardize(m, meta.normalization));
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
