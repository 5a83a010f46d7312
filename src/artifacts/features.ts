// The `features` artifact: the public contract between a stage that makes per-frame features
// (built-in extract, a shell stage running the user's script, a user kind) and the stages that
// read them (diagnose, split, train, evaluate, crossval, predict). A directory provides `features`
// when it holds:
//   videos.jsonl         one JSON row per clip (VideoRecord below; `id`, `label`, `features` needed)
//   features/<id>.npy    float32 [frames, dims] in NumPy format, one per clip that has features
//   extract.json         optional: { params, feature: { name, dims, names } }
// This module is the one reader (and writer) of those files; see docs/runner.md "Artifacts".
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readJsonl, writeJsonl } from "../lib/jsonl.js";
import { firstNonFinite, readNpy, type Matrix } from "../lib/npy.js";
import type { Json } from "../params.js";
import { findInput, type StageContext } from "../stage.js";
import { readJsonFile } from "./json.js";

/** The marker file of the features artifact. */
export const VIDEOS_FILE = "videos.jsonl";

/** The one needed stage whose output provides features (whatever its kind), or a clear error. */
export function featuresInput(ctx: Pick<StageContext<unknown>, "name" | "inputs">): string {
  return findInput(ctx, { artifact: "features", marker: VIDEOS_FILE });
}

export type Label = "real" | "fake";

/** One row of extract's videos.jsonl as readers may rely on it (the pinned contract); metadata
 * fields are null when unknown. Optional fields may be absent in rows of older extract versions. */
export interface VideoRecord {
  id: string;
  path: string;
  /** null only on a row with an error (extract could not tell the class, e.g. an unknown label). */
  label: Label | null;
  label_raw?: string | null;
  source: string | null;
  group: string | null;
  /** Rows of the feature matrix: the sequence length the model sees. */
  frames: number | null;
  dims?: number | null;
  features: string | null;
  fps: number | null;
  width: number | null;
  height: number | null;
  duration: number | null;
  codec: string | null;
  pix_fmt: string | null;
  format: string | null;
  bytes: number | null;
  bitrate: number | null;
  /** Frames in the source clip (what the container holds). */
  source_frames: number | null;
  sha256?: string | null;
  phash: string[];
  error: string | null;
}

/** A labelled clip of extract's videos.jsonl, as train, evaluate and predict use it. */
export interface ClipRow {
  id: string;
  path: string;
  label: "real" | "fake";
  source: string | null;
  /** features/<id>.npy, relative to the extract dir; null when extraction failed. */
  features: string | null;
  frames: number;
  error: string | null;
}

/** The labelled clips of videos.jsonl by id. A row that failed before it got a label (an unknown
 * label, an unreadable file) carries an error and no label: it cannot be trained on or scored, and
 * split has already excluded it, so it is left out here rather than failing the stage. */
export function readClips(extractDir: string): Map<string, ClipRow> {
  const file = join(extractDir, "videos.jsonl");
  if (!existsSync(file)) throw new Error(`${file}: missing (the extract stage's output)`);
  const rows = new Map<string, ClipRow>();
  readJsonl<Partial<ClipRow> & { label?: unknown }>(file).forEach((r, i) => {
    if (typeof r.id !== "string") throw new Error(`${file}:${i + 1}: a row needs a string "id"`);
    if (r.label !== "real" && r.label !== "fake") {
      if (typeof r.error === "string" && r.error) return;
      throw new Error(`${file}:${i + 1}: clip ${r.id} has label ${JSON.stringify(r.label ?? null)} and no error: expected "real" or "fake"`);
    }
    rows.set(r.id, {
      id: r.id,
      path: typeof r.path === "string" ? r.path : r.id,
      label: r.label,
      source: typeof r.source === "string" && r.source ? r.source : null,
      features: typeof r.features === "string" ? r.features : null,
      frames: typeof r.frames === "number" ? r.frames : 0,
      error: typeof r.error === "string" ? r.error : null,
    });
  });
  return rows;
}

/** One clip's features/<id>.npy, checked before a model sees it: present, `dims` wide (when known;
 * `expected(dims)` says who expects that, for the message), at least one frame, every value finite. */
export function readClipFeatures(extractDir: string, row: ClipRow, dims: number | null | undefined, expected: (dims: number) => string): Matrix {
  const file = join(extractDir, row.features!);
  if (!existsSync(file)) throw new Error(`${file}: missing (listed for clip ${row.id} in videos.jsonl)`);
  const m = readNpy(file);
  if (dims !== null && dims !== undefined && m.cols !== dims) throw new Error(`${file}: ${m.cols} feature dims, ${expected(dims)}`);
  if (m.rows === 0) throw new Error(`${file}: no frames (clip ${row.path})`);
  const bad = firstNonFinite(m.data);
  if (bad >= 0) throw new Error(`${file}: non-finite value at frame ${Math.floor(bad / m.cols)}, dim ${bad % m.cols}`);
  return m;
}

/** extract.json: the params the features were made with (saved with a model, re-applied by
 * predict) and the feature width. Optional: a producer other than extract may omit it. */
export interface FeaturesInfo {
  params: Record<string, Json> | null;
  dims: number | null;
  /** The extractor's name, e.g. "forensic-v1", when known. */
  name: string | null;
}

export const INFO_FILE = "extract.json";

/** Writes videos.jsonl into `dir`, one row per clip in the order given. */
export function writeVideos(dir: string, rows: readonly VideoRecord[]): void {
  writeJsonl(join(dir, VIDEOS_FILE), rows);
}

/** extract.json as a producer writes it: the recipe params, the extractor, clip counts. */
export interface FeaturesInfoFile {
  params: Record<string, Json>;
  feature: { name: string; dims: number; names: string[] };
  counts: { clips: number; ok: number; failed: number };
}

/** Writes extract.json into `dir` (2-space JSON, newline-terminated). */
export function writeFeaturesInfo(dir: string, info: FeaturesInfoFile): void {
  writeFileSync(join(dir, INFO_FILE), JSON.stringify(info, null, 2) + "\n");
}

export function readFeaturesInfo(dir: string): FeaturesInfo {
  const file = join(dir, INFO_FILE);
  if (!existsSync(file)) return { params: null, dims: null, name: null };
  const e = readJsonFile<{ params?: Record<string, Json>; feature?: { dims?: number; name?: string } }>(file, "the features' summary");
  return {
    params: e.params ?? null,
    dims: typeof e.feature?.dims === "number" ? e.feature.dims : null,
    name: typeof e.feature?.name === "string" ? e.feature.name : null,
  };
}
