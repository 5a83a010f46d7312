// Readers for the artifact formats stages hand each other (extract's videos.jsonl, split's
// split.json), shared by the stages that consume them, with errors that name the file at fault.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readJsonl } from "./jsonl.js";
import { firstNonFinite, readNpy, type Matrix } from "./npy.js";

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

export function readJsonFile<T>(file: string, what: string): T {
  if (!existsSync(file)) throw new Error(`${file}: missing (${what})`);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${what}): ${(e as Error).message}`);
  }
}

export interface SplitLists {
  train: string[];
  val: string[];
  test: string[];
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
