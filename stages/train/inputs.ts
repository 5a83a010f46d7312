// Reads what train needs from extract (videos.jsonl, extract.json, features/*.npy) and split
// (split.json), with errors that name the file at fault.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readJsonl } from "../../src/lib/jsonl.js";
import { readNpy, type Matrix } from "../../src/lib/npy.js";
import { firstNonFinite } from "../../src/model/batches.js";
import type { Json } from "../../src/params.js";

export interface ClipRow {
  id: string;
  label: "real" | "fake";
  features: string | null;
  frames: number;
  error: string | null;
}

export interface SplitLists {
  train: string[];
  val: string[];
  test: string[];
}

export interface ExtractInfo {
  params: Record<string, Json> | null;
  dims: number | null;
}

export function readJsonFile<T>(file: string, what: string): T {
  if (!existsSync(file)) throw new Error(`${file}: missing (${what})`);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${what}): ${(e as Error).message}`);
  }
}

export function readSplit(splitDir: string): SplitLists {
  const file = join(splitDir, "split.json");
  const s = readJsonFile<Record<string, unknown>>(file, "the split stage's output");
  const list = (k: string): string[] => {
    const v = s[k] ?? [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new Error(`${file}: "${k}" must be a list of clip ids`);
    return v as string[];
  };
  return { train: list("train"), val: list("val"), test: list("test") };
}

export function readExtractInfo(extractDir: string): ExtractInfo {
  const file = join(extractDir, "extract.json");
  if (!existsSync(file)) return { params: null, dims: null };
  const e = readJsonFile<{ params?: Record<string, Json>; feature?: { dims?: number } }>(file, "the extract stage's summary");
  return { params: e.params ?? null, dims: typeof e.feature?.dims === "number" ? e.feature.dims : null };
}

export function readClips(extractDir: string): Map<string, ClipRow> {
  const file = join(extractDir, "videos.jsonl");
  if (!existsSync(file)) throw new Error(`${file}: missing (the extract stage's output)`);
  const rows = new Map<string, ClipRow>();
  readJsonl<Partial<ClipRow>>(file).forEach((r, i) => {
    if (typeof r.id !== "string" || (r.label !== "real" && r.label !== "fake"))
      throw new Error(`${file}:${i + 1}: a row needs a string "id" and a "label" of "real" or "fake"`);
    rows.set(r.id, {
      id: r.id,
      label: r.label,
      features: typeof r.features === "string" ? r.features : null,
      frames: typeof r.frames === "number" ? r.frames : 0,
      error: typeof r.error === "string" ? r.error : null,
    });
  });
  return rows;
}

/** Loads one clip's feature matrix, checking width and finiteness. */
export function loadFeatures(extractDir: string, row: ClipRow, dims: number | null): Matrix {
  const file = join(extractDir, row.features!);
  if (!existsSync(file)) throw new Error(`${file}: missing (listed for clip ${row.id} in videos.jsonl)`);
  const m = readNpy(file);
  if (dims !== null && m.cols !== dims) throw new Error(`${file}: ${m.cols} feature dims, extract.json says ${dims}`);
  const bad = firstNonFinite(m.data);
  if (bad >= 0) throw new Error(`${file}: non-finite value at frame ${Math.floor(bad / m.cols)}, dim ${bad % m.cols}`);
  return m;
}
