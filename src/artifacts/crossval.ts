// The `crossval` artifact: crossval.json (the fold plan and, per model, per-fold, per-source and
// overall numbers), with predictions.jsonl (one out-of-fold score per clip and model) beside it.
// Written by the crossval stage; read by anything that compares feature sets or models across
// runs. One module: the types, the writer and the checked reader.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeJsonl } from "../lib/jsonl.js";
import type { Json } from "../params.js";
import { findInput, type StageContext } from "../stage.js";
import { readJsonFile } from "./json.js";

export const CROSSVAL_FILE = "crossval.json";
export const CROSSVAL_PREDICTIONS_FILE = "predictions.jsonl";

/** The one needed stage whose output provides cross-validation results, or a clear error. */
export function crossvalInput(ctx: Pick<StageContext<unknown>, "name" | "inputs">): string {
  return findInput(ctx, { artifact: "crossval", marker: CROSSVAL_FILE });
}

/** crossval.json. */
export interface CrossvalJson {
  features: { name: string | null; dims: number | null; extract: Record<string, Json> | null };
  folds: number | null;
  group_by: string;
  seed: number;
  /** Fold assignments drawn (seeds seed, seed + 1, ...). */
  repeats: number;
  clips: number;
  units: number;
  ungrouped: number;
  plan: { repeat?: number; fold: number; held_out: string[]; train: number; val: number; test: number }[];
  models: Record<string, ModelReport>;
}

export interface FoldReport {
  /** 1-based repeat of the fold assignment (present with repeats > 1). */
  repeat?: number;
  /** 1-based, as printed. */
  fold: number;
  held_out: string[];
  train: number;
  val: number;
  n: number;
  real: number;
  fake: number;
  auc: number | null;
  threshold: number;
  /** Share of the held-out fakes scored at or above the threshold. */
  fake_recall: number | null;
  /** Share of the held-out reals scored below it. */
  real_recall: number | null;
  facts: Record<string, Json>;
}

export interface SourceReport {
  source: string;
  label: "real" | "fake" | "mixed";
  n: number;
  fold: number;
  /** Share of its clips classified as their own class at the fold's threshold. */
  recall: number;
  mean_score: number;
  /** AUC of its clips against every held-out clip of the other class (all folds); null for a
   * mixed source. */
  auc: number | null;
  /** The same against the other class within its own fold (one model); null when the fold has none. */
  auc_in_fold: number | null;
}

export interface ModelReport {
  model: string;
  folds: FoldReport[];
  sources: SourceReport[];
  /** Mean of the fold AUCs that are defined. */
  auc: number | null;
  auc_ci95: [number, number] | null;
  folds_with_auc: number;
  /** AUC of all out-of-fold scores together (different folds' models, compared as they are). */
  pooled_auc: number | null;
  pooled_auc_ci95: [number, number] | null;
  /** Mean over sources of their `auc`. */
  mean_source_auc: number | null;
  /** (fake recall + real recall) / 2 over all clips, each at its fold's threshold. */
  balanced_accuracy: number | null;
  /** With repeats > 1: each repeat's seed, mean fold AUC and pooled AUC (the numbers above are their means). */
  repeats?: { seed: number; auc: number | null; pooled_auc: number | null }[];
  notes: string[];
}

/** One out-of-fold score (a predictions.jsonl row). */
export interface CrossvalPrediction {
  id: string;
  model: string;
  /** 1-based repeat (with repeats > 1) and fold that held the clip out. */
  repeat?: number;
  fold: number;
  label: "real" | "fake";
  source: string | null;
  group: string | null;
  path: string;
  score: number;
  threshold: number;
}

export function writeCrossval(dir: string, r: CrossvalJson, predictions: readonly CrossvalPrediction[]): void {
  writeFileSync(join(dir, CROSSVAL_FILE), JSON.stringify(r, null, 1) + "\n");
  writeJsonl(join(dir, CROSSVAL_PREDICTIONS_FILE), predictions);
}

/** crossval.json, checked for what readers rely on: a models object whose entries have folds and sources. */
export function readCrossval(dir: string): CrossvalJson {
  const file = join(dir, CROSSVAL_FILE);
  const r = readJsonFile<CrossvalJson>(file, "the crossval stage's output");
  if (typeof r !== "object" || r === null || typeof r.models !== "object" || r.models === null) throw new Error(`${file}: expected an object with "models"`);
  for (const [name, m] of Object.entries(r.models))
    if (!Array.isArray(m?.folds) || !Array.isArray(m?.sources)) throw new Error(`${file}: models.${name} needs "folds" and "sources" lists`);
  return r;
}
