// The `diagnostics` artifact: diagnose's diagnostics.json, the leakage findings and numbers behind
// them. Written by diagnose; read by split (near-duplicate pairs, to keep clusters in one set) and
// by evaluate (findings, for the suspicion banner). This module is its one writer and reader.
//
//   { classes: {real, fake},             per-class statistics (ClassStats below)
//     findings: [Finding],               errors first
//     auc: {<attribute>: number|null},   per-attribute shortcut AUCs, plus frames_extracted
//     metadata_classifier_auc: number|null,
//     duplicates: [[idA, idB, distance]], near-duplicate pairs, idA < idB, closest first
//     sources: {pure, real, fake, mixed}, which sources hold which class (SourcesJson below)
//     method: {folds, seed, duplicate_distance, classifier_attributes} }
// NaN (an AUC that cannot be computed) is written as null.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { findOptionalInput, type Finding, type StageContext } from "../stage.js";
import { readJsonFile } from "./json.js";

export const DIAGNOSTICS_FILE = "diagnostics.json";

export interface NumericStats {
  /** Clips with a value. */
  n: number;
  /** Clips without one (unknown to ffprobe). */
  missing: number;
  mean: number | null;
  /** Population standard deviation. */
  std: number | null;
  min: number | null;
  max: number | null;
}

export interface ClassStats {
  /** Clips of this class in videos.jsonl. */
  count: number;
  /** Clips whose extraction failed (left out of everything below). */
  failed: number;
  /** Distinct `source` values with their clip counts. */
  sources: Record<string, number>;
  numeric: Record<string, NumericStats>;
  /** value → clips; unknown values counted under "(unknown)". */
  categorical: Record<string, Record<string, number>>;
}

/** [idA, idB, distance] with idA < idB. */
export type DuplicatePair = [string, string, number];

/** Which sources hold which class, among usable clips with a known source. */
export interface SourcesJson {
  /** Every known source holds one class only (and both classes have a source). */
  pure: boolean;
  /** Sources of real clips → clips. */
  real: Record<string, number>;
  /** Sources of fake clips → clips. */
  fake: Record<string, number>;
  /** Sources holding both classes. */
  mixed: string[];
}

export interface Diagnostics {
  classes: { real: ClassStats; fake: ClassStats };
  findings: Finding[];
  auc: Record<string, number>;
  metadata_classifier_auc: number;
  duplicates: DuplicatePair[];
  sources: SourcesJson;
  method: { folds: number; seed: number; duplicate_distance: number | null; classifier_attributes: string[] };
}

/** The one needed stage whose output holds diagnostics.json, if any (diagnose is optional for
 * split and evaluate). */
export function diagnosticsInput(ctx: Pick<StageContext<unknown>, "name" | "inputs">): string | undefined {
  return findOptionalInput(ctx, { artifact: "diagnostics", marker: DIAGNOSTICS_FILE });
}

export function writeDiagnostics(dir: string, d: Diagnostics): void {
  writeFileSync(join(dir, DIAGNOSTICS_FILE), JSON.stringify(d, null, 2) + "\n");
}

const WHAT = "the diagnose stage's output";

function read(dir: string): { file: string; d: Record<string, unknown> } {
  const file = join(dir, DIAGNOSTICS_FILE);
  const d = readJsonFile<unknown>(file, WHAT);
  if (typeof d !== "object" || d === null || Array.isArray(d)) throw new Error(`${file}: expected a JSON object (${WHAT})`);
  return { file, d: d as Record<string, unknown> };
}

/** diagnose's findings, or null when no diagnose stage was given (`dir` undefined). */
export function readFindings(dir: string | undefined): Finding[] | null {
  if (!dir) return null;
  const { file, d } = read(dir);
  const f = d.findings;
  if (!Array.isArray(f) || f.some((x) => typeof x !== "object" || x === null || typeof (x as Finding).id !== "string" || !["info", "warn", "error"].includes((x as Finding).severity)))
    throw new Error(`${file}: "findings" must be a list of {id, severity, reason}`);
  return f as Finding[];
}

/** The near-duplicate pairs diagnose found. */
export function readDuplicates(dir: string): DuplicatePair[] {
  const { file, d } = read(dir);
  const dups = d.duplicates ?? [];
  if (!Array.isArray(dups) || dups.some((p) => !Array.isArray(p) || typeof p[0] !== "string" || typeof p[1] !== "string" || typeof p[2] !== "number"))
    throw new Error(`${file}: "duplicates" must be a list of [idA, idB, distance]`);
  return dups as DuplicatePair[];
}
