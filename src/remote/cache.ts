// The remote cache's operations on top of a backend: publish a stage output (blobs, then its
// record, exclusively), look a key up, download an output re-hashing every file against its
// address, and keep run records. No policy here (when to push, what to do when the remote is
// down): that is tiered.ts.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { hostname, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { dfdVersionOf as dfdVersion } from "../runner/components.js";
import type { FileInfo } from "../runner/filehash.js";
import type { RunRecord } from "../runner/records.js";
import type { CacheEntry } from "../runner/store-api.js";
import { mapLimit, type Backend } from "./backend.js";
import { canonicalJson, sha256 as sha } from "../runner/canonical.js";
import { BadRecordError, RECORD_FORMAT, blobKey, encodeRecord, itemKey, parseItemRecord, parseRecord, parseRun, parseTree, recordKey, runKey, treeKey, validRunId, type ItemRecord, type RemoteRecord } from "./layout.js";

/** Requests in flight at once per transfer. */
export const TRANSFER_CONCURRENCY = 8;
/** Blobs above this size are looked for (HEAD) before they are uploaded; smaller ones are written. */
const ASK_FIRST = 256 * 1024;

/** A blob that is missing or whose bytes do not hash to its address. */
export class BadBlobError extends Error {
  constructor(readonly sha: string, message: string) {
    super(message);
  }
}

export class RemoteCache {
  /** Blobs this process has seen on the remote (downloaded and checked, or uploaded): not asked
   * for or uploaded again (a fan-out's assembled output holds the items' files). */
  private readonly present = new Set<string>();
  constructor(readonly backend: Backend, readonly readOnly: boolean) {}

  get url(): string {
    return this.backend.url;
  }

  /** The record for a stage key, checked (parseRecord); undefined when there is none. */
  async getRecord(key: string, signal?: AbortSignal): Promise<RemoteRecord | undefined> {
    const bytes = await this.backend.get(recordKey(key), signal);
    return bytes && parseRecord(bytes, key, this.url);
  }

  /** Uploads the blobs of `files` (relative path → sha256) found under `dir` that the remote does
   * not have yet (or all of `force`: blobs found corrupt there). Each file is re-hashed first, so
   * a file that changed since it was hashed is never stored under the old address. */
  async putBlobs(dir: string, files: Record<string, string>, opts: { force?: ReadonlySet<string>; signal?: AbortSignal } = {}): Promise<{ uploaded: number; bytes: number }> {
    const bySha = new Map<string, string>();
    for (const [rel, sha] of Object.entries(files)) if (!bySha.has(sha)) bySha.set(sha, rel);
    let uploaded = 0;
    let bytes = 0;
    await mapLimit([...bySha], TRANSFER_CONCURRENCY, async ([sha, rel]) => {
      if (this.present.has(sha) && !opts.force?.has(sha)) return;
      const file = join(dir, ...rel.split("/"));
      const { size, md5, sha256 } = await hashFile(file);
      if (sha256 !== sha) throw new Error(`${file} changed since it was hashed (sha256 ${sha256}, expected ${sha}): not uploaded`);
      // A small blob is simply written (same key, same bytes): cheaper than asking first.
      if (size > ASK_FIRST && !opts.force?.has(sha) && (await this.backend.exists(blobKey(sha), opts.signal))) {
        this.present.add(sha);
        return;
      }
      await this.backend.put(blobKey(sha), { file, size, md5, sha256 }, opts.signal);
      this.present.add(sha);
      uploaded++;
      bytes += size;
    });
    return { uploaded, bytes };
  }

  /** Publishes a committed output: its blobs, then its record, which only the first writer of
   * the key creates. Returns the record stored afterwards (ours, or the earlier writer's). */
  async publish(entry: CacheEntry, dir: string, files: Record<string, string>, sizes: Record<string, number>, opts: { force?: ReadonlySet<string>; signal?: AbortSignal } = {}): Promise<{ created: boolean; stored: RemoteRecord; uploaded: number; bytes: number }> {
    // The entry as the index keeps it, without this process's own marks (origin: "remote").
    const plain: CacheEntry = { ...entry };
    delete (plain as { origin?: unknown }).origin;
    // Already published (a re-push, another machine was first): nothing to upload. Unless blobs
    // are to be repaired, which the record does not tell.
    const forced = Object.values(files).some((sha) => opts.force?.has(sha));
    if (!forced) {
      const existing = await this.getRecord(entry.key, opts.signal);
      if (existing) return { created: false, stored: existing, uploaded: 0, bytes: 0 };
    }
    const up = await this.putBlobs(dir, files, opts);
    const record: RemoteRecord = { format: RECORD_FORMAT, entry: plain, files, sizes, writer: writer() };
    if (await this.backend.create(recordKey(entry.key), encodeRecord(record), opts.signal)) return { created: true, stored: record, ...up };
    const winner = await this.getRecord(entry.key, opts.signal);
    if (!winner) throw new BadRecordError(`${this.url}: record for key ${entry.key} exists but cannot be read back`);
    return { created: false, stored: winner, ...up };
  }

  /** Downloads a record's files into `dest` (a new directory), checking each against its
   * address and size. Returns what the local store needs to commit them without re-reading. */
  download(record: RemoteRecord, dest: string, signal?: AbortSignal): Promise<FileInfo[]> {
    return this.fetchFiles(record.files, dest, `key ${record.entry.key} (stage ${record.entry.stage})`, record.sizes, signal);
  }

  /** Downloads blobs to dest/<relative path> (files that must not exist yet), each checked against
   * its sha256 (and size when known); `what` names the owner in errors. */
  async fetchFiles(files: Record<string, string>, dest: string, what: string, sizes?: Record<string, number>, signal?: AbortSignal): Promise<FileInfo[]> {
    await mkdir(dest, { recursive: true });
    return mapLimit(Object.entries(files), TRANSFER_CONCURRENCY, async ([rel, sha]) => {
      const path = join(dest, ...rel.split("/"));
      await mkdir(dirname(path), { recursive: true });
      const got = await this.backend.download(blobKey(sha), path, signal);
      const where = `${this.url}: ${what}, file ${rel}: blob ${blobKey(sha)}`;
      if (!got) throw new BadBlobError(sha, `${where} is missing`);
      if (got.sha256 !== sha) throw new BadBlobError(sha, `${where} is corrupt (its bytes hash to ${got.sha256})`);
      if (sizes && got.size !== sizes[rel]) throw new BadBlobError(sha, `${where} has ${got.size} bytes, the record says ${sizes[rel]}`);
      this.present.add(sha);
      const s = await stat(path);
      return { path, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, sha256: sha };
    });
  }

  // ---- fan-out items and input trees (src/distributed/) ----

  /** An item's record, checked; undefined when there is none. `sha256`, when given, must be the
   * record's own hash (what the worker that wrote it reported). */
  async getItem(key: string, sha256?: string, signal?: AbortSignal): Promise<{ record: ItemRecord; sha256: string; size: number } | undefined> {
    const bytes = await this.backend.get(itemKey(key), signal);
    if (!bytes) return undefined;
    const got = sha(bytes);
    if (sha256 && got !== sha256) throw new BadRecordError(`${this.url}: item record ${key} hashes to ${got}, the worker reported ${sha256}`);
    return { record: parseItemRecord(bytes, key, this.url), sha256: got, size: bytes.length };
  }

  /** Stores an item's files, then its record (first writer wins). Returns the stored record's
   * hash and size: ours, or the first writer's. */
  async putItem(record: Omit<ItemRecord, "format" | "writer">, dir: string, opts: { force?: ReadonlySet<string>; signal?: AbortSignal } = {}): Promise<{ sha256: string; size: number }> {
    const signal = opts.signal;
    await this.putBlobs(dir, record.files, opts);
    const full: ItemRecord = { format: RECORD_FORMAT, ...record, writer: writer() };
    // Plain JSON, not canonical: the result's key order is part of what assemble writes.
    const bytes = Buffer.from(JSON.stringify(full) + "\n");
    if (await this.backend.create(itemKey(record.key), bytes, signal)) return { sha256: sha(bytes), size: bytes.length };
    const winner = await this.getItem(record.key, undefined, signal);
    if (!winner) throw new BadRecordError(`${this.url}: item record ${record.key} exists but cannot be read back`);
    return { sha256: winner.sha256, size: winner.size };
  }

  /** Publishes a tree's file list (trees/<hash>.json) unless it is there. */
  async putTree(hash: string, files: Record<string, string>, signal?: AbortSignal): Promise<void> {
    if (await this.backend.exists(treeKey(hash), signal)) return;
    await this.backend.create(treeKey(hash), Buffer.from(canonicalJson({ files }) + "\n"), signal);
  }

  /** A tree's file list, checked against its hash; undefined when the remote has none. */
  async getTree(hash: string, signal?: AbortSignal): Promise<Record<string, string> | undefined> {
    const bytes = await this.backend.get(treeKey(hash), signal);
    return bytes && parseTree(bytes, hash, this.url);
  }

  // ---- run records ----

  async putRun(record: RunRecord, signal?: AbortSignal): Promise<void> {
    if (!validRunId(record.id)) throw new Error(`run id ${JSON.stringify(record.id)} cannot be stored remotely`);
    await this.backend.put(runKey(record.id), Buffer.from(JSON.stringify(record) + "\n"), signal);
  }

  async getRun(id: string, signal?: AbortSignal): Promise<RunRecord | undefined> {
    if (!validRunId(id)) return undefined;
    const bytes = await this.backend.get(runKey(id), signal);
    return bytes && parseRun(bytes, `${this.url}/${runKey(id)}`);
  }

  /** Run ids on the remote, oldest first (ids sort by start time). */
  async runIds(signal?: AbortSignal): Promise<string[]> {
    const keys = await this.backend.list("runs/", signal);
    return keys.filter((k) => k.endsWith(".json")).map((k) => k.slice("runs/".length, -".json".length)).filter(validRunId).sort();
  }

  /** The newest `limit` runs, newest first. Unreadable records are skipped and reported. */
  async listRuns(limit: number, signal?: AbortSignal, onBad?: (msg: string) => void): Promise<RunRecord[]> {
    const ids = (await this.runIds(signal)).reverse().slice(0, limit);
    const runs = await mapLimit(ids, TRANSFER_CONCURRENCY, async (id) => {
      try {
        return await this.getRun(id, signal);
      } catch (e) {
        if (!(e instanceof BadRecordError)) throw e;
        onBad?.(e.message);
        return undefined;
      }
    });
    return runs.filter((r): r is RunRecord => !!r).sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
  }

  /** A run by id, unique id prefix, latest or latest~N, on the remote. */
  async resolveRun(ref: string, signal?: AbortSignal): Promise<RunRecord> {
    const latest = /^latest(?:~(\d+))?$/.exec(ref);
    const ids = await this.runIds(signal);
    let id: string | undefined;
    if (latest) {
      const back = Number(latest[1] ?? 0);
      if (!ids.length) throw new Error(`${this.url}: no runs recorded on the remote yet`);
      id = ids[ids.length - 1 - back];
      if (!id) throw new Error(`${ref}: only ${ids.length} run(s) on ${this.url} (latest~${ids.length - 1} is the oldest)`);
    } else {
      const matches = ids.filter((i) => i.startsWith(ref));
      if (matches.length > 1 && !matches.includes(ref))
        throw new Error(`${ref}: ambiguous run id prefix on ${this.url}, matches ${matches.slice(0, 5).join(", ")}${matches.length > 5 ? ", …" : ""}`);
      id = matches.includes(ref) ? ref : matches[0];
      if (!id) throw new Error(`${ref}: no such run here or on ${this.url} (see \`dfd runs --remote\`)`);
    }
    const run = await this.getRun(id, signal);
    if (!run) throw new Error(`${ref}: run ${id} vanished from ${this.url}`);
    return run;
  }
}

/** sha256 (hex), MD5 (base64) and size of a file, in one read. */
export async function hashFile(file: string): Promise<{ sha256: string; md5: string; size: number }> {
  const s = createHash("sha256");
  const m = createHash("md5");
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    s.update(chunk as Buffer);
    m.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: s.digest("hex"), md5: m.digest("base64"), size };
}

function writer(): RemoteRecord["writer"] {
  let user: string | undefined;
  try { user = userInfo().username; } catch { /* no passwd entry (containers) */ }
  return { host: hostname(), ...(user ? { user } : {}), dfd: dfdVersion() };
}
