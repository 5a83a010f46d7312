// extract.json as train needs it (the params saved with the model, the feature width). The clip
// list, split and feature files are read by src/lib/artifacts.ts, shared with evaluate.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readJsonFile } from "../../src/lib/artifacts.js";
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
