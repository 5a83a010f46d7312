// A stage's cache key is the sha256 of the canonical JSON of its KeyComponents. The components are
// stored with each cache entry so that a miss can be explained as values (reasons.ts). Big file
// lists (a data set of 100 000 clips, a kind's modules) stay out of the components: a tree is
// named by its tree hash, and its path → sha256 list is stored once under that hash (FileLists),
// read back only to explain a change.
import type { Json } from "../params.js";
import { canonicalJson, sha256 } from "./canonical.js";
import { fileChanges, paramReasons, type Reason } from "./reasons.js";

/** A file or directory tree: the path as written (relative to pipeline.yaml when it was given
 * relative) and its tree hash (sha256 of the sorted relative path → file sha256 list). */
export interface TreeRef {
  path: string;
  hash: string;
}

export interface KeyComponents {
  /** Bump when the key layout changes, so old entries simply miss. */
  v: 2;
  name: string;
  /** `uses:` as written: a built-in name or a module path. */
  kind: string;
  /** Tree hash of the kind's code: its module's import closure and declared extras, plus the
   * closure of module-path params (a user feature extractor). */
  code: string;
  /** dfd, node, platform, and what the kind declares (ffmpeg, tfjs...). */
  env: Record<string, string>;
  /** Resolved params minus `inKey: false` ones; path params as written. */
  params: Json;
  /** Path params (dotted param path, e.g. "deps.0") → the tree they name. */
  paths: Record<string, TreeRef>;
  /** The data set, only for kinds that read it (`usesData`). Its content is in the key, its path
   * (as the user gave it) is not: the same clips elsewhere, or on a teammate's machine, hit. */
  data: TreeRef | null;
  /** Needed stage → its output's tree hash; null when it was not needed (skipped by design). */
  inputs: Record<string, string | null>;
}

export const KEY_VERSION = 2;

export const keyOf = (c: KeyComponents): string => sha256(canonicalJson({ ...c, data: c.data && { hash: c.data.hash } }));

/** Looks up a tree's file list by its hash (undefined when not stored here). */
export type ListLookup = (hash: string) => Promise<Record<string, string> | undefined>;

const MAX_FILES = 6;

/** Why `cur` differs from `old` (the components behind the stage's previous key), as typed
 * reasons. With `lists`, changed trees are explained file by file. */
export async function diffComponents(old: KeyComponents | undefined, cur: KeyComponents, lists?: ListLookup): Promise<Reason[]> {
  if (!old) return [{ type: "no-entry" }];
  if (old.v !== cur.v) return [{ type: "key-format" }];
  const out: Reason[] = [];
  if (old.kind !== cur.kind) out.push({ type: "kind", old: old.kind, new: cur.kind });
  if (old.code !== cur.code) {
    const files = await treeFiles(old.code, cur.code, lists);
    out.push({ type: "code", kind: cur.kind, old: old.code, new: cur.code, ...(files ? { files: files.shown.map(({ file, change }) => ({ file, change })) } : {}) });
  }
  for (const name of [...new Set([...Object.keys(old.env), ...Object.keys(cur.env)])].sort())
    if (old.env[name] !== cur.env[name]) out.push({ type: "env", name, old: old.env[name] ?? null, new: cur.env[name] ?? null });
  out.push(...paramReasons(old.params, cur.params));
  for (const p of [...new Set([...Object.keys(old.paths), ...Object.keys(cur.paths)])].sort()) {
    const a = old.paths[p];
    const b = cur.paths[p];
    if (!a || !b || a.path !== b.path) continue; // the param's value changed: already a param reason
    if (a.hash === b.hash) continue;
    const files = await treeFiles(a.hash, b.hash, lists);
    if (!files) { out.push({ type: "tree", what: `input ${b.path}`, old: a.hash, new: b.hash }); continue; }
    const base = b.path.replace(/\/+$/, "");
    for (const f of files.shown) out.push({ type: "input-file", param: p, ...f, file: f.file ? `${base}/${f.file}` : base });
    if (files.more) out.push({ type: "more-files", count: files.more, what: "input" });
  }
  if ((old.data === null) !== (cur.data === null)) out.push({ type: "data-use", uses: cur.data !== null, ...(cur.data ? { path: cur.data.path } : {}) });
  else if (old.data && cur.data) {
    // The path is not in the key (the same clips elsewhere hit): it is news only with new content,
    // and then it says where the new content came from (two pipeline files name one folder with
    // different relative paths).
    if (old.data.hash !== cur.data.hash && old.data.path !== cur.data.path) out.push({ type: "data-path", old: old.data.path, new: cur.data.path });
    if (old.data.hash !== cur.data.hash) {
      const files = await treeFiles(old.data.hash, cur.data.hash, lists);
      if (!files) out.push({ type: "tree", what: `data ${cur.data.path}`, old: old.data.hash, new: cur.data.hash });
      else {
        const base = cur.data.path.replace(/\/+$/, "");
        for (const f of files.shown) out.push({ type: "data-file", ...f, file: f.file ? `${base}/${f.file}` : base });
        if (files.more) out.push({ type: "more-files", count: files.more, what: "data" });
      }
    }
  }
  for (const n of [...new Set([...Object.keys(old.inputs), ...Object.keys(cur.inputs)])].sort()) {
    if (!(n in old.inputs)) out.push({ type: "upstream-edge", stage: n, change: "added" });
    else if (!(n in cur.inputs)) out.push({ type: "upstream-edge", stage: n, change: "removed" });
    else if (old.inputs[n] !== cur.inputs[n]) out.push({ type: "upstream-output", stage: n, old: old.inputs[n]!, new: cur.inputs[n]! });
  }
  if (!out.length && keyOf(old) !== keyOf(cur)) out.push({ type: "key-format" });
  return out;
}

async function treeFiles(a: string, b: string, lists?: ListLookup) {
  if (!lists) return undefined;
  const [x, y] = await Promise.all([lists(a), lists(b)]);
  return x && y ? fileChanges(x, y, MAX_FILES) : undefined;
}
