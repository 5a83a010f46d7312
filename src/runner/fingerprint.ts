// A stage's cache key is the sha256 of the canonical JSON of its KeyComponents. The components
// themselves are stored with each cache entry so that a miss can be explained as values:
// "params.lr 0.001 → 0.0003", "input data/a.csv changed (1f3e2a10 → 9ab04c77)", ...
import type { Json } from "../params.js";
import { canonicalJson, sha256, short } from "./canonical.js";

export interface KeyComponents {
  /** Bump when the key layout changes, so old entries simply miss. */
  v: 1;
  name: string;
  kind: string;
  /** Hash of the kind's code (its `code` files; for shell stages the shell kind's code). */
  code: string;
  /** Shell stages: the `run:` command. */
  command?: string;
  params: Json;
  /** The data set, only for kinds that read it (`usesData`). */
  data: { path: string; hash: string; files: Record<string, string> } | null;
  /** Declared deps (shell stages): file path relative to the pipeline's dir → sha256. */
  deps: Record<string, string>;
  /** Needed stage → its output's tree hash; null when it was not needed (skipped by design). */
  inputs: Record<string, string | null>;
}

export const keyOf = (c: KeyComponents): string => sha256(canonicalJson(c));

const MAX_FILE_REASONS = 6;

/** Why `cur` differs from `old` (the components behind the stage's last key), as printable lines. */
export function explain(old: KeyComponents | undefined, cur: KeyComponents): string[] {
  if (!old) return ["no cached output"];
  const out: string[] = [];
  if (old.kind !== cur.kind) out.push(`kind changed: ${old.kind} → ${cur.kind}`);
  if (old.command !== cur.command) out.push(`command changed: ${JSON.stringify(old.command ?? null)} → ${JSON.stringify(cur.command ?? null)}`);
  if (old.code !== cur.code) out.push(`code of stage ${cur.name} changed (${cur.kind} ${short(old.code)} → ${short(cur.code)})`);
  diffJson(old.params, cur.params, "params", out);
  if ((old.data === null) !== (cur.data === null)) out.push(cur.data ? `now reads data set ${cur.data.path}` : "no longer reads the data set");
  else if (old.data && cur.data) {
    if (old.data.path !== cur.data.path) out.push(`data set changed: ${old.data.path} → ${cur.data.path}`);
    if (old.data.hash !== cur.data.hash) out.push(...diffFiles(old.data.files, cur.data.files, `data ${cur.data.path}`.replace(/\/?$/, "/")));
  }
  out.push(...diffFiles(old.deps, cur.deps, "input "));
  const names = new Set([...Object.keys(old.inputs), ...Object.keys(cur.inputs)]);
  for (const n of [...names].sort()) {
    const a = old.inputs[n];
    const b = cur.inputs[n];
    if (!(n in old.inputs)) out.push(`now needs ${n}`);
    else if (!(n in cur.inputs)) out.push(`no longer needs ${n}`);
    else if (a !== b) {
      if (b === null) out.push(`upstream ${n} is not needed now (no input from it)`);
      else if (a === null) out.push(`upstream ${n} now provides an input`);
      else out.push(`upstream ${n} output changed (${short(a)} → ${short(b)})`);
    }
  }
  if (!out.length && keyOf(old) !== keyOf(cur)) out.push("cache key format changed");
  return out;
}

function diffFiles(a: Record<string, string>, b: Record<string, string>, prefix: string): string[] {
  const lines: string[] = [];
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  let more = 0;
  for (const n of names) {
    const x = a[n];
    const y = b[n];
    if (x === y) continue;
    if (lines.length >= MAX_FILE_REASONS) { more++; continue; }
    const label = `${prefix}${n}`.replace(/\/$/, "");
    if (x === undefined) lines.push(`${label} added`);
    else if (y === undefined) lines.push(`${label} removed`);
    else lines.push(`${label} changed (${short(x)} → ${short(y)})`);
  }
  if (more) lines.push(`… and ${more} more file${more === 1 ? "" : "s"} changed`);
  return lines;
}

const fmt = (v: Json | undefined): string => (v === undefined ? "(unset)" : JSON.stringify(v));

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

/** The same as printable lines: "params.loss.type "bce" → "focal"". */
export function diffJson(a: Json | undefined, b: Json | undefined, path: string, out: string[]): void {
  for (const d of jsonDiffs(a, b, path)) {
    if (d.a === undefined) out.push(`${d.path} added (${fmt(d.b)})`);
    else if (d.b === undefined) out.push(`${d.path} removed (was ${fmt(d.a)})`);
    else out.push(`${d.path} ${fmt(d.a)} → ${fmt(d.b)}`);
  }
}
