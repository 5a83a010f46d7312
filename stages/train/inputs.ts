// Reads what train needs from extract (videos.jsonl, extract.json, features/*.npy) and split
// (split.json), with errors that name the file at fault.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readJsonFile, type ClipRow } from "../../src/lib/artifacts.js";
import { readNpy, type Matrix } from "../../src/lib/npy.js";
import { firstNonFinite } from "../../src/model/batches.js";
import type { Json } from "../../src/params.js";

export interface ExtractInfo {
  params: Record<string, Json> | null;
  dims: number | null;
}

export function readExtractInfo(extractDir: string): ExtractInfo {
  const file = join(extractDir, "extract.json");
  if (!existsSync(file)) return { params: null, dims: null };
  const e = readJsonFile<{ params?: Record<string, Json>; feature?: { dims?: number } }>(file, "the extract stage's summary");
  return { params: e.params ?? null, dims: typeof e.feature?.dims === "number" ? e.feature.dims : null };
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
