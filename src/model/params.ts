// The params of fitting a detector: declared once for the runner (validation, defaults, JSON
// Schema) and once as the TypeScript type fitDetector() receives. The train stage uses them as its
// `with:`; a cross-validation stage can offer the same ones. Import-free on purpose (besides the
// backend names): the runner reads this on every run, cached or not, without loading tfjs.
// Transformer defaults are the researcher's model (seed_model.py).
import { BACKENDS, type BackendRequest } from "./backends.js";
import type { Json, ParamsSpec } from "../params.js";

export type ModelKind = "transformer" | "linear";

/** Clip-level statistics of each per-frame feature the linear probe reads. */
export const LINEAR_STATS = ["mean", "std", "q10", "q50", "q90", "min", "max", "diff"] as const;
export type LinearStat = (typeof LINEAR_STATS)[number];

export interface LinearParams {
  /** L2 penalty λ on the coefficients (mean class-balanced log-loss + λ/2·‖w‖²); null = chosen on val. */
  l2: number | null;
  stats: LinearStat[];
  max_iter: number;
}

export interface ModelParams {
  model: ModelKind;
  backend: BackendRequest;
  d_model: number;
  layers: number;
  heads: number;
  ff: number;
  dropout: number;
  pooling: "attention" | "mean";
  loss: { type: "focal" | "bce"; alpha: number; gamma: number };
  lr: number;
  weight_decay: number;
  clip_norm: number;
  batch_size: number;
  max_epochs: number;
  min_epochs: number;
  patience: number;
  seq_len: number;
  random_padding: boolean;
  seed: number;
  threads: number;
  linear: LinearParams;
}

/** The λ values tried when `linear.l2` is null (chosen by validation log-loss). */
export const L2_GRID = [1e-4, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10] as const;

/** A model kind's own settings are in train's cache key only with that kind (src/params.ts
 * `inKeyWhen`): the linear probe's penalty does not re-train a transformer, nor the other way. */
const forTransformer = (p: Readonly<Record<string, Json>>): boolean => p.model !== "linear";
const forLinear = (p: Readonly<Record<string, Json>>): boolean => p.model === "linear";

export const modelParams: ParamsSpec = {
  model: {
    type: "string",
    enum: ["transformer", "linear"],
    default: "transformer",
    doc: "transformer: the researcher's sequence model (TensorFlow.js); linear: an L2-regularised logistic regression on clip-level statistics of the features (the linear probe: fast, deterministic, often the better baseline on unseen generators)",
  },
  backend: {
    inKeyWhen: forTransformer,
    type: "string",
    enum: BACKENDS,
    default: "auto",
    doc: "TensorFlow.js backend (transformer only); auto = tfjs-node-gpu, then tfjs-node, then wasm, then cpu (the first that loads)",
  },
  d_model: { inKeyWhen: forTransformer, type: "number", integer: true, min: 1, default: 256, doc: "transformer: width of the encoder (input projection output)" },
  layers: { inKeyWhen: forTransformer, type: "number", integer: true, min: 1, default: 4, doc: "transformer: pre-norm encoder layers" },
  heads: { inKeyWhen: forTransformer, type: "number", integer: true, min: 1, default: 4, doc: "transformer: attention heads (must divide d_model)" },
  ff: { inKeyWhen: forTransformer, type: "number", integer: true, min: 1, default: 512, doc: "transformer: feed-forward hidden width per layer" },
  dropout: { inKeyWhen: forTransformer, type: "number", min: 0, max: 0.95, default: 0.1, doc: "transformer: dropout on attention weights, residual branches and the feed-forward hidden layer" },
  pooling: { inKeyWhen: forTransformer, type: "string", enum: ["attention", "mean"], default: "attention", doc: "transformer: attention = a learned query weighs the frames; mean = average of the real frames" },
  loss: {
    inKeyWhen: forTransformer,
    type: "object",
    doc: "transformer: classification loss",
    properties: {
      type: { type: "string", enum: ["focal", "bce"], default: "focal", doc: "focal loss or binary cross-entropy" },
      alpha: { type: "number", min: 0, max: 1, default: 0.5, doc: "focal: weight of the fake class (real gets 1 − alpha)" },
      gamma: { type: "number", min: 0, default: 2.0, doc: "focal: focusing exponent (0 = alpha-weighted BCE)" },
    },
  },
  lr: { inKeyWhen: forTransformer, type: "number", min: 0, default: 0.0001, doc: "transformer: Adam learning rate" },
  weight_decay: { inKeyWhen: forTransformer, type: "number", min: 0, default: 0, doc: "transformer: decoupled weight decay (AdamW) on weight matrices; 0 = Adam" },
  clip_norm: { inKeyWhen: forTransformer, type: "number", min: 0, default: 1.0, doc: "transformer: clip gradients to this global L2 norm" },
  batch_size: { inKeyWhen: forTransformer, type: "number", integer: true, min: 1, default: 8, doc: "transformer: clips per optimisation step" },
  max_epochs: { inKeyWhen: forTransformer, type: "number", integer: true, min: 1, default: 50, doc: "transformer: upper bound on epochs" },
  min_epochs: { inKeyWhen: forTransformer, type: "number", integer: true, min: 0, default: 10, doc: "transformer: never stop early before this many epochs" },
  patience: { inKeyWhen: forTransformer, type: "number", integer: true, min: 1, default: 5, doc: "transformer: stop after this many epochs without a lower validation loss (best weights are kept)" },
  seq_len: { inKeyWhen: forTransformer, type: "number", integer: true, min: 1, default: 64, doc: "transformer: frames per sequence: longer clips are cropped, shorter ones padded (masked)" },
  random_padding: { inKeyWhen: forTransformer, type: "boolean", default: true, doc: "transformer: while training, place each clip's frames at a random offset (centred in evaluation)" },
  seed: { inKeyWhen: forTransformer, type: "number", integer: true, default: 0, doc: "transformer: seed for weight init, shuffling, dropout and padding offsets" },
  threads: {
    inKeyWhen: forTransformer,
    type: "number", integer: true, min: 1, max: 64, default: 2,
    doc: "transformer: data-parallel training threads on the wasm/cpu backends (each computes part of every batch; ~1.5x faster with 2 free cores, slower when they are busy); results depend on it, like seed",
  },
  linear: {
    inKeyWhen: forLinear,
    type: "object",
    doc: "linear: the logistic-regression probe (used with model: linear)",
    properties: {
      l2: {
        type: "number", min: 0, nullable: true, default: 0.1,
        doc: `L2 penalty on the coefficients (objective: class-balanced mean log-loss + l2/2·‖w‖², features standardised); null = the value of ${L2_GRID.join(", ")} with the lowest validation log-loss`,
      },
      stats: {
        type: "array",
        items: { type: "string", enum: LINEAR_STATS },
        default: ["mean", "std", "q10", "q50", "q90", "diff"],
        doc: "per-feature clip statistics the probe reads: mean, std, q10/q50/q90 (quantiles over frames), min, max, diff (mean absolute frame-to-frame change)",
      },
      max_iter: { type: "number", integer: true, min: 1, default: 500, doc: "L-BFGS iterations at most (it stops earlier when converged)" },
    },
  },
};
