// File and tree hashing (sha256) with a state table, so that a no-op run reads no file contents
// and does close to constant work per unchanged file.
//
// State is kept per directory (table dir_state, one row per directory): the directory's own
// (mtime, inode) when the row holds its complete listing, and for each entry its name, type and,
// for files, (size, mtime, inode) → sha256. So:
//  - a file whose (size, mtime, inode) match is not read again (its stat is still needed: writing
//    into a file does not change its directory);
//  - a directory whose (mtime, inode) match has the same entries (creating, deleting or renaming
//    an entry updates the directory's mtime), so it is not listed again;
//  - one SQL row per directory, fetched a tree level at a time: no per-file SQL or promises.
// "Racy" states are never trusted (git's racy-git problem): a file or directory whose mtime is
// within the timestamp granularity of the moment we looked at it could change again without its
// mtime changing, so such an entry is stored without its stat (the file is re-read next time, once).
//
// Files that do need reading are hashed in parallel by worker threads when there is enough data to
// pay for starting them (sha256 is CPU-bound; one core does ~1.4 GB/s here).
import { createHash } from "node:crypto";
import { closeSync, openSync, readdirSync, readSync, statSync, type Stats } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import type { Db } from "./db.js";
import type { TreeHash } from "./store-api.js";

export interface FileInfo {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string;
}

export type { TreeHash } from "./store-api.js";

export interface HashStats {
  files: number;
  filesRead: number;
  bytesRead: number;
  /** Wall time spent reading + hashing file contents (not stat or state-table lookups). */
  readMs: number;
  /** Directories whose listing came from the state table (not listed again). */
  dirsReused: number;
  /** Directories listed (readdir). */
  dirsListed: number;
}

/** Below this many bytes to read, hash on the main thread (worker start-up costs ~30 ms). */
const WORKER_THRESHOLD = 48 * 1024 * 1024;
const CHUNK = 1024 * 1024;

/** How long after its mtime a file or directory may still change without its mtime changing:
 * the timestamp granularity (a clock tick, ≤ 10 ms, on ext4/xfs/btrfs/tmpfs; whole seconds on
 * ext3/HFS+, two on FAT: a whole-second mtime gets the larger margin). */
const racyMs = (mtimeMs: number): number => (mtimeMs % 1000 === 0 ? 2000 : 100);
/** Can a state seen at `observedAt` (ms, taken before the stat) be trusted later? */
const settled = (mtimeMs: number, observedAt: number): boolean => mtimeMs + racyMs(mtimeMs) < observedAt;

// ---- the per-directory state rows ----------------------------------------------------------

/** f file, d directory, l symbolic link (followed at each use), o anything else (skipped). */
type EntryType = "f" | "d" | "l" | "o";

/** Strings per entry: name, type, then for a file with a trusted state size, mtime, inode, sha256
 * (four empty strings otherwise). */
const F = 6;

// A row's entries are stored as one string, all fields joined by "/" (a file name cannot contain
// "/", and no other field can either), so a 100 000-entry directory is one split() instead of
// 100 000 SQL rows or objects; entries are kept sorted by name.
class DirState {
  dirty = false;
  private index: Map<string, number> | undefined;
  constructor(
    /** The directory's mtime when the row is its complete listing; null when it is not (a partial
     * row from hashFiles/remember, or a listing taken too close to a change to be trusted). */
    public mtime: number | null,
    public ino: number,
    /** F strings per entry. */
    public fields: string[],
  ) {}

  /** Offset of `name`'s entry in fields, or -1. */
  at(name: string): number {
    if (!this.index) {
      this.index = new Map();
      for (let i = 0; i < this.fields.length; i += F) this.index.set(this.fields[i]!, i);
    }
    return this.index.get(name) ?? -1;
  }

  /** Sets (with undefined: clears) a file's trusted state. `off` is its offset when known. An
   * entry the row does not have is added, and makes the row partial. */
  setState(name: string, off: number, st: { size: number; mtimeMs: number; ino: number; sha256: string } | undefined): void {
    if (off < 0 || this.fields[off] !== name) off = this.at(name);
    const v = st ? [String(st.size), String(st.mtimeMs), String(st.ino), st.sha256] : ["", "", "", ""];
    if (off < 0) {
      this.index?.set(name, this.fields.length);
      this.fields.push(name, "f", ...v);
      this.mtime = null;
      this.dirty = true;
      return;
    }
    const f = this.fields;
    if (f[off + 2] === v[0] && f[off + 3] === v[1] && f[off + 4] === v[2] && f[off + 5] === v[3]) return;
    f.splice(off + 2, 4, ...v);
    this.dirty = true;
  }

  /** The stored hash of the entry at `off` when its state matches the stat, else "". */
  known(off: number, s: Stats): string {
    if (off < 0) return "";
    const f = this.fields;
    const sha = f[off + 5]!;
    return sha && Number(f[off + 2]) === s.size && Number(f[off + 3]) === s.mtimeMs && Number(f[off + 4]) === s.ino ? sha : "";
  }
}

/** Rows of these directories (absolute paths), in few queries. */
async function loadRows(db: Db | undefined, dirs: string[]): Promise<Map<string, DirState>> {
  const out = new Map<string, DirState>();
  if (!db || !dirs.length) return out;
  for (let i = 0; i < dirs.length; i += 2000) {
    const rows = await db.query<{ dir: string; mtime: string | null; ino: number; entries: string }>(
      "SELECT dir, mtime, ino, entries FROM dir_state WHERE dir IN (SELECT value FROM json_each(?))",
      JSON.stringify(dirs.slice(i, i + 2000)),
    );
    for (const r of rows) out.set(r.dir, new DirState(r.mtime === null ? null : Number(r.mtime), r.ino, r.entries ? r.entries.split("/") : []));
  }
  return out;
}

/** Writes the changed rows, batched (a batch is one statement, at most ~8 MB of JSON). */
async function saveRows(db: Db | undefined, rows: Map<string, DirState>): Promise<void> {
  if (!db) return;
  // mtime as text: JavaScript's shortest round-trip form, compared exactly after Number().
  let batch: [string, string | null, number, string][] = [];
  let size = 0;
  const flush = async () => {
    if (!batch.length) return;
    await db.query(
      `INSERT INTO dir_state(dir, mtime, ino, entries)
         SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]')
         FROM json_each(?) AS j WHERE true
       ON CONFLICT(dir) DO UPDATE SET mtime = excluded.mtime, ino = excluded.ino, entries = excluded.entries`,
      JSON.stringify(batch),
    );
    batch = [];
    size = 0;
  };
  for (const [dir, r] of rows) {
    if (!r.dirty) continue;
    const entries = r.fields.join("/");
    batch.push([dir, r.mtime === null ? null : String(r.mtime), r.ino, entries]);
    size += entries.length + dir.length;
    if (size > 8e6) await flush();
    r.dirty = false;
  }
  await flush();
}

// ---- the hasher --------------------------------------------------------------------------------

/** A directory to walk: where, its path relative to the tree root, its stat, and the chain of
 * (dev, inode) above it (a symbolic link back to an ancestor is not followed). */
interface DirNode {
  abs: string;
  rel: string;
  st: Stats;
  ancestors: string[];
}

/** A file found by a walk or named to hashFiles; sha256 is "" until known. `off` is its entry's
 * offset in its directory's row (-1: none yet). */
interface Found {
  rel: string;
  path: string;
  name: string;
  row: DirState;
  off: number;
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string;
}

const infoOf = (f: Found): FileInfo => ({ path: f.path, size: f.size, mtimeMs: f.mtimeMs, ino: f.ino, sha256: f.sha256 });
const newStats = (): HashStats => ({ files: 0, filesRead: 0, bytesRead: 0, readMs: 0, dirsReused: 0, dirsListed: 0 });

export class FileHasher {
  readonly stats: HashStats = newStats();
  constructor(private readonly db: Db | undefined, private readonly threads = Math.max(1, availableParallelism())) {}

  /** Hashes the given file paths; unchanged files come from the state table. Keys of the result
   * are the paths as given. Throws when one is missing or not a regular file. */
  async hashFiles(paths: string[]): Promise<Map<string, FileInfo>> {
    const observedAt = Date.now();
    const abs = paths.map((p) => resolve(p));
    const rows = await loadRows(this.db, [...new Set(abs.map(dirname))]);
    const found: Found[] = [];
    for (let i = 0; i < paths.length; i++) {
      const p = abs[i]!;
      const s = statSync(p);
      if (!s.isFile()) throw new Error(`${paths[i]}: not a regular file`);
      const dir = dirname(p);
      let row = rows.get(dir);
      if (!row) rows.set(dir, (row = new DirState(null, 0, [])));
      const name = p.slice(dir.length + (dir.endsWith("/") ? 0 : 1));
      const off = row.at(name);
      found.push({ rel: name, path: paths[i]!, name, row, off, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, sha256: row.known(off, s) });
    }
    await this.complete(found, observedAt);
    await saveRows(this.db, rows);
    return new Map(found.map((f) => [f.path, infoOf(f)]));
  }

  /** Hashes every file under root (or root itself when it is a file), skipping what
   * `ignore(relative path)` rejects (a rejected directory is not entered). `files` and `infos`
   * of the result are built when first read. */
  async hashTree(root: string, opts: { ignore?: (rel: string) => boolean } = {}): Promise<TreeHash> {
    const observedAt = Date.now();
    const rootAbs = resolve(root);
    const st = statSync(rootAbs);
    if (!st.isDirectory()) {
      const info = (await this.hashFiles([rootAbs])).get(rootAbs)!;
      return { hash: treeHashOfSorted([{ rel: "", sha256: info.sha256 }]), files: { "": info.sha256 }, bytes: info.size, infos: [info] };
    }
    const found: Found[] = [];
    const rows = new Map<string, DirState>();
    let level: DirNode[] = [{ abs: rootAbs, rel: "", st, ancestors: [] }];
    while (level.length) {
      const loaded = await loadRows(this.db, level.map((d) => d.abs));
      const next: DirNode[] = [];
      for (const d of level) walkDir(d, loaded.get(d.abs), opts.ignore, observedAt, rows, found, next, this.stats);
      level = next;
    }
    await this.complete(found, observedAt);
    await saveRows(this.db, rows);

    // By relative path, as UTF-16 code units like sort(). A directory's entries are stored sorted,
    // so this is mostly merging runs.
    found.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    let bytes = 0;
    for (const f of found) bytes += f.size;
    let files: Record<string, string> | undefined;
    let infos: FileInfo[] | undefined;
    return {
      hash: treeHashOfSorted(found),
      bytes,
      get files() {
        if (!files) {
          files = {};
          for (const f of found) files[f.rel] = f.sha256;
        }
        return files;
      },
      get infos() {
        return (infos ??= found.map(infoOf));
      },
    };
  }

  /** Reads and hashes the files whose hash is not known, and records their state in their
   * directory's row (racy ones without a trusted stat). */
  private async complete(found: Found[], observedAt: number): Promise<void> {
    this.stats.files += found.length;
    const todo = found.filter((f) => !f.sha256);
    if (!todo.length) return;
    const bytes = todo.reduce((a, f) => a + f.size, 0);
    const t0 = performance.now();
    const hashes = await this.hashContents(todo.map((f) => f.path), bytes);
    this.stats.readMs += performance.now() - t0;
    this.stats.filesRead += todo.length;
    this.stats.bytesRead += bytes;
    todo.forEach((f, i) => {
      f.sha256 = hashes[i]!;
      if (this.db) f.row.setState(f.name, f.off, settled(f.mtimeMs, observedAt) ? f : undefined);
    });
  }

  /** Drops the state of `dir` and everything under it (a deleted store object). */
  async forget(dir: string): Promise<void> {
    if (!this.db) return;
    const d = resolve(dir);
    // Every path under d starts with d + "/"; "0" is the character after "/".
    await this.db.query("DELETE FROM dir_state WHERE dir = ? OR (dir >= ? AND dir < ?)", d, `${d}/`, `${d}0`);
  }

  /** Files under `prefix` (a path prefix, e.g. a directory with its trailing "/") whose hash the
   * state table holds (tests, diagnostics). */
  async knownPaths(prefix: string): Promise<string[]> {
    if (!this.db) return [];
    const base = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) || "/" : prefix;
    const rows = await this.db.query<{ dir: string; entries: string }>(
      "SELECT dir, entries FROM dir_state WHERE dir = ? OR (dir >= ? AND dir < ?)", base, `${base.replace(/\/$/, "")}/`, `${base.replace(/\/$/, "")}0`);
    const out: string[] = [];
    for (const r of rows) {
      const f = r.entries ? r.entries.split("/") : [];
      const dir = r.dir.endsWith("/") ? r.dir : `${r.dir}/`;
      for (let off = 0; off < f.length; off += F) if (f[off + 5] && (dir + f[off]).startsWith(prefix)) out.push(dir + f[off]);
    }
    return out.sort();
  }

  /** Records already-known hashes, e.g. outputs just moved into the store. Trusted as given: the
   * caller knows the files have not changed since they were hashed. */
  async remember(files: FileInfo[]): Promise<void> {
    if (!this.db || !files.length) return;
    const abs = files.map((f) => resolve(f.path));
    const rows = await loadRows(this.db, [...new Set(abs.map(dirname))]);
    files.forEach((f, i) => {
      const p = abs[i]!;
      const dir = dirname(p);
      let row = rows.get(dir);
      if (!row) rows.set(dir, (row = new DirState(null, 0, [])));
      row.setState(p.slice(dir.length + (dir.endsWith("/") ? 0 : 1)), -1, f);
    });
    await saveRows(this.db, rows);
  }

  private async hashContents(paths: string[], bytes: number): Promise<string[]> {
    if (bytes < WORKER_THRESHOLD || this.threads < 2 || paths.length < 2) return paths.map(hashFileSync);
    return hashInWorkers(paths, Math.min(this.threads, paths.length));
  }
}

/** Lists one directory (or reuses its stored listing), stats its files and queues its subdirs. */
function walkDir(d: DirNode, stored: DirState | undefined, ignore: ((rel: string) => boolean) | undefined, observedAt: number,
  rows: Map<string, DirState>, found: Found[], next: DirNode[], stats: HashStats): void {
  let row: DirState;
  if (stored && stored.mtime !== null && stored.mtime === d.st.mtimeMs && stored.ino === d.st.ino) {
    row = stored;
    stats.dirsReused++;
  } else {
    const fields: string[] = [];
    const listed = readdirSync(d.abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of listed) {
      const type: EntryType = e.isFile() ? "f" : e.isDirectory() ? "d" : e.isSymbolicLink() ? "l" : "o";
      const old = stored ? stored.at(e.name) : -1;
      if (old >= 0 && stored!.fields[old + 1] === type) fields.push(e.name, type, stored!.fields[old + 2]!, stored!.fields[old + 3]!, stored!.fields[old + 4]!, stored!.fields[old + 5]!);
      else fields.push(e.name, type, "", "", "", "");
    }
    row = new DirState(settled(d.st.mtimeMs, observedAt) ? d.st.mtimeMs : null, d.st.ino, fields);
    row.dirty = true;
    stats.dirsListed++;
  }
  rows.set(d.abs, row);
  const prefix = d.abs.endsWith("/") ? d.abs : `${d.abs}/`;
  const relPrefix = d.rel ? `${d.rel}/` : "";
  const f = row.fields;
  for (let off = 0; off < f.length; off += F) {
    const name = f[off]!;
    const type = f[off + 1] as EntryType;
    if (type === "o") continue;
    const rel = relPrefix + name;
    if (ignore?.(rel)) continue;
    const path = prefix + name;
    const s = statSync(path, { throwIfNoEntry: false });
    if (!s) continue; // deleted since it was listed (or a dangling link)
    if (s.isDirectory()) {
      if (type === "f") continue; // replaced meanwhile: seen next time
      const self = `${d.st.dev}:${d.st.ino}`;
      const id = `${s.dev}:${s.ino}`;
      if (type === "l" && (id === self || d.ancestors.includes(id))) continue; // a link back to an ancestor
      next.push({ abs: path, rel, st: s, ancestors: [...d.ancestors, self] });
    } else if (s.isFile() && type !== "d") {
      found.push({ rel, path, name, row, off, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, sha256: row.known(off, s) });
    }
  }
}

/** The hash of a tree given its relative path → sha256 map. */
export function treeHashOf(files: Record<string, string>): string {
  return treeHashOfSorted(Object.keys(files).sort().map((rel) => ({ rel, sha256: files[rel]! })), false);
}

/** sha256 of the canonical JSON of the sorted [path, sha256] pairs (for an array of string pairs
 * that is what JSON.stringify writes), fed to the hash in slices rather than one 10 MB string. */
const HEX = /^[0-9a-f]*$/;

/** `hex`: the values are known to be hex digests (this module's own), which are their own JSON
 * inside quotes; otherwise each value is checked. */
function treeHashOfSorted(files: readonly { rel: string; sha256: string }[], hex = true): string {
  const h = createHash("sha256");
  h.update("[");
  for (let i = 0; i < files.length; i += 4096) {
    const parts: string[] = [];
    for (let j = i; j < Math.min(i + 4096, files.length); j++) {
      const { rel, sha256: v } = files[j]!;
      parts.push(`[${JSON.stringify(rel)},${hex || HEX.test(v) ? `"${v}"` : JSON.stringify(v)}]`);
    }
    h.update(i ? `,${parts.join(",")}` : parts.join(","));
  }
  h.update("]");
  return h.digest("hex");
}

export function hashFileSync(path: string): string {
  const h = createHash("sha256");
  const buf = Buffer.allocUnsafe(CHUNK);
  const fd = openSync(path, "r");
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      h.update(n === CHUNK ? buf : buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest("hex");
}

/** All regular files under dir (sorted absolute paths), skipping what `ignore(relativePath)`
 * rejects; links are followed like hashTree follows them. */
export async function listFiles(dir: string, ignore?: (rel: string) => boolean): Promise<string[]> {
  const found: Found[] = [];
  const stats = newStats();
  let level: DirNode[] = [{ abs: resolve(dir), rel: "", st: statSync(dir), ancestors: [] }];
  while (level.length) {
    const next: DirNode[] = [];
    for (const d of level) walkDir(d, undefined, ignore, 0, new Map(), found, next, stats);
    level = next;
  }
  return found.map((f) => f.path).sort();
}

// The worker is inline source (eval) so it works the same from dist/ and from tsx-run sources.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { openSync, readSync, closeSync } = require("node:fs");
const buf = Buffer.allocUnsafe(${CHUNK * 4});
parentPort.on("message", ({ i, path }) => {
  try {
    const h = createHash("sha256");
    const fd = openSync(path, "r");
    try {
      for (;;) { const n = readSync(fd, buf, 0, buf.length, null); if (n === 0) break; h.update(n === buf.length ? buf : buf.subarray(0, n)); }
    } finally { closeSync(fd); }
    parentPort.postMessage({ i, hash: h.digest("hex") });
  } catch (e) { parentPort.postMessage({ i, error: String(e && e.message || e) }); }
});`;

async function hashInWorkers(paths: string[], n: number): Promise<string[]> {
  const out = new Array<string>(paths.length);
  let next = 0;
  const workers = Array.from({ length: n }, () => new Worker(WORKER_SOURCE, { eval: true }));
  try {
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      const feed = () => {
        if (next >= paths.length) return resolve();
        const i = next++;
        w.postMessage({ i, path: paths[i] });
      };
      w.on("message", (m: { i: number; hash?: string; error?: string }) => {
        if (m.error) return reject(new Error(`${paths[m.i]}: ${m.error}`));
        out[m.i] = m.hash!;
        feed();
      });
      w.on("error", reject);
      feed();
    })));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}
