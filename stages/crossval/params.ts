// crossval's params: the runner validates `with:` against this spec; the kind receives
// CrossvalParams. `train:` holds the model's params (the same ones the train stage takes).
import type { ParamsSpec } from "../../src/params.js";
import { modelParams, type ModelKind, type ModelParams } from "../../src/model/params.js";

export type CrossvalGroupBy = "auto" | "source" | "group";

export interface CrossvalParams {
  folds: number | null;
  group_by: CrossvalGroupBy;
  val: number;
  seed: number;
  repeats: number;
  models: ModelKind[];
  bootstrap: number;
  augmented: boolean;
  train: ModelParams;
}

export const crossvalParams: ParamsSpec = {
  folds: {
    type: "number", integer: true, min: 2, nullable: true, default: 5,
    doc: "K folds of whole source groups (balanced by class); null = leave one source group out (one model per group)",
  },
  group_by: {
    type: "string", enum: ["auto", "source", "group"], default: "auto",
    doc: "what a held-out unit is: auto = clips sharing a source or a group stay together (the group column when there is one, else source); source; group",
  },
  val: {
    type: "number", min: 0, max: 0.5, default: 0.15,
    doc: "share of each fold's training groups (per class) held out for early stopping and the decision threshold; 0 = none (threshold 0.5)",
  },
  seed: { type: "number", integer: true, default: 0, doc: "seed of the fold assignment and the bootstrap" },
  repeats: {
    type: "number", integer: true, min: 1, max: 20, default: 1,
    doc: "repeated K-fold: the fold assignment drawn this many times (seeds seed, seed + 1, ...), every number the mean over repeats — with few source groups one assignment's luck moves the mean AUC by ±0.05",
  },
  models: {
    type: "array", items: { type: "string", enum: ["transformer", "linear"] }, default: ["transformer"],
    doc: "models to cross-validate, each on the same folds (transformer, linear); train.model is ignored",
  },
  bootstrap: { type: "number", integer: true, min: 0, default: 1000, doc: "bootstrap resamples for the 95 % intervals; 0 = none" },
  augmented: {
    type: "boolean", default: true,
    doc: "also train on the re-encoded variants of each fold's training clips when the features have them (extract's augment:); never on val or test clips",
  },
  train: { type: "object", doc: "the models' params (the train stage's: src/model/params.ts)", properties: modelParams },
};
