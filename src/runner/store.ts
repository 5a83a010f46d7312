// The cache: content-addressed stage outputs under artifacts/objects/<tree hash>/ and an index in
// keyv (entry:<key> → which object, plus the key's components so `why` can print old → new).
// Commit order makes a crash harmless: write to tmp/, hash, rename into objects/, and only then
// write the index entry. An object without an entry is garbage; an entry is never written for an
// object that is not complete.
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { openDb, type Db } from "./db.js";
import { FileHasher, type FileInfo, type TreeHash } from "./filehash.js";
import type { CacheEntry, ObjectState } from "./store-api.js";

export type { CacheEntry, ObjectState } from "./store-api.js";

export class Store {
  readonly hasher: FileHasher;
  private constructor(readonly dir: string, readonly db: Db) {
    this.hasher = new FileHasher(db);
  }

  static async open(dir: string): Promise<Store> {
    await mkdir(join(dir, "objects"), { recursive: true });
    return new Store(dir, await openDb(join(dir, "cache.sqlite")));
  }

  close(): Promise<void> {
    return this.db.close();
  }

  objectDir(hash: string): string {
    return join(this.dir, "objects", hash);
  }

  getEntry(key: string): Promise<CacheEntry | undefined> {
    return this.db.kv.get<CacheEntry>(`entry:${key}`);
  }

  /** The key most recently run or used for a stage name: what `why` compares against. */
  async getLastKey(stage: string): Promise<string | undefined> {
    return this.db.kv.get<string>(`last:${stage}`);
  }

  async setLastKey(stage: string, key: string): Promise<void> {
    await this.db.kv.set(`last:${stage}`, key);
  }

  /** Is objects/<hash> complete and unmodified? Uses the state table, so this is cheap. A tamper
   * that keeps size, mtime and inode is only caught by `dfd verify`, which re-reads everything. */
  async checkObject(hash: string): Promise<ObjectState> {
    const dir = this.objectDir(hash);
    if (!existsSync(dir)) return "missing";
    const tree = await this.hasher.hashTree(dir);
    return tree.hash === hash ? "ok" : "modified";
  }

  /** Hashes a finished stage's output dir (tree hash = its address). Fresh files: nothing to look
   * up, and their temp paths are not worth remembering (commitObject records the final ones). */
  hashOutput(outDir: string): Promise<TreeHash> {
    return new FileHasher(undefined).hashTree(outDir);
  }

  /** Moves outDir into objects/<hash> atomically (same filesystem: tmp/ lives in artifacts/). */
  async commitObject(outDir: string, tree: TreeHash): Promise<void> {
    const hash = tree.hash;
    const dest = this.objectDir(hash);
    if (existsSync(dest)) {
      // Same content already stored (early cut-off case), unless the stored copy was damaged.
      if ((await this.checkObject(hash)) === "ok") {
        await rm(outDir, { recursive: true, force: true });
        return;
      }
      const trash = join(this.dir, "tmp", `damaged-${hash}-${Date.now()}`);
      await rename(dest, trash);
      await rm(trash, { recursive: true, force: true });
    }
    try {
      await rename(outDir, dest);
    } catch (e) {
      // Two stages of this run produced the same content at the same moment: the other one won.
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== "ENOTEMPTY" && code !== "EEXIST") || (await this.checkObject(hash)) !== "ok") throw e;
      await rm(outDir, { recursive: true, force: true });
      return;
    }
    // Record the moved files' hashes under their new paths (rename keeps inode and mtime), so the
    // next run does not re-read them.
    const moved: FileInfo[] = tree.infos.map((f) => ({ ...f, path: dest + f.path.slice(outDir.length) }));
    await this.hasher.remember(moved);
  }

  /** Removes objects/<hash> (gc): renamed out of objects/ first so it vanishes atomically, then
   * deleted, and its files forgotten by the state table. Delete the entries pointing at it first. */
  async deleteObject(hash: string): Promise<void> {
    const dir = this.objectDir(hash);
    const trash = join(this.dir, "tmp", `gc-${hash}-${process.pid}`);
    await mkdir(join(this.dir, "tmp"), { recursive: true });
    try {
      await rename(dir, trash);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    await rm(trash, { recursive: true, force: true });
    await this.hasher.forget(dir);
  }

  async putEntry(entry: CacheEntry): Promise<void> {
    await this.db.kv.set(`entry:${entry.key}`, entry);
  }

  async deleteEntry(key: string): Promise<void> {
    await this.db.kv.delete(`entry:${key}`);
  }

  /** Every index entry (for verify and, later, gc). */
  async entries(): Promise<CacheEntry[]> {
    const rows = await this.db.query<{ value: string }>("SELECT value FROM keyv WHERE key LIKE 'dfd:entry:%'");
    return rows.map((r) => (JSON.parse(r.value) as { value: CacheEntry }).value);
  }

  async objectHashes(): Promise<string[]> {
    const names = await readdir(join(this.dir, "objects")).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).sort();
  }

  /** Re-reads every object (no state table) and compares it with its address. */
  async verify(onObject?: (hash: string, state: ObjectState) => void): Promise<{ checked: number; bad: { hash: string; state: ObjectState; stages: string[] }[]; danglingEntries: CacheEntry[] }> {
    const fresh = new FileHasher(undefined);
    const entries = await this.entries();
    const byHash = new Map<string, string[]>();
    for (const e of entries) byHash.set(e.outputHash, [...(byHash.get(e.outputHash) ?? []), e.stage]);
    const hashes = await this.objectHashes();
    const bad: { hash: string; state: ObjectState; stages: string[] }[] = [];
    for (const h of hashes) {
      const t = await fresh.hashTree(this.objectDir(h));
      const state: ObjectState = t.hash === h ? "ok" : "modified";
      onObject?.(h, state);
      if (state !== "ok") bad.push({ hash: h, state, stages: [...new Set(byHash.get(h) ?? [])] });
    }
    const present = new Set(hashes);
    const danglingEntries = entries.filter((e) => !present.has(e.outputHash));
    return { checked: hashes.length, bad, danglingEntries };
  }
}
