// The cache database: one SQLite file (artifacts/cache.sqlite) holding the keyv index (cache
// entries, run records) and a plain `dir_state` table (per directory: its listing and each file's
// size, mtime, inode → sha256) that lets unchanged files skip re-hashing. One connection per process.
import Keyv from "keyv";
import KeyvSqlite from "@keyv/sqlite";

export interface Db {
  kv: Keyv;
  /** Raw SQL on the same connection (dir_state; ordered listing of run records). */
  query<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function openDb(file: string): Promise<Db> {
  const store = new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: 30_000 });
  const kv = new Keyv({ store, namespace: "dfd" });
  kv.on("error", () => { /* surfaced by the awaited call that failed */ });
  const query = store.query as unknown as Db["query"];
  // WAL: readers (status, why) never block a running `dfd run`; NORMAL sync is crash-safe in WAL.
  await query("PRAGMA journal_mode=WAL");
  await query("PRAGMA synchronous=NORMAL");
  // File state, one row per directory (src/runner/filehash.ts). It replaced the per-file
  // file_state table (a cache of hashes: dropping it only means files are hashed once more).
  await query("DROP TABLE IF EXISTS file_state");
  await query("CREATE TABLE IF NOT EXISTS dir_state(dir TEXT PRIMARY KEY, mtime TEXT, ino INTEGER, entries TEXT NOT NULL)");
  // Tree file lists by tree hash (key components name trees by hash; `why` diffs the lists).
  await query("CREATE TABLE IF NOT EXISTS file_lists(hash TEXT PRIMARY KEY, files TEXT)");
  return {
    kv,
    query,
    close: async () => { await (store.close as () => Promise<void>)(); },
  };
}
