// The `features` artifact: the public contract between a stage that makes per-frame features
// (built-in extract, a shell stage running the user's script, a user kind) and the stages that
// read them (diagnose, split, train, evaluate, crossval, predict). A directory provides `features`
// when it holds:
//   videos.jsonl         one JSON row per clip (VideoRecord below; `id`, `label`, `features` needed)
//   features/<id>.npy    float32 [frames, dims] in NumPy format, one per clip that has features
//   extract.json         optional: { params, feature: { name, dims, names } }
// This module is the one reader (and writer) of those files; see docs/runner.md "Artifacts".
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeJsonl } from "../lib/jsonl.js";
import { firstNonFinite, readNpy, writeNpy, type Matrix } from "../lib/npy.js";
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
  /** Features of re-encoded variants of this clip (extract's `augment:`), for training-time
   * augmentation: a reader uses them for clips in its training set only, never to evaluate. */
  augmented?: AugmentedFeatures[];
}

/** One re-encoded variant of a clip (videos.jsonl `augmented`): its features file (relative to the
 * features dir, float32 [frames, dims] like the clip's own) and the re-encode's settings. */
export interface AugmentedFeatures {
  /** features/<id>.aug<k>.npy; null when the variant failed (then `error` says why). */
  features: string | null;
  frames: number;
  /** x264 constant rate factor of the re-encode. */
  crf: number;
  /** Scale factor of both sides (1 = unscaled). */
  scale: number;
  /** Frame rate it was resampled to; null = the clip's own. */
  fps: number | null;
  error: string | null;
}

/** A labelled clip of extract's videos.jsonl, as train, evaluate and predict use it. */
export interface ClipRow {
  id: string;
  path: string;
  label: "real" | "fake";
  /** The class as written in the data set (folder or manifest), when known. */
  label_raw?: string | null;
  source: string | null;
  /** Paired-content group (manifest.csv `group`), when known. */
  group?: string | null;
  /** features/<id>.npy, relative to the extract dir; null when extraction failed. */
  features: string | null;
  frames: number;
  error: string | null;
  /** The clip's augmentation variants that have features (for training sets only). */
  augmented?: { features: string; frames: number }[];
}

/** Every row of `<dir>/videos.jsonl`, checked against the contract above, in file order: the one
 * reader of the file. A row that breaks the contract (not JSON, no id, a label that is neither
 * "real" nor "fake" on a row without an error, a metadata field of the wrong type, an id used
 * twice) throws `path:line: ...`, so a malformed file fails here instead of as a NaN three
 * functions later. Absent optional fields read as null; an empty source or group as null. */
export function readVideos(dir: string): VideoRecord[] {
  const file = join(dir, VIDEOS_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
    throw new Error(`${file}: ${missing ? "missing" : "cannot read it"} (the clip list of the stage that made the features)${missing ? "" : `: ${(e as Error).message}`}`);
  }
  const rows: VideoRecord[] = [];
  const seen = new Map<string, number>();
  let line = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const raw = text.slice(start, end);
    start = end + 1;
    line++;
    if (!raw.trim()) continue;
    const where = `${file}:${line}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (e) {
      throw new Error(`${where}: not valid JSON: ${(e as Error).message}`);
    }
    const row = checkVideoRow(parsed, where);
    const dup = seen.get(row.id);
    if (dup !== undefined) throw new Error(`${where}: id "${row.id}" already used on line ${dup}`);
    seen.set(row.id, line);
    rows.push(row);
  }
  return rows;
}

function checkVideoRow(raw: unknown, where: string): VideoRecord {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${where}: expected a JSON object`);
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== "string" || !r.id) throw new Error(`${where}: "id" must be a non-empty string`);
  const error = r.error === undefined || r.error === null || r.error === "" ? null : String(r.error);
  if (r.label !== "real" && r.label !== "fake" && !(error !== null && (r.label === null || r.label === undefined)))
    throw new Error(`${where}: clip ${r.id}: "label" must be "real" or "fake" (null only on a row with an "error"), got ${JSON.stringify(r.label ?? null)}`);
  const num = (k: string): number | null => {
    const v = r[k];
    if (v === undefined || v === null) return null;
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new Error(`${where}: clip ${r.id}: "${k}" must be a number or null, got ${JSON.stringify(v)}`);
    return v;
  };
  const str = (k: string): string | null => {
    const v = r[k];
    if (v === undefined || v === null) return null;
    if (typeof v === "number") return String(v); // e.g. a numeric group id in a CSV manifest
    if (typeof v !== "string") throw new Error(`${where}: clip ${r.id}: "${k}" must be a string or null, got ${JSON.stringify(v)}`);
    return v;
  };
  const phash = r.phash ?? [];
  if (!Array.isArray(phash) || phash.some((h) => typeof h !== "string" || !/^[0-9a-fA-F]{1,16}$/.test(h)))
    throw new Error(`${where}: clip ${r.id}: "phash" must be a list of 64-bit hex strings, got ${JSON.stringify(phash)}`);
  return {
    id: r.id,
    path: str("path") ?? r.id,
    label: r.label === "real" || r.label === "fake" ? r.label : null,
    label_raw: str("label_raw"),
    source: str("source") || null,
    group: str("group") || null,
    frames: num("frames"),
    dims: num("dims"),
    features: str("features"),
    fps: num("fps"),
    width: num("width"),
    height: num("height"),
    duration: num("duration"),
    codec: str("codec"),
    pix_fmt: str("pix_fmt"),
    format: str("format"),
    bytes: num("bytes"),
    bitrate: num("bitrate"),
    source_frames: num("source_frames"),
    sha256: str("sha256"),
    phash: phash as string[],
    error,
    ...(r.augmented !== undefined && r.augmented !== null ? { augmented: checkAugmented(r.augmented, `${where}: clip ${r.id}`) } : {}),
  };
}

function checkAugmented(list: unknown, where: string): AugmentedFeatures[] {
  if (!Array.isArray(list)) throw new Error(`${where}: "augmented" must be a list`);
  return list.map((a, k) => {
    const v = a as Record<string, unknown> | null;
    const at = `${where}: augmented[${k}]`;
    if (typeof v !== "object" || v === null) throw new Error(`${at} must be an object`);
    if (v.features !== null && typeof v.features !== "string") throw new Error(`${at}.features must be a path or null`);
    for (const k2 of ["frames", "crf", "scale"] as const) if (typeof v[k2] !== "number") throw new Error(`${at}.${k2} must be a number`);
    return {
      features: v.features as string | null, frames: v.frames as number, crf: v.crf as number, scale: v.scale as number,
      fps: typeof v.fps === "number" ? v.fps : null, error: typeof v.error === "string" ? v.error : null,
    };
  });
}

/** The labelled clips of videos.jsonl by id (readVideos' checks). A row that failed before it got
 * a label (an unknown label, an unreadable file) carries an error and no label: it cannot be
 * trained on or scored, and split has already excluded it, so it is left out here rather than
 * failing the stage. */
export function readClips(extractDir: string): Map<string, ClipRow> {
  const rows = new Map<string, ClipRow>();
  for (const v of readVideos(extractDir)) {
    if (v.label === null) continue;
    const augmented = v.augmented?.flatMap((a) => (a.features ? [{ features: a.features, frames: a.frames }] : []));
    rows.set(v.id, {
      id: v.id, path: v.path, label: v.label, label_raw: v.label_raw, source: v.source, group: v.group, features: v.features, frames: v.frames ?? 0, error: v.error,
      ...(augmented?.length ? { augmented } : {}),
    });
  }
  return rows;
}

/** True when the clip has a class and features a model can use. */
export function usable(v: VideoRecord): v is VideoRecord & { label: Label } {
  return v.error === null && v.label !== null && (v.frames ?? 0) > 0;
}

/** The clip's source, or null when it is unknown or merely repeats the class folder's name
 * (extract falls back to the parent folder, which for `real/a.mp4` says nothing). */
export function sourceOf(v: Pick<VideoRecord, "source" | "label" | "label_raw">): string | null {
  if (v.source === null) return null;
  const s = v.source.toLowerCase();
  return s === v.label || s === v.label_raw?.toLowerCase() ? null : v.source;
}

/** Rows split by class (rows without a label are left out). */
export function byLabel<T extends { label: Label | null }>(rows: readonly T[]): Record<Label, T[]> {
  return { real: rows.filter((r) => r.label === "real"), fake: rows.filter((r) => r.label === "fake") };
}

/** One clip's features/<id>.npy, checked before a model sees it: present, `dims` wide (when known;
 * `expected(dims)` says who expects that, for the message), at least one frame, every value finite. */
export function readClipFeatures(extractDir: string, row: Pick<ClipRow, "id" | "path" | "features">, dims: number | null | undefined, expected: (dims: number) => string): Matrix {
  const file = join(extractDir, row.features!);
  if (!existsSync(file)) throw new Error(`${file}: missing (listed for clip ${row.id} in videos.jsonl)`);
  const m = readNpy(file);
  if (dims !== null && dims !== undefined && m.cols !== dims) throw new Error(`${file}: ${m.cols} feature dims, ${expected(dims)}`);
  if (m.rows === 0) throw new Error(`${file}: no frames (clip ${row.path})`);
  const bad = firstNonFinite(m.data);
  if (bad >= 0) throw new Error(`${file}: non-finite value at frame ${Math.floor(bad / m.cols)}, dim ${bad % m.cols}`);
  return m;
}

/** Reads clips' features on demand (readClipFeatures' checks on every read) with a bounded
 * in-memory cache: the first clips read stay in memory until `cacheBytes` is used (default
 * 256 MiB), the rest are re-read from their .npy files. A trainer that visits every clip each epoch
 * so holds at most `cacheBytes` of features, whatever the clip count. When `dims` is unknown (no
 * extract.json), the first clip read fixes the width and every other clip must match it. */
export class FeatureReader {
  private readonly cache = new Map<string, Matrix>();
  private cached = 0;
  private widthFrom: string | undefined;
  dims: number | null;
  constructor(readonly extractDir: string, opts: { dims?: number | null; expected?: (dims: number) => string; cacheBytes?: number } = {}) {
    this.dims = opts.dims ?? null;
    this.expected = opts.expected ?? ((d) => `other clips have ${d}`);
    this.cacheBytes = opts.cacheBytes ?? 256 * 2 ** 20;
  }
  private readonly expected: (dims: number) => string;
  private readonly cacheBytes: number;

  read(row: ClipRow): Matrix {
    const hit = this.cache.get(row.id);
    if (hit) return hit;
    const m = readClipFeatures(this.extractDir, row, this.dims, this.dims !== null && this.widthFrom ? (d) => `${this.widthFrom} has ${d}` : this.expected);
    if (this.dims === null) {
      this.dims = m.cols;
      this.widthFrom = join(this.extractDir, row.features!);
    }
    if (this.cached + m.data.byteLength <= this.cacheBytes) {
      this.cache.set(row.id, m);
      this.cached += m.data.byteLength;
    }
    return m;
  }
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

/** Writes one clip's features as `<dir>/features/<id>.npy` (the directory must exist) and returns
 * the path videos.jsonl lists for it. For producers of the artifact other than extract (a user's
 * kind, tests, benches). */
export function writeClipFeatures(dir: string, id: string, m: Matrix): string {
  const rel = `features/${id}.npy`;
  writeNpy(join(dir, rel), m);
  return rel;
}
