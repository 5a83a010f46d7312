// One fold's model: fit on the training clips (early stopping and the threshold on the fold's
// validation clips), then score the held-out clips. The one place crossval meets the model code.
// PROVISIONAL shape until the model library (fitDetector for transformer and linear) lands.
import type { Matrix } from "../../src/lib/npy.js";
import { f1OptimalThreshold } from "../../src/lib/metrics.js";
import type { Json } from "../../src/params.js";
import { fitLinear, scoreLinear } from "./linear.js";
import type { ModelKind, ModelParams } from "./model-params.js";

export interface Labelled {
  clips: Matrix[];
  /** 1 = fake, 0 = real. */
  labels: number[];
}

export interface FoldFit {
  /** P(fake) per held-out clip, in input order. */
  scores: number[];
  /** Decision threshold (F1-optimal on val; 0.5 without a two-class val set). */
  threshold: number;
  /** Small facts for the report (epochs, backend...). */
  facts: Record<string, Json>;
}

export async function fitAndScore(kind: ModelKind, p: ModelParams, train: Labelled, val: Labelled, test: Matrix[], signal: AbortSignal): Promise<FoldFit> {
  if (kind === "linear") {
    const model = fitLinear(train.clips, train.labels, p.linear.l2);
    const valScores = scoreLinear(model, val.clips);
    return { scores: scoreLinear(model, test), threshold: threshold(valScores, val.labels), facts: { features: model.w.length - 1 } };
  }
  const [{ computeNormalization, standardize }, { useBackend }, { validateConfig }, { fit }, { scoreClips }, { disposeWeights }] = await Promise.all([
    import("../../src/model/batches.js"),
    import("../../src/model/backend.js"),
    import("../../src/model/config.js"),
    import("../../src/model/train.js"),
    import("../../src/model/predict.js"),
    import("../../src/model/weights.js"),
  ]);
  const norm = computeNormalization(train.clips);
  const std = (ms: Matrix[]) => ms.map((m) => standardize(m, norm));
  const config = {
    inputDims: train.clips[0]!.cols, dModel: p.d_model, layers: p.layers, heads: p.heads, ff: p.ff,
    dropout: p.dropout, pooling: p.pooling, seqLen: p.seq_len,
  };
  validateConfig(config);
  const choice = await useBackend(p.backend);
  const result = await fit({ ids: [], clips: std(train.clips), labels: train.labels }, { ids: [], clips: std(val.clips), labels: val.labels }, {
    config,
    loss: p.loss.type === "focal" ? { type: "focal", alpha: p.loss.alpha, gamma: p.loss.gamma } : { type: "bce" },
    lr: p.lr, weightDecay: p.weight_decay, clipNorm: p.clip_norm, batchSize: p.batch_size,
    maxEpochs: p.max_epochs, minEpochs: p.min_epochs, patience: p.patience,
    randomPadding: p.random_padding, seed: p.seed, threads: p.threads, signal,
  });
  try {
    const scores = scoreClips(result.weights, config, std(test)).scores;
    return {
      scores,
      threshold: result.threshold,
      facts: { backend: choice.backend, epochs: result.history.length, best_epoch: result.bestEpoch, threads: result.threads },
    };
  } finally {
    disposeWeights(result.weights);
  }
}

function threshold(scores: number[], labels: number[]): number {
  return labels.includes(0) && labels.includes(1) ? f1OptimalThreshold(scores, labels) : 0.5;
}
