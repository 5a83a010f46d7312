// The store seams. The executor and the commands use only these interfaces; the local
// implementation (SQLite index + objects/ directory, src/runner/local-store.ts) is the only module
// that runs SQL, and remote implementations (S3, a shared filesystem: src/remote/) plug in behind
// the same interfaces by wrapping the local one (a remote hit is downloaded, re-hashed against its
// address and committed locally before the executor sees it).
import type { StageSummary } from "../stage.js";
import type { FileHasher } from "./filehash.js";
import type { KeyComponents } from "./fingerprint.js";
import type { RunDigest, RunRecord } from "./records.js";

/** What the index keeps for a stage key: which object is its output, and how it was made. */
export interface CacheEntry {
  key: string;
  stage: string;
  kind: string;
  /** Tree hash of the output directory = its address in the object store. */
  outputHash: string;
  summary: StageSummary;
  runId: string;
  seconds: number;
  createdAt: string;
  components: KeyComponents;
  /** Set by a remote-backed store on an entry read from the remote whose object is not local
   * yet: a plan calls it cached (remote), a run fetches the object first. */
  origin?: "remote";
}

export type ObjectState = "ok" | "missing" | "modified";

/** The result of hashing a directory (see filehash.ts). */
export interface TreeHash {
  /** sha256 of the sorted (relative path, file sha256) list. */
  hash: string;
  /** relative path (always with /) → sha256. */
  files: Record<string, string>;
  bytes: number;
  /** Per-file stat + hash (absolute paths), e.g. to re-key them after a rename. */
  infos: { path: string; size: number; mtimeMs: number; ino: number; sha256: string }[];
}

/** Stage key → entry. Entries are immutable: the first writer of a key wins. */
export interface CacheIndex {
  get(key: string): Promise<CacheEntry | undefined>;
  /** Stores `entry` unless the key already has one; returns the entry stored afterwards (the
   * caller's, or the earlier writer's). Call only once the entry's object is committed. */
  putIfAbsent(entry: CacheEntry): Promise<CacheEntry>;
  /** Overwrites the key's entry here (a forced re-run: the user asked for a new output). A
   * remote-backed store replaces it locally only; the remote keeps its first writer. */
  replace(entry: CacheEntry): Promise<void>;
}

/** Content-addressed stage outputs: a directory tree stored under its tree hash. */
export interface ObjectStore {
  /** The local directory that holds (or would hold) the object. Read-only for everyone. */
  dir(hash: string): string;
  /** Is the object here and intact? Cheap (state table), so a tamper that keeps size, mtime and
   * inode is only caught by verify(). */
  check(hash: string): Promise<ObjectState>;
  /** Makes the object present locally when it is not (a remote download, re-hashed against its
   * address before it is committed); returns its state afterwards. The local store returns
   * check()'s answer. `files` is the entry's file list when known (relative path → sha256). */
  fetch(hash: string, files?: Record<string, string>): Promise<ObjectState>;
  /** Commits a finished output directory (moved, atomically) under its tree hash. */
  put(outDir: string, tree: TreeHash): Promise<void>;
  /** Re-reads every file of the object (ignoring any state table) and compares with its address. */
  verify(hash: string): Promise<ObjectState>;
}

/** One record per `dfd run`. */
export interface RunLog {
  put(record: RunRecord): Promise<void>;
  get(id: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  list(limit?: number): Promise<RunRecord[]>;
  latest(): Promise<RunRecord | undefined>;
  /** Newest first, after skipping the newest `offset`: each run without its stages' reasons, logs
   * and summaries (bar metrics, facts, finding counts), for listings of many runs. */
  digests(limit?: number, offset?: number): Promise<RunDigest[]>;
  /** An id, a unique id prefix, `latest` or `latest~N`; throws naming the problem otherwise (a
   * ConfigError: a ref that names no run is bad input). */
  resolve(ref: string): Promise<RunRecord>;
  delete(id: string): Promise<void>;
}

/** Tree file lists by tree hash (key components name trees by hash; `why` reads the lists back to
 * say which files changed). Local only: a remote store passes these through. */
export interface FileLists {
  get(hash: string): Promise<Record<string, string> | undefined>;
  /** Stores the list unless the hash is known; `files` is called only then (building a 100 000-path
   * map on every no-op run would cost more than the lookup). */
  put(hash: string, files: () => Record<string, string>): Promise<void>;
}

/** What a run needs from the store, as the executor and the commands see it. */
export interface StageStore {
  index: CacheIndex;
  objects: ObjectStore;
  runs: RunLog;
  lists: FileLists;
  /** Hashes files with the (size, mtime, inode) state table of this store. */
  hasher: FileHasher;
  /** The key a stage name last ran or was used with in this workspace: what `why` compares to. */
  lastKey(stage: string): Promise<string | undefined>;
  setLastKey(stage: string, key: string): Promise<void>;
}
