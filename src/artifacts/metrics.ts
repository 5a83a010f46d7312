// The `metrics` artifact: evaluate's metrics.json. Written by evaluate; read by the report, `dfd
// runs/compare` readers and users' scripts through this module.
//
//   { threshold, threshold_source,               the model's decision threshold and how it was chosen
//     val, test, train: SetMetrics | null,       src/lib/metrics.ts (train: null with score_train: false)
//     per_source: test.per_source,
//     counts: {val|test|train: {clips, scored, real, fake}, excluded},
//     excluded: [{id, split, reason}],           clips not scored
//     test_set: {clips, sha256},                 identity of the test set (sha256 of its sorted ids)
//     findings: [Finding],                       evaluation sanity findings (e.g. a wide AUC interval)
//     model: {kind, backend, scored_on, seq_len, feature_dims} }
// Deterministic: the same model, features and split give the same bytes.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SetMetrics } from "../lib/metrics.js";
import { findInput, type Finding, type StageContext } from "../stage.js";
import { readJsonFile } from "./json.js";

export const METRICS_FILE = "metrics.json";

export type SplitName = "train" | "val" | "test";

export interface SplitCounts {
  /** Clips the split lists. */
  clips: number;
  scored: number;
  real: number;
  fake: number;
}

export interface MetricsJson {
  threshold: number;
  threshold_source: string;
  val: SetMetrics | null;
  test: SetMetrics | null;
  train: SetMetrics | null;
  per_source: SetMetrics["per_source"];
  counts: Record<SplitName, SplitCounts> & { excluded: number };
  excluded: { id: string; split: SplitName; reason: string }[];
  test_set: TestSetIdentity;
  findings: Finding[];
  model: { kind: string; backend: string | null; scored_on: string | null; seq_len: number | null; feature_dims: number | null };
}

/** Which clips a test set holds: their count and the sha256 of the sorted ids joined by "\n". */
export interface TestSetIdentity {
  clips: number;
  sha256: string;
}

export function testSetIdentity(ids: readonly string[]): TestSetIdentity {
  const sorted = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { clips: sorted.length, sha256: createHash("sha256").update(sorted.join("\n")).digest("hex") };
}

/** The one needed stage whose output holds metrics.json. */
export function metricsInput(ctx: Pick<StageContext<unknown>, "name" | "inputs">): string {
  return findInput(ctx, { artifact: "metrics", marker: METRICS_FILE });
}

export function writeMetrics(dir: string, m: MetricsJson): void {
  writeFileSync(join(dir, METRICS_FILE), JSON.stringify(m, null, 2) + "\n");
}

/** metrics.json, checked for the fields readers rely on. */
export function readMetrics(dir: string): MetricsJson {
  const file = join(dir, METRICS_FILE);
  const m = readJsonFile<Record<string, unknown>>(file, "the evaluate stage's metrics");
  if (typeof m.threshold !== "number") throw new Error(`${file}: needs a numeric "threshold"`);
  for (const k of ["val", "test", "train"] as const) {
    const s = m[k];
    if (s !== null && s !== undefined && (typeof s !== "object" || typeof (s as { n?: unknown }).n !== "number"))
      throw new Error(`${file}: "${k}" must be a split's metrics ({n, auc, ...}) or null`);
  }
  return { findings: [], excluded: [], per_source: {}, ...m } as unknown as MetricsJson;
}
