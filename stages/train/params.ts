// train's params: declared once for the runner (validation, defaults, JSON Schema) and once as
// the TypeScript type run() receives. Defaults are the researcher's model (seed_model.py).
import { BACKENDS, type BackendRequest } from "../../src/model/backends.js";
import type { ParamsSpec } from "../../src/params.js";

export interface TrainParams {
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
}

export const trainParams: ParamsSpec = {
  backend: {
    type: "string",
    enum: BACKENDS,
    default: "auto",
    doc: "TensorFlow.js backend; auto = tfjs-node-gpu, then tfjs-node, then wasm, then cpu (the first that loads)",
  },
  d_model: { type: "number", integer: true, min: 1, default: 256, doc: "width of the encoder (input projection output)" },
  layers: { type: "number", integer: true, min: 1, default: 4, doc: "pre-norm transformer encoder layers" },
  heads: { type: "number", integer: true, min: 1, default: 4, doc: "attention heads (must divide d_model)" },
  ff: { type: "number", integer: true, min: 1, default: 512, doc: "feed-forward hidden width per layer" },
  dropout: { type: "number", min: 0, max: 0.95, default: 0.1, doc: "dropout on attention weights, residual branches and the feed-forward hidden layer" },
  pooling: { type: "string", enum: ["attention", "mean"], default: "attention", doc: "attention: a learned query weighs the frames; mean: average of the real frames" },
  loss: {
    type: "object",
    doc: "classification loss",
    properties: {
      type: { type: "string", enum: ["focal", "bce"], default: "focal", doc: "focal loss or binary cross-entropy" },
      alpha: { type: "number", min: 0, max: 1, default: 0.5, doc: "focal: weight of the fake class (real gets 1 − alpha)" },
      gamma: { type: "number", min: 0, default: 2.0, doc: "focal: focusing exponent (0 = alpha-weighted BCE)" },
    },
  },
  lr: { type: "number", min: 0, default: 0.0001, doc: "Adam learning rate" },
  weight_decay: { type: "number", min: 0, default: 0, doc: "decoupled weight decay (AdamW) on weight matrices; 0 = Adam" },
  clip_norm: { type: "number", min: 0, default: 1.0, doc: "clip gradients to this global L2 norm" },
  batch_size: { type: "number", integer: true, min: 1, default: 8, doc: "clips per optimisation step" },
  max_epochs: { type: "number", integer: true, min: 1, default: 50, doc: "upper bound on epochs" },
  min_epochs: { type: "number", integer: true, min: 0, default: 10, doc: "never stop early before this many epochs" },
  patience: { type: "number", integer: true, min: 1, default: 5, doc: "stop after this many epochs without a lower validation loss (best weights are kept)" },
  seq_len: { type: "number", integer: true, min: 1, default: 64, doc: "frames per sequence: longer clips are cropped, shorter ones padded (masked)" },
  random_padding: { type: "boolean", default: true, doc: "while training, place each clip's frames at a random offset (centred in evaluation)" },
  seed: { type: "number", integer: true, default: 0, doc: "seed for weight init, shuffling, dropout and padding offsets" },
  threads: {
    type: "number", integer: true, min: 1, max: 64, default: 2,
    doc: "data-parallel training threads on the wasm/cpu backends (each computes part of every batch; ~1.5x faster with 2 free cores, slower when they are busy); results depend on it, like seed",
  },
};
