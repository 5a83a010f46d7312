// What a remote cache holds, and the checks a record must pass before dfd trusts it. Two levels,
// as Bazel's remote cache, Nx and DVC do:
//
//   cas/<sha[0:2]>/<sha256>   a file's bytes under their own sha256 (content-addressed storage)
//   ac/<stage key>.json       one small record per stage key: the output's tree hash, its files
//                             (relative path → sha256, size) and the cache entry (summary, the
//                             key's components for `why`): the "action cache"
//   runs/<run id>.json        finished run records (dfd runs --remote, dfd compare)
//   items/<k[0:2]>/<item key>.json  fan-out items finished by `dfd worker`s (src/distributed/): the
//                             item's JSON result and its files
//   trees/<tree hash>.json    a tree's file list (an input a worker needs): hashes to its name
//
// Blobs are written first and the record last, exclusively (first writer wins), so a record is
// never visible before everything it points at. A reader re-hashes every blob it downloads.
import { canonicalJson, sha256 } from "../runner/canonical.js";
import { treeHashOf } from "../runner/filehash.js";
import type { Json } from "../params.js";
import type { RunRecord } from "../runner/records.js";
import type { CacheEntry } from "../runner/store-api.js";

export const blobKey = (sha: string): string => `cas/${sha.slice(0, 2)}/${sha}`;
export const recordKey = (key: string): string => `ac/${key}.json`;
export const runKey = (id: string): string => `runs/${id}.json`;
/** Sharded like cas/: S3 scales request rates per key prefix, and a fan-out writes one per item. */
export const itemKey = (key: string): string => `items/${key.slice(0, 2)}/${key}.json`;
export const treeKey = (hash: string): string => `trees/${hash}.json`;

export const RECORD_FORMAT = 1;

/** A stage key's record on the remote. */
export interface RemoteRecord {
  format: typeof RECORD_FORMAT;
  entry: CacheEntry;
  /** Relative path (with /) → sha256: hashes to entry.outputHash. */
  files: Record<string, string>;
  /** Relative path → size in bytes. */
  sizes: Record<string, number>;
  /** Who wrote it (for messages). */
  writer: { host: string; user?: string; dfd: string };
}

const HEX64 = /^[0-9a-f]{64}$/;
const RUN_ID = /^[0-9A-Za-z][0-9A-Za-z._-]{0,127}$/;

/** Thrown for a record that fails its checks: never used, and the message names the key. */
export class BadRecordError extends Error {}

/** A relative path a record may name: no absolute paths, no `..`, no empty or `.` segments. */
export function safeRelativePath(p: string): boolean {
  if (p === "" || p.startsWith("/") || p.includes("\\") || p.includes("\0")) return false;
  return p.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

/** Parses and checks a record read from `ac/<key>.json`: well-formed, for this key, and its file
 * list hashes to the output hash it claims. The blobs are checked as they are downloaded. */
export function parseRecord(bytes: Buffer, key: string, where: string): RemoteRecord {
  let r: RemoteRecord;
  try {
    r = JSON.parse(bytes.toString("utf8")) as RemoteRecord;
  } catch (e) {
    throw new BadRecordError(`${where}: record for key ${key} is not valid JSON (${(e as Error).message})`);
  }
  const bad = (why: string) => new BadRecordError(`${where}: record for key ${key} ${why}: not used`);
  if (!r || typeof r !== "object" || r.format !== RECORD_FORMAT) throw bad(`has an unknown format (${JSON.stringify((r as { format?: unknown })?.format)}; this dfd reads ${RECORD_FORMAT})`);
  const e = r.entry;
  if (!e || typeof e !== "object" || e.key !== key) throw bad(`is for another key (${JSON.stringify(e?.key)})`);
  if (typeof e.outputHash !== "string" || !HEX64.test(e.outputHash)) throw bad("has no valid output hash");
  if (typeof e.stage !== "string" || typeof e.kind !== "string" || !e.components || typeof e.components !== "object") throw bad("is incomplete");
  checkFiles(r.files, r.sizes ?? null, bad);
  const tree = treeHashOf(r.files);
  if (tree !== e.outputHash) throw bad(`lists files that hash to ${tree}, not its output ${e.outputHash}`);
  return r;
}

/** Checks a file list (relative path → sha256, and sizes when given) from a remote document. */
function checkFiles(files: unknown, sizes: unknown, bad: (why: string) => Error): void {
  if (!files || typeof files !== "object" || Array.isArray(files)) throw bad("has no file list");
  if (sizes !== undefined && (!sizes || typeof sizes !== "object")) throw bad("has no sizes");
  for (const [p, sha] of Object.entries(files as Record<string, unknown>)) {
    if (!safeRelativePath(p)) throw bad(`names an unsafe path ${JSON.stringify(p)}`);
    if (typeof sha !== "string" || !HEX64.test(sha)) throw bad(`has an invalid sha256 for ${p}`);
    if (sizes === undefined) continue;
    const size = (sizes as Record<string, unknown>)[p];
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw bad(`has no size for ${p}`);
  }
}

/** A fan-out item's result on the remote (itemKey). */
export interface ItemRecord {
  format: typeof RECORD_FORMAT;
  /** The item key it is stored under. */
  key: string;
  /** The item's id (for messages). */
  item: string;
  /** What the kind's worker returned for the item. */
  result: Json;
  /** The files it wrote: relative path → sha256, and sizes. */
  files: Record<string, string>;
  sizes: Record<string, number>;
  writer: RemoteRecord["writer"];
}

export function parseItemRecord(bytes: Buffer, key: string, where: string): ItemRecord {
  let r: ItemRecord;
  try {
    r = JSON.parse(bytes.toString("utf8")) as ItemRecord;
  } catch (e) {
    throw new BadRecordError(`${where}: item record ${key} is not valid JSON (${(e as Error).message})`);
  }
  const bad = (why: string) => new BadRecordError(`${where}: item record ${key} ${why}: not used`);
  if (!r || typeof r !== "object" || r.format !== RECORD_FORMAT) throw bad("has an unknown format");
  if (r.key !== key) throw bad(`is for another item key (${JSON.stringify(r.key)})`);
  if (typeof r.item !== "string" || !("result" in r)) throw bad("is incomplete");
  checkFiles(r.files, r.sizes, bad);
  return r;
}

/** A tree's file list (trees/<hash>.json): must hash to its name. */
export function parseTree(bytes: Buffer, hash: string, where: string): Record<string, string> {
  let t: { files?: unknown };
  try {
    t = JSON.parse(bytes.toString("utf8")) as { files?: unknown };
  } catch (e) {
    throw new BadRecordError(`${where}: tree ${hash} is not valid JSON (${(e as Error).message})`);
  }
  const bad = (why: string) => new BadRecordError(`${where}: tree ${hash} ${why}: not used`);
  checkFiles(t?.files, undefined, bad);
  const files = t.files as Record<string, string>;
  if (treeHashOf(files) !== hash) throw bad("lists files that hash to something else");
  return files;
}

export function encodeRecord(r: RemoteRecord): Buffer {
  return Buffer.from(canonicalJson(r) + "\n");
}

/** A run record read from `runs/<id>.json`, checked for shape. */
export function parseRun(bytes: Buffer, where: string): RunRecord {
  let r: RunRecord;
  try {
    r = JSON.parse(bytes.toString("utf8")) as RunRecord;
  } catch (e) {
    throw new BadRecordError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  if (!r || typeof r.id !== "string" || !RUN_ID.test(r.id) || typeof r.startedAt !== "string" || !Array.isArray(r.stages))
    throw new BadRecordError(`${where}: not a dfd run record`);
  return r;
}

export const validRunId = (id: string): boolean => RUN_ID.test(id);
export const validHash = (h: string): boolean => HEX64.test(h);

/** sha256 of a small JSON document's canonical bytes (item records). */
export const jsonAddress = (v: unknown): { bytes: Buffer; sha256: string } => {
  const bytes = Buffer.from(canonicalJson(v));
  return { bytes, sha256: sha256(bytes) };
};
