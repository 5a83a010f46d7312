// The local store: the one implementation of the store seams (store-api.ts) on this machine, and
// the only place (with the modules it owns: db.ts, records.ts, the file-state table in
// filehash.ts) that runs SQL. Content-addressed stage outputs under artifacts/objects/<tree hash>/
// and an index in keyv + @keyv/sqlite (entry:<key> → which object, plus the key's components).
// Commit order makes a crash harmless: write to tmp/, hash, rename into objects/, and only then
// write the index entry. An object without an entry is garbage; an entry is never written for an
// object that is not complete.
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb, type Db } from "./db.js";
import { FileHasher, type FileInfo } from "./filehash.js";
import { Records } from "./records.js";
import type { CacheEntry, CacheIndex, FileLists, ObjectState, ObjectStore, RunLog, StageStore, TreeHash } from "./store-api.js";

export type { CacheEntry, ObjectState } from "./store-api.js";

/** Thrown when a command that writes meets a read-only artifacts directory. */
export class ReadOnlyStoreError extends Error {
  constructor(readonly dir: string, what: string) {
    super(`${what}: the artifacts directory ${dir} is read-only; point dfd at a writable one with DFD_ARTIFACTS=/path/to/artifacts (copy ${dir} there to keep its cache)`);
  }
}

export class LocalStore implements StageStore {
  readonly hasher: FileHasher;
  readonly index: CacheIndex;
  readonly objects: ObjectStore;
  readonly runs: RunLog;
  readonly lists: FileLists;
  private constructor(readonly dir: string, private readonly db: Db, readonly readOnly: boolean, private readonly scratch?: string) {
    this.hasher = new FileHasher(db);
    this.runs = new Records(db);
    this.index = {
      get: (key) => this.getEntry(key),
      putIfAbsent: async (entry) => {
        this.assertWritable("cache an output");
        const have = await this.getEntry(entry.key);
        if (have) return have;
        await this.db.kv.set(`entry:${entry.key}`, entry);
        return entry;
      },
      replace: async (entry) => {
        this.assertWritable("cache an output");
        await this.db.kv.set(`entry:${entry.key}`, entry);
      },
    };
    this.objects = {
      dir: (hash) => this.objectDir(hash),
      check: (hash) => this.checkObject(hash),
      fetch: (hash) => this.checkObject(hash),
      put: (outDir, tree) => this.commitObject(outDir, tree),
      verify: (hash) => this.verifyObject(hash),
    };
    this.lists = {
      get: async (hash) => {
        const rows = await this.db.query<{ files: string }>("SELECT files FROM file_lists WHERE hash = ?", hash);
        return rows[0] ? (JSON.parse(rows[0].files) as Record<string, string>) : undefined;
      },
      put: async (hash, files) => {
        if (this.readOnly) return;
        const have = await this.db.query("SELECT 1 FROM file_lists WHERE hash = ?", hash);
        if (!have.length) await this.db.query("INSERT OR IGNORE INTO file_lists(hash, files) VALUES (?, ?)", hash, JSON.stringify(files()));
      },
    };
  }

  /** Opens (creating) the store in `dir`. A directory this process cannot write is opened
   * read-only: reads work (status, why, runs...), writes throw ReadOnlyStoreError naming it. */
  static async open(dir: string): Promise<LocalStore> {
    let writable = true;
    try {
      mkdirSync(join(dir, "objects"), { recursive: true });
      accessSync(dir, constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "EACCES" && code !== "EROFS" && code !== "EPERM") throw e;
      writable = false;
    }
    const file = join(dir, "cache.sqlite");
    if (writable) return new LocalStore(dir, await openDb(file), false);
    // SQLite cannot read a WAL-mode database in a directory it cannot write (it needs the -shm
    // file): read a private copy instead. Nothing is ever written back.
    const scratch = mkdtempSync(join(tmpdir(), "dfd-ro-"));
    for (const suffix of ["", "-wal"]) if (existsSync(file + suffix)) copyFileSync(file + suffix, join(scratch, "cache.sqlite" + suffix));
    return new LocalStore(dir, await openDb(join(scratch, "cache.sqlite")), true, scratch);
  }

  async close(): Promise<void> {
    await this.db.close();
    if (this.scratch) rmSync(this.scratch, { recursive: true, force: true });
  }

  /** Throws ReadOnlyStoreError when the store is read-only. */
  assertWritable(what: string): void {
    if (this.readOnly) throw new ReadOnlyStoreError(this.dir, what);
  }

  objectDir(hash: string): string {
    return join(this.dir, "objects", hash);
  }

  private getEntry(key: string): Promise<CacheEntry | undefined> {
    return this.db.kv.get<CacheEntry>(`entry:${key}`);
  }

  /** The key most recently run or used for a stage name: what `why` compares against. */
  lastKey(stage: string): Promise<string | undefined> {
    return this.db.kv.get<string>(`last:${stage}`);
  }

  async setLastKey(stage: string, key: string): Promise<void> {
    if (this.readOnly) return;
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

  /** Re-reads the object's files (no state table) and compares with its address. */
  async verifyObject(hash: string): Promise<ObjectState> {
    const dir = this.objectDir(hash);
    if (!existsSync(dir)) return "missing";
    const t = await new FileHasher(undefined).hashTree(dir);
    return t.hash === hash ? "ok" : "modified";
  }

  /** Moves outDir into objects/<hash> atomically (same filesystem: tmp/ lives in artifacts/). */
  async commitObject(outDir: string, tree: TreeHash): Promise<void> {
    this.assertWritable("store an output");
    const hash = tree.hash;
    const dest = this.objectDir(hash);
    if (existsSync(dest)) {
      // Same content already stored (early cut-off case), unless the stored copy was damaged.
      if ((await this.checkObject(hash)) === "ok") {
        await rm(outDir, { recursive: true, force: true });
        return;
      }
      const trash = join(this.dir, "tmp", `damaged-${hash}-${Date.now()}`);
      await mkdir(join(this.dir, "tmp"), { recursive: true });
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

  // ---- Administration of this machine's store (gc, verify): not part of the seams. ----

  /** Removes objects/<hash> (gc): renamed out of objects/ first so it vanishes atomically, then
   * deleted, and its files forgotten by the state table. Delete the entries pointing at it first. */
  async deleteObject(hash: string): Promise<void> {
    this.assertWritable("delete an output");
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

  async deleteEntry(key: string): Promise<void> {
    this.assertWritable("delete a cache entry");
    await this.db.kv.delete(`entry:${key}`);
  }

  /** Every index entry (verify, gc). */
  async entries(): Promise<CacheEntry[]> {
    const rows = await this.db.query<{ value: string }>("SELECT value FROM keyv WHERE key LIKE 'dfd:entry:%'");
    return rows.map((r) => (JSON.parse(r.value) as { value: CacheEntry }).value);
  }

  /** stage name → the key it last ran or was used with. */
  async lastKeys(): Promise<Map<string, string>> {
    const rows = await this.db.query<{ key: string; value: string }>("SELECT key, value FROM keyv WHERE key LIKE 'dfd:last:%'");
    return new Map(rows.map((r) => [r.key.slice("dfd:last:".length), (JSON.parse(r.value) as { value: string }).value]));
  }

  /** Paths under `prefix` that the file-state table knows (tests, diagnostics). */
  statePaths(prefix: string): Promise<string[]> {
    return this.hasher.knownPaths(prefix);
  }

  async objectHashes(): Promise<string[]> {
    const names = await readdir(join(this.dir, "objects")).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).sort();
  }

  /** Re-reads every object and reports those whose content no longer matches their address
   * (with the stages whose entries point at them, if any) and entries whose object is gone. */
  async verifyAll(onObject?: (hash: string, state: ObjectState) => void): Promise<{ checked: number; bad: { hash: string; state: ObjectState; stages: string[] }[]; danglingEntries: CacheEntry[] }> {
    const entries = await this.entries();
    const byHash = new Map<string, string[]>();
    for (const e of entries) byHash.set(e.outputHash, [...(byHash.get(e.outputHash) ?? []), e.stage]);
    const hashes = await this.objectHashes();
    const bad: { hash: string; state: ObjectState; stages: string[] }[] = [];
    for (const h of hashes) {
      const state = await this.verifyObject(h);
      onObject?.(h, state);
      if (state !== "ok") bad.push({ hash: h, state, stages: [...new Set(byHash.get(h) ?? [])] });
    }
    const present = new Set(hashes);
    const danglingEntries = entries.filter((e) => !present.has(e.outputHash));
    return { checked: hashes.length, bad, danglingEntries };
  }
}
