// File and tree hashing (sha256) with a state table: a file whose (size, mtime, inode) match the
// last time we hashed it is not read again. Files that do need reading are hashed in parallel by
// worker threads when there is enough data to pay for starting them (sha256 is CPU-bound; one
// core does ~1.4 GB/s here).
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join, relative, sep } from "node:path";
import { Worker } from "node:worker_threads";
import { canonicalJson, sha256 } from "./canonical.js";
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
}

/** Below this many bytes to read, hash on the main thread (worker start-up costs ~30 ms). */
const WORKER_THRESHOLD = 48 * 1024 * 1024;
const CHUNK = 1024 * 1024;

export class FileHasher {
  readonly stats: HashStats = { files: 0, filesRead: 0, bytesRead: 0, readMs: 0 };
  constructor(private readonly db: Db | undefined, private readonly threads = Math.max(1, availableParallelism())) {}

  /** Hashes the given absolute file paths; unchanged files come from the state table. */
  async hashFiles(paths: string[]): Promise<Map<string, FileInfo>> {
    const stats = await Promise.all(paths.map(async (p) => ({ p, s: await stat(p) })));
    const known = await this.lookup(paths);
    const out = new Map<string, FileInfo>();
    const todo: { path: string; size: number; mtimeMs: number; ino: number }[] = [];
    for (const { p, s } of stats) {
      if (!s.isFile()) throw new Error(`${p}: not a regular file`);
      const k = known.get(p);
      if (k && k.size === s.size && k.mtime === s.mtimeMs && k.ino === s.ino) {
        out.set(p, { path: p, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, sha256: k.sha256 });
      } else todo.push({ path: p, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino });
    }
    this.stats.files += paths.length;
    if (todo.length) {
      const t0 = performance.now();
      const hashes = await this.hashContents(todo.map((t) => t.path), todo.reduce((a, t) => a + t.size, 0));
      this.stats.readMs += performance.now() - t0;
      const fresh: FileInfo[] = todo.map((t, i) => ({ ...t, sha256: hashes[i]! }));
      for (const f of fresh) out.set(f.path, f);
      this.stats.filesRead += todo.length;
      this.stats.bytesRead += todo.reduce((a, t) => a + t.size, 0);
      await this.remember(fresh);
    }
    return out;
  }

  /** Hashes every file under root (or root itself when it is a file). */
  async hashTree(root: string, opts: { ignore?: (rel: string) => boolean } = {}): Promise<TreeHash> {
    const s = await stat(root);
    const files = s.isFile() ? [root] : await listFiles(root, opts.ignore);
    const infos = await this.hashFiles(files);
    const rel: Record<string, string> = {};
    const list: FileInfo[] = [];
    let bytes = 0;
    for (const f of files) {
      const info = infos.get(f)!;
      list.push(info);
      const name = s.isFile() ? "" : relative(root, f).split(sep).join("/");
      rel[name] = info.sha256;
      bytes += info.size;
    }
    return { hash: treeHashOf(rel), files: rel, bytes, infos: list };
  }

  /** Drops the state of every file under `dir` (a deleted store object). */
  async forget(dir: string): Promise<void> {
    if (!this.db) return;
    const prefix = dir.replace(/\/+$/, "") + "/";
    await this.db.query("DELETE FROM file_state WHERE path LIKE ? ESCAPE '\\'", `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }

  /** Records already-known hashes (e.g. outputs just moved into the store). */
  async remember(files: FileInfo[]): Promise<void> {
    if (!this.db || !files.length) return;
    for (let i = 0; i < files.length; i += 5000) {
      const rows = files.slice(i, i + 5000).map((f) => [f.path, f.size, f.mtimeMs, f.ino, f.sha256]);
      await this.db.query(
        `INSERT INTO file_state(path, size, mtime, ino, sha256)
           SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]'),
                  json_extract(j.value, '$[3]'), json_extract(j.value, '$[4]') FROM json_each(?) AS j WHERE true
         ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, ino = excluded.ino, sha256 = excluded.sha256`,
        JSON.stringify(rows),
      );
    }
  }

  private async lookup(paths: string[]): Promise<Map<string, { size: number; mtime: number; ino: number; sha256: string }>> {
    const out = new Map<string, { size: number; mtime: number; ino: number; sha256: string }>();
    if (!this.db || !paths.length) return out;
    for (let i = 0; i < paths.length; i += 5000) {
      const rows = await this.db.query<{ path: string; size: number; mtime: number; ino: number; sha256: string }>(
        "SELECT path, size, mtime, ino, sha256 FROM file_state WHERE path IN (SELECT value FROM json_each(?))",
        JSON.stringify(paths.slice(i, i + 5000)),
      );
      for (const r of rows) out.set(r.path, r);
    }
    return out;
  }

  private async hashContents(paths: string[], bytes: number): Promise<string[]> {
    if (bytes < WORKER_THRESHOLD || this.threads < 2 || paths.length < 2) return paths.map(hashFileSync);
    return hashInWorkers(paths, Math.min(this.threads, paths.length));
  }
}

/** The hash of a tree given its relative path → sha256 map. */
export function treeHashOf(files: Record<string, string>): string {
  return sha256(canonicalJson(Object.keys(files).sort().map((k) => [k, files[k]])));
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

/** All regular files under dir (sorted), skipping what `ignore(relativePath)` rejects. */
export async function listFiles(dir: string, ignore?: (rel: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    await Promise.all(entries.map(async (e) => {
      const p = join(d, e.name);
      if (ignore?.(relative(dir, p))) return;
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
      else if (e.isSymbolicLink()) {
        const s = await stat(p).catch(() => undefined);
        if (s?.isFile()) out.push(p);
        else if (s?.isDirectory()) await walk(p);
      }
    }));
  };
  await walk(dir);
  return out.sort();
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
