// PROVISIONAL: the model params crossval trains with, until the model library (src/model: one
// params spec and fitDetector() for the transformer and the linear probe) lands in main. Then this
// file goes and crossval imports the library's spec. Same names and defaults as the train stage.
import { BACKENDS, type BackendRequest } from "../../src/model/backends.js";
import type { ParamsSpec } from "../../src/params.js";

export const MODEL_KINDS = ["transformer", "linear"] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export interface ModelParams {
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
  linear: { l2: number };
}

export const modelParams: ParamsSpec = {
  backend: { type: "string", enum: BACKENDS, default: "auto", doc: "TensorFlow.js backend for the transformer" },
  d_model: { type: "number", integer: true, min: 1, default: 256, doc: "transformer: encoder width" },
  layers: { type: "number", integer: true, min: 1, default: 4, doc: "transformer: encoder layers" },
  heads: { type: "number", integer: true, min: 1, default: 4, doc: "transformer: attention heads" },
  ff: { type: "number", integer: true, min: 1, default: 512, doc: "transformer: feed-forward width" },
  dropout: { type: "number", min: 0, max: 0.95, default: 0.1, doc: "transformer: dropout" },
  pooling: { type: "string", enum: ["attention", "mean"], default: "attention", doc: "transformer: frame pooling" },
  loss: {
    type: "object",
    doc: "transformer: classification loss",
    properties: {
      type: { type: "string", enum: ["focal", "bce"], default: "focal", doc: "focal loss or binary cross-entropy" },
      alpha: { type: "number", min: 0, max: 1, default: 0.5, doc: "focal: weight of the fake class" },
      gamma: { type: "number", min: 0, default: 2.0, doc: "focal: focusing exponent" },
    },
  },
  lr: { type: "number", min: 0, default: 0.0001, doc: "transformer: Adam learning rate" },
  weight_decay: { type: "number", min: 0, default: 0, doc: "transformer: decoupled weight decay" },
  clip_norm: { type: "number", min: 0, default: 1.0, doc: "transformer: gradient clipping (global norm)" },
  batch_size: { type: "number", integer: true, min: 1, default: 8, doc: "transformer: clips per step" },
  max_epochs: { type: "number", integer: true, min: 1, default: 50, doc: "transformer: epochs at most" },
  min_epochs: { type: "number", integer: true, min: 0, default: 10, doc: "transformer: epochs before early stopping" },
  patience: { type: "number", integer: true, min: 1, default: 5, doc: "transformer: early-stopping patience" },
  seq_len: { type: "number", integer: true, min: 1, default: 64, doc: "transformer: frames per sequence" },
  random_padding: { type: "boolean", default: true, doc: "transformer: random placement while training" },
  seed: { type: "number", integer: true, default: 0, doc: "seed of the model's initialisation and shuffling" },
  threads: { type: "number", integer: true, min: 1, max: 64, default: 2, doc: "transformer: data-parallel threads (wasm/cpu)" },
  linear: {
    type: "object",
    doc: "the linear probe: L2-regularised logistic regression on each feature's clip mean and std",
    properties: { l2: { type: "number", min: 0, default: 0.1, doc: "L2 penalty (class-balanced mean log-loss + l2/2·‖w‖²)" } },
  },
};
