// The `split` artifact: split.json, { train: [ids], val: [ids], test: [ids], ... }. One reader.
import { join } from "node:path";
import { findInput, type StageContext } from "../stage.js";
import { readJsonFile } from "./json.js";

export const SPLIT_FILE = "split.json";

/** The one needed stage whose output provides a split, or a clear error. */
export function splitInput(ctx: Pick<StageContext<unknown>, "name" | "inputs">): string {
  return findInput(ctx, { artifact: "split", marker: SPLIT_FILE });
}

export interface SplitLists {
  train: string[];
  val: string[];
  test: string[];
}

export function readSplit(splitDir: string): SplitLists {
  const file = join(splitDir, SPLIT_FILE);
  const s = readJsonFile<Record<string, unknown>>(file, "the split stage's output");
  const list = (k: string): string[] => {
    const v = s[k] ?? [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new Error(`${file}: "${k}" must be a list of clip ids`);
    return v as string[];
  };
  return { train: list("train"), val: list("val"), test: list("test") };
}
