// The `split` artifact: split.json. Written by split; read by train, evaluate (and crossval,
// predict) through this module only.
//
//   { train: [ids], val: [ids], test: [ids],     sorted clip ids, each usable clip in exactly one
//     seed, stratify: "label",
//     group_by: "source" | "group" | null,         what the split grouped by (after `auto`)
//     group_by_requested: "auto" | "source" | "group" | null,
//     group_by_reason: string,                     why that grouping (one line, for people)
//     resolved_findings: [finding ids],            see below
//     counts: {train: {real, fake}, val, test},
//     excluded: [{id, reason}] }                   clips left out (extraction failed)
//
// `resolved_findings` lists the ids of diagnose findings (diagnostics.json) whose leak this split
// closes, checked on the split itself: "class-pure-sources" when no source has clips in two sets
// (sources are all-real or all-AI, so a shared source would let the test score measure source
// recognition); "near-duplicates" and "near-duplicates:cross-class" when every near-duplicate
// cluster diagnose listed sits in one set. A reader judging a score (evaluate's suspicion banner)
// may discount an error-level finding listed here: the data still has the property, but this
// split's test set cannot profit from it. Absent in split.json files written before it existed
// (read as []).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { findInput, type StageContext } from "../stage.js";
import { readJsonFile } from "./json.js";

export const SPLIT_FILE = "split.json";

export type SetName = "train" | "val" | "test";
/** What a split keeps in one set: clips sharing a source, a group, or either ("source+group":
 * connected components over both keys). */
export type GroupBy = "source" | "group" | "source+group";

export interface SplitJson {
  train: string[];
  val: string[];
  test: string[];
  seed: number;
  stratify: "label";
  group_by: GroupBy | null;
  group_by_requested: "auto" | GroupBy | null;
  group_by_reason: string;
  resolved_findings: string[];
  counts: Record<SetName, { real: number; fake: number }>;
  excluded: { id: string; reason: string }[];
}

/** The one needed stage whose output provides a split, or a clear error. */
export function splitInput(ctx: Pick<StageContext<unknown>, "name" | "inputs">): string {
  return findInput(ctx, { artifact: "split", marker: SPLIT_FILE });
}

export function writeSplit(dir: string, s: SplitJson): void {
  writeFileSync(join(dir, SPLIT_FILE), JSON.stringify(s, null, 2) + "\n");
}

export interface SplitLists {
  train: string[];
  val: string[];
  test: string[];
  /** Diagnose finding ids this split resolves (see above); [] when not recorded. */
  resolved_findings: string[];
}

export function readSplit(splitDir: string): SplitLists {
  const file = join(splitDir, SPLIT_FILE);
  const s = readJsonFile<Record<string, unknown>>(file, "the split stage's output");
  const list = (k: string, what: string): string[] => {
    const v = s[k] ?? [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new Error(`${file}: "${k}" must be a list of ${what}`);
    return v as string[];
  };
  return { train: list("train", "clip ids"), val: list("val", "clip ids"), test: list("test", "clip ids"), resolved_findings: list("resolved_findings", "finding ids") };
}
