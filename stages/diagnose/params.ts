// diagnose's params: declared once for the runner (validation, defaults, JSON Schema) and once
// as the TypeScript type run() receives.
import type { ParamsSpec } from "../../src/params.js";

export type FailOn = "error" | "warn" | "never";

export interface DiagnoseParams {
  fail_on: FailOn;
  auc_warn: number;
  auc_error: number;
  folds: number;
  seed: number;
  duplicate_distance: number | null;
  imbalance_warn: number;
  frame_ratio_warn: number;
  frame_ratio_error: number;
}

export const diagnoseParams = {
  fail_on: {
    type: "string",
    enum: ["error", "warn", "never"],
    default: "never",
    doc: "fail the stage (after writing the report) when a finding reaches this severity",
  },
  auc_warn: { type: "number", min: 0.5, max: 1, default: 0.8, doc: "metadata AUC at which a shortcut is a warning" },
  auc_error: { type: "number", min: 0.5, max: 1, default: 0.95, doc: "metadata AUC at which a shortcut is an error" },
  folds: { type: "number", integer: true, min: 2, max: 50, default: 5, doc: "cross-validation folds for out-of-fold AUCs" },
  seed: { type: "number", integer: true, default: 0, doc: "seed of the fold assignment" },
  duplicate_distance: {
    type: "number",
    integer: true,
    min: 0,
    max: 64,
    default: 8,
    nullable: true,
    doc: "max mean Hamming distance (of 64 bits) between frame dHashes for two clips to be near-duplicates; null skips the check (an exact indexed search: ~7 s CPU at 100 000 clips, BENCHMARKS.md)",
  },
  imbalance_warn: { type: "number", min: 1, default: 1.5, doc: "majority/minority class ratio that is a warning" },
  frame_ratio_warn: { type: "number", min: 1, default: 1.5, doc: "ratio of class mean frame counts that is a warning" },
  frame_ratio_error: { type: "number", min: 1, default: 3, doc: "ratio of class mean frame counts that is an error" },
} as const satisfies ParamsSpec;
