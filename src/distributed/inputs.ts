// How a worker gets an item's input. By default by content, through the remote cache: the coordinator
// uploads what the items read (blobs under their sha256, and for whole trees the tree's file
// list, trees/<hash>.json); a worker downloads them into its own tree cache
// (<work dir>/trees/<tree hash>/<relative path>), re-hashing every file, so the kind finds its
// input at the same relative path as on the coordinator. No shared filesystem is needed.
// With inputs "shared" (the data set and the artifacts directory on a filesystem every worker
// mounts at the same path), nothing is uploaded: the job names the coordinator's directory and
// the worker reads it there, re-hashing each file it needs once before trusting it.
//
// Which files an item reads: the files of the needed trees (the data set, the needed stages'
// outputs) whose sha256 is the item's contentHash (extract: the clip), plus each tree's small
// top-level files (≤ 4 MiB: the marker and index files a kind uses to find its input, like
// manifest.csv or videos.jsonl). When no file matches (an item whose contentHash covers several
// things), every file of every tree goes.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { WorkItem } from "../stage.js";
import { mapLimit } from "../remote/backend.js";
import { BadBlobError, TRANSFER_CONCURRENCY, hashFile, type RemoteCache } from "../remote/cache.js";
import { blobKey } from "../remote/layout.js";
import type { TreeInput } from "./jobs.js";

/** A tree the items may read, on the coordinator. */
export interface LocalTree {
  /** "data", or the needed stage's name. */
  name: string;
  hash: string;
  /** Its directory here. */
  root: string;
  files: Record<string, string>;
  /** Sizes of the files at its top level (relative path → bytes). */
  topSizes: Record<string, number>;
}

/** Top-level files up to this size always go with a tree's sparse part. */
export const SMALL_TOP_FILE = 4 * 1024 * 1024;

/** A tree's small top-level files. */
const smallTop = (t: LocalTree): Record<string, string> =>
  Object.fromEntries(Object.entries(t.files).filter(([rel]) => !rel.includes("/") && (t.topSizes[rel] ?? Infinity) <= SMALL_TOP_FILE));

/** Per item, the TreeInput of each tree (sparse: only its own files, when its contentHash names
 * them); uploads the blobs (and for whole trees, the file lists) the workers will need. */
export type InputMode = "remote" | "shared";

export async function publishInputs(cache: RemoteCache, trees: LocalTree[], items: WorkItem[], mode: InputMode, signal?: AbortSignal): Promise<Map<string, TreeInput>[]> {
  const bySha = new Map<string, { tree: number; rel: string }[]>();
  trees.forEach((t, i) => {
    for (const [rel, sha] of Object.entries(t.files)) bySha.set(sha, [...(bySha.get(sha) ?? []), { tree: i, rel }]);
  });
  const perItem: Map<string, TreeInput>[] = [];
  const needed = trees.map(() => new Map<string, string>());
  const whole = new Set<number>();
  for (const item of items) {
    const hits = bySha.get(item.contentHash);
    const m = new Map<string, TreeInput>();
    if (hits) {
      const sub = new Map<number, Record<string, string>>();
      for (const h of hits) sub.set(h.tree, { ...(sub.get(h.tree) ?? {}), [h.rel]: item.contentHash });
      trees.forEach((t, i) => {
        const files = { ...smallTop(t), ...(sub.get(i) ?? {}) };
        m.set(t.name, { hash: t.hash, files, ...(mode === "shared" ? { path: t.root } : {}) });
        for (const [rel, sha] of Object.entries(files)) needed[i]!.set(rel, sha);
      });
    } else {
      trees.forEach((t, i) => { m.set(t.name, { hash: t.hash, ...(mode === "shared" ? { path: t.root, files: t.files } : {}) }); whole.add(i); });
    }
    perItem.push(m);
  }
  if (mode === "shared") return perItem;
  for (const [i, t] of trees.entries()) {
    const files = whole.has(i) ? t.files : Object.fromEntries(needed[i]!);
    if (Object.keys(files).length) await cache.putBlobs(t.root, files, signal ? { signal } : {});
    if (whole.has(i)) await cache.putTree(t.hash, t.files, signal);
  }
  return perItem;
}

/** Materializes a tree (or the part of it an item needs) under `root`; returns root. Files
 * already there are re-hashed once per process before they are trusted. */
export class TreeCache {
  private readonly lists = new Map<string, Promise<Record<string, string>>>();
  private readonly verified = new Set<string>();
  constructor(private readonly cache: RemoteCache, private readonly dir: string) {}

  async materialize(tree: TreeInput, signal?: AbortSignal): Promise<string> {
    if (tree.path !== undefined) return this.shared(tree as TreeInput & { path: string });
    const root = join(this.dir, "trees", tree.hash);
    const files = tree.files ?? (await this.list(tree.hash, signal));
    await mapLimit(Object.entries(files), TRANSFER_CONCURRENCY, async ([rel, sha]) => {
      const path = join(root, ...rel.split("/"));
      const id = `${tree.hash}/${rel}`;
      if (this.verified.has(id)) return;
      if (existsSync(path) && (await hashFile(path)).sha256 === sha) {
        this.verified.add(id);
        return;
      }
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.part-${process.pid}-${randomBytes(3).toString("hex")}`;
      try {
        const got = await this.cache.backend.download(blobKey(sha), tmp, signal);
        if (!got) throw new BadBlobError(sha, `${this.cache.url}: input ${rel} of tree ${tree.hash.slice(0, 12)}: blob ${blobKey(sha)} is missing`);
        if (got.sha256 !== sha) throw new BadBlobError(sha, `${this.cache.url}: input ${rel} of tree ${tree.hash.slice(0, 12)}: blob ${blobKey(sha)} is corrupt (its bytes hash to ${got.sha256})`);
        await rename(tmp, path);
        this.verified.add(id);
      } finally {
        await rm(tmp, { force: true });
      }
    });
    await mkdir(root, { recursive: true });
    return root;
  }

  /** Inputs on a shared filesystem: the coordinator's directory, each needed file checked once. */
  private async shared(tree: TreeInput & { path: string }): Promise<string> {
    await mapLimit(Object.entries(tree.files ?? {}), TRANSFER_CONCURRENCY, async ([rel, sha]) => {
      const path = join(tree.path, ...rel.split("/"));
      if (this.verified.has(path)) return;
      const got = existsSync(path) ? (await hashFile(path)).sha256 : undefined;
      if (got !== sha)
        throw new Error(`input ${path} is ${got ? "not the coordinator's file (another sha256)" : "missing"} on this worker: executor inputs "shared" needs the data set and the artifacts directory at the same path on every worker (or use inputs "remote")`);
      this.verified.add(path);
    });
    return tree.path;
  }

  private list(hash: string, signal?: AbortSignal): Promise<Record<string, string>> {
    let p = this.lists.get(hash);
    if (!p) {
      p = this.cache.getTree(hash, signal).then((files) => {
        if (!files) throw new Error(`${this.cache.url}: the file list of input tree ${hash} is missing (trees/${hash}.json): the coordinator uploads it before queueing items`);
        return files;
      });
      p.catch(() => this.lists.delete(hash));
      this.lists.set(hash, p);
    }
    return p;
  }
}
