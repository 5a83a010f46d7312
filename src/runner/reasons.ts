// Why a stage is stale (or blocked), as values. The planner produces Reasons; everything that
// shows them (run, status, why, dag, the run record, compare) renders them with renderReason, and
// nothing matches them by their wording.
import type { Json } from "../params.js";
import { canonicalJson, short } from "./canonical.js";

export type FileChange = "added" | "removed" | "changed";

export type Reason =
  /** Nothing cached for this key (and no earlier key to compare with). */
  | { type: "no-entry" }
  /** --force, or --from S. */
  | { type: "forced"; by: string }
  /** The entry's object is gone or damaged. */
  | { type: "object-damaged"; hash: string; state: "missing" | "modified" }
  | { type: "kind"; old: string; new: string }
  | { type: "code"; kind: string; old: string; new: string; files?: { file: string; change: FileChange }[] }
  /** The environment block: dfd, node, platform, ffmpeg, tfjs... */
  | { type: "env"; name: string; old: string | null; new: string | null }
  | { type: "param"; path: string; old?: Json; new?: Json }
  /** A file under a path param (shell deps, a user kind's config file...). */
  | { type: "input-file"; param: string; file: string; change: FileChange; old?: string; new?: string }
  | { type: "data-file"; file: string; change: FileChange; old?: string; new?: string }
  /** Many files changed: the first few are listed, the rest counted. */
  | { type: "more-files"; count: number; what: "data" | "input" }
  /** A tree changed but its file lists are no longer known (an old entry): only the hashes. */
  | { type: "tree"; what: string; old: string; new: string }
  | { type: "data-path"; old: string; new: string }
  | { type: "data-use"; uses: boolean; path?: string }
  | { type: "upstream-output"; stage: string; old: string | null; new: string | null }
  | { type: "upstream-edge"; stage: string; change: "added" | "removed" }
  /** Plans only: the upstream will re-run, so this stage's key is not known yet. */
  | { type: "upstream-will-run"; stage: string }
  | { type: "upstream-blocked"; stage: string; status: "failed" | "skipped" }
  | { type: "not-needed"; why: string }
  /** Upstream of --only: not selected, and without a valid cached output. */
  | { type: "not-selected"; because: Reason[] }
  | { type: "interrupted" }
  /** Not started: the artifacts directory was deleted during the run. */
  | { type: "artifacts-deleted" }
  /** The key changed for a reason the components do not show (a new key format). */
  | { type: "key-format" }
  /** The key could not be computed (a deps file vanished, the cache is unreadable...). */
  | { type: "error"; message: string };

const val = (v: Json | undefined): string => (v === undefined ? "(unset)" : JSON.stringify(v));

/** One reason as one line of text: the only place reasons become words. */
export function renderReason(r: Reason): string {
  switch (r.type) {
    case "no-entry": return "no cached output";
    case "forced": return `forced (${r.by})`;
    case "object-damaged": return `cached output ${short(r.hash)} is ${r.state === "missing" ? "missing" : "modified (tampered or corrupt)"}`;
    case "kind": return `kind changed: ${r.old} → ${r.new}`;
    case "code": {
      const files = r.files?.length ? `: ${r.files.slice(0, 4).map((f) => `${f.file} ${f.change}`).join(", ")}${r.files.length > 4 ? `, … ${r.files.length - 4} more` : ""}` : "";
      return `code of ${r.kind} changed (${short(r.old)} → ${short(r.new)})${files}`;
    }
    case "env": return `environment ${r.name} ${r.old ?? "(none)"} → ${r.new ?? "(none)"}`;
    case "param":
      if (r.old === undefined) return `${r.path} added (${val(r.new)})`;
      if (r.new === undefined) return `${r.path} removed (was ${val(r.old)})`;
      return `${r.path} ${val(r.old)} → ${val(r.new)}`;
    case "input-file": return fileLine(`input ${r.file}`, r);
    case "data-file": return fileLine(`data ${r.file}`, r);
    case "more-files": return `… and ${r.count} more ${r.what} file${r.count === 1 ? "" : "s"} changed`;
    case "tree": return `${r.what} changed (${short(r.old)} → ${short(r.new)})`;
    case "data-path": return `data set changed: ${r.old} → ${r.new}`;
    case "data-use": return r.uses ? `now reads the data set${r.path ? ` ${r.path}` : ""}` : "no longer reads the data set";
    case "upstream-output":
      if (r.new === null) return `upstream ${r.stage} is not needed now (no input from it)`;
      if (r.old === null) return `upstream ${r.stage} now provides an input`;
      return `upstream ${r.stage} output changed (${short(r.old)} → ${short(r.new)})`;
    case "upstream-edge": return r.change === "added" ? `now needs ${r.stage}` : `no longer needs ${r.stage}`;
    case "upstream-will-run": return `upstream ${r.stage} will re-run`;
    case "upstream-blocked": return `upstream ${r.stage} ${r.status === "failed" ? "failed" : "was skipped"}`;
    case "not-needed": return `not needed: ${r.why}`;
    case "not-selected": return `not selected and has no valid cached output (${r.because.map(renderReason).join("; ")})`;
    case "interrupted": return "interrupted";
    case "artifacts-deleted": return "not started: the artifacts directory was deleted during the run";
    case "key-format": return "cache key format changed";
    case "error": return `cannot compute the cache key: ${r.message}`;
  }
}

function fileLine(label: string, r: { change: FileChange; old?: string; new?: string }): string {
  if (r.change === "added") return `${label} added`;
  if (r.change === "removed") return `${label} removed`;
  return `${label} changed (${short(r.old)} → ${short(r.new)})`;
}

/** Reasons as text; strings (run records written before reasons were typed) pass through. */
export function renderReasons(rs: readonly (Reason | string)[]): string[] {
  return rs.map((r) => (typeof r === "string" ? r : renderReason(r)));
}

export interface JsonDiff {
  /** Dotted path: "params.loss.type". */
  path: string;
  a: Json | undefined;
  b: Json | undefined;
}

/** Leaf-level differences between two JSON values, as dotted paths under `path`. */
export function jsonDiffs(a: Json | undefined, b: Json | undefined, path: string): JsonDiff[] {
  const isObj = (v: Json | undefined): v is { [k: string]: Json } => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b))
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().flatMap((k) => jsonDiffs(a[k], b[k], `${path}.${k}`));
  return canonicalJson(a ?? null) === canonicalJson(b ?? null) && (a === undefined) === (b === undefined) ? [] : [{ path, a, b }];
}

/** Param differences as reasons. */
export function paramReasons(a: Json | undefined, b: Json | undefined, path = "params"): Reason[] {
  return jsonDiffs(a, b, path).map((d) => ({ type: "param", path: d.path, ...(d.a !== undefined ? { old: d.a } : {}), ...(d.b !== undefined ? { new: d.b } : {}) }));
}

/** File-level differences between two path → sha256 maps, the first `max` listed. */
export function fileChanges(a: Record<string, string>, b: Record<string, string>, max = 6): { shown: { file: string; change: FileChange; old?: string; new?: string }[]; more: number } {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const shown: { file: string; change: FileChange; old?: string; new?: string }[] = [];
  let more = 0;
  for (const n of names) {
    const x = a[n];
    const y = b[n];
    if (x === y) continue;
    if (shown.length >= max) { more++; continue; }
    shown.push(x === undefined ? { file: n, change: "added", new: y! } : y === undefined ? { file: n, change: "removed", old: x } : { file: n, change: "changed", old: x, new: y });
  }
  return { shown, more };
}
