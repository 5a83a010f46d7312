// Cache garbage collection. What is kept: every intact object that the workspace (pipeline.yaml as
// written), the latest run, the last N runs, a run
// still in progress, or a stage's current cache entry (what `dfd path` prints) references. What may
// go: everything else, optionally only what is older than an age, or only as much (oldest first)
// as brings the store under a size (oldest first; among equally old, largest first). The plan is computed first (and is all that --dry-run does);
// deleting drops the index entries before the object, so a crash mid-gc leaves at worst an object
// without an entry (garbage for the next gc), never an entry without its object.
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { RunDigest } from "../runner/records.js";
import type { CacheEntry } from "../runner/store-api.js";

export interface GcOptions {
  /** Keep the objects of the newest N runs (the latest is always kept). */
  keepLast: number;
  /** Only objects last used longer ago than this (ms) may go. */
  olderThanMs?: number;
  /** Remove (oldest first) only until the store is at most this many bytes. */
  maxSize?: number;
  now?: number;
}

export interface GcObject {
  hash: string;
  bytes: number;
  files: number;
  /** Newest use: a run that referenced it or the entry that committed it (ms since epoch). */
  lastUsed: number;
  stages: string[];
  /** Its content no longer matches its address: removed whatever references it. */
  damaged?: boolean;
}

export interface GcPlan {
  keptRuns: string[];
  keep: GcObject[];
  remove: GcObject[];
  /** Index entries that point at removed (or already missing) objects. */
  removeEntries: string[];
  totalBytes: number;
  freedBytes: number;
  /** Set when --max-size cannot be reached without touching kept objects. */
  note?: string;
}

/** What gc needs of a run: a run record or its digest will do. */
export type GcRun = Pick<RunDigest, "id" | "status" | "startedAt" | "finishedAt"> & { stages: { name: string; outputHash: string | null }[] };

export interface StoreView {
  objects: { hash: string; bytes: number; files: number; mtimeMs: number; damaged?: boolean }[];
  entries: CacheEntry[];
  runs: GcRun[]; // newest first
  /** Keys of the workspace: what pipeline.yaml as written resolves to (cached stages). */
  currentKeys: string[];
}

export function planGc(view: StoreView, opts: GcOptions): GcPlan {
  const now = opts.now ?? Date.now();
  const keepN = Math.max(1, Math.floor(opts.keepLast));
  const keptRuns = view.runs.filter((r, i) => i < keepN || r.status === "running");
  const protectedHashes = new Set<string>();
  for (const r of keptRuns) for (const s of r.stages) if (s.outputHash) protectedHashes.add(s.outputHash);
  const current = new Set(view.currentKeys);
  for (const e of view.entries) if (current.has(e.key)) protectedHashes.add(e.outputHash);

  const lastUsed = new Map<string, number>();
  const stagesOf = new Map<string, Set<string>>();
  const touch = (hash: string, t: number, stage: string) => {
    if (!Number.isNaN(t)) lastUsed.set(hash, Math.max(lastUsed.get(hash) ?? 0, t));
    (stagesOf.get(hash) ?? stagesOf.set(hash, new Set()).get(hash)!).add(stage);
  };
  for (const e of view.entries) touch(e.outputHash, Date.parse(e.createdAt), e.stage);
  for (const r of view.runs) for (const s of r.stages) if (s.outputHash) touch(s.outputHash, Date.parse(r.finishedAt ?? r.startedAt), s.name);

  const all: GcObject[] = view.objects.map((o) => ({
    hash: o.hash,
    bytes: o.bytes,
    files: o.files,
    lastUsed: lastUsed.get(o.hash) ?? o.mtimeMs,
    stages: [...(stagesOf.get(o.hash) ?? [])].sort(),
    ...(o.damaged ? { damaged: true } : {}),
  }));
  const totalBytes = all.reduce((n, o) => n + o.bytes, 0);
  // A damaged object is useless to everyone: it goes whatever references it.
  const damaged = all.filter((o) => o.damaged);
  let candidates = all.filter((o) => !protectedHashes.has(o.hash) && !o.damaged).sort((a, b) => a.lastUsed - b.lastUsed || b.bytes - a.bytes);
  if (opts.olderThanMs !== undefined) candidates = candidates.filter((o) => now - o.lastUsed > opts.olderThanMs!);

  let remove = candidates;
  let note: string | undefined;
  if (opts.maxSize !== undefined) {
    remove = [];
    let size = totalBytes;
    for (const o of candidates) {
      if (size <= opts.maxSize) break;
      remove.push(o);
      size -= o.bytes;
    }
    if (size > opts.maxSize) note = `the kept objects alone take more than --max-size; lower --keep-last to free more`;
  }
  remove = [...damaged, ...remove];
  const removed = new Set(remove.map((o) => o.hash));
  const present = new Set(view.objects.map((o) => o.hash));
  const removeEntries = view.entries.filter((e) => removed.has(e.outputHash) || !present.has(e.outputHash)).map((e) => e.key);
  return {
    keptRuns: keptRuns.map((r) => r.id),
    keep: all.filter((o) => !removed.has(o.hash)),
    remove,
    removeEntries,
    totalBytes,
    freedBytes: remove.reduce((n, o) => n + o.bytes, 0),
    ...(note ? { note } : {}),
  };
}

/** Size and file count of a directory tree (no links followed). */
export async function treeSize(dir: string): Promise<{ bytes: number; files: number; mtimeMs: number }> {
  let bytes = 0;
  let files = 0;
  const top = await lstat(dir);
  const walk = async (d: string): Promise<void> => {
    for (const ent of await readdir(d, { withFileTypes: true })) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) await walk(p);
      else {
        bytes += (await lstat(p)).size;
        files++;
      }
    }
  };
  await walk(dir);
  return { bytes, files, mtimeMs: top.mtimeMs };
}
