// Reads extract's videos.jsonl (the artifact contract between extract and diagnose/split) and
// checks each row has what diagnose and split rely on, so a malformed file fails with file:line
// instead of a NaN three functions later.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Label, VideoRecord } from "../../src/artifacts/features.js";
import { NOTHING_APPLIED, type Applied } from "./advice.js";

export type { Label, VideoRecord };

export const VIDEOS_FILE = "videos.jsonl";

/** Reads `<dir>/videos.jsonl`; throws `path:line: ...` on a row that breaks the contract. */
export function readVideos(dir: string): VideoRecord[] {
  const file = join(dir, VIDEOS_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`${file}: cannot read the extract stage's clip list (${(e as Error).message})`);
  }
  const rows: VideoRecord[] = [];
  const seen = new Map<string, number>();
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${file}:${i + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: not valid JSON: ${(e as Error).message}`);
    }
    const row = checkRow(raw, where);
    const dup = seen.get(row.id);
    if (dup !== undefined) throw new Error(`${where}: id "${row.id}" already used on line ${dup}`);
    seen.set(row.id, i + 1);
    rows.push(row);
  });
  return rows;
}

function checkRow(raw: unknown, where: string): VideoRecord {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${where}: expected a JSON object`);
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== "string" || !r.id) throw new Error(`${where}: "id" must be a non-empty string`);
  const failed = r.error !== undefined && r.error !== null;
  if (r.label !== "real" && r.label !== "fake" && !(failed && r.label === null))
    throw new Error(`${where}: clip ${r.id}: "label" must be "real" or "fake", got ${JSON.stringify(r.label)}`);
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
  const error = r.error === undefined || r.error === null ? null : String(r.error);
  return {
    id: r.id,
    path: str("path") ?? r.id,
    label: r.label,
    label_raw: str("label_raw"),
    source: str("source"),
    group: str("group"),
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
  };
}

/** True when the clip has a class and features a model can use. */
export function usable(v: VideoRecord): v is VideoRecord & { label: Label } {
  return v.error === null && v.label !== null && (v.frames ?? 0) > 0;
}

/** The clip's source, or null when it is unknown or merely repeats the class folder's name
 * (extract falls back to the parent folder, which for `real/a.mp4` says nothing). */
export function sourceOf(v: VideoRecord): string | null {
  if (v.source === null) return null;
  const s = v.source.toLowerCase();
  return s === v.label || s === v.label_raw?.toLowerCase() ? null : v.source;
}

/** What extract.json says extract did about the shortcuts (tolerant: an older or missing file
 * means nothing was applied). */
export function readApplied(dir: string): Applied {
  const file = join(dir, "extract.json");
  let params: Record<string, unknown> = {};
  try {
    params = (JSON.parse(readFileSync(file, "utf8")) as { params?: Record<string, unknown> }).params ?? {};
  } catch {
    return NOTHING_APPLIED;
  }
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    normalize_format: params.normalize_format === true,
    fps: num(params.fps),
    resize: typeof params.resize === "string" ? params.resize : null,
    frames: num(params.frames),
  };
}
