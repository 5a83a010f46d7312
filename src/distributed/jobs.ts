// What travels through Redis for one fan-out item, and the item's content key.
//
// A job is small: which kind (and the code version and environment the coordinator expects), the
// params, the item, and where its inputs are — by content hash, in the remote cache. Results never
// go through Redis: the worker uploads them to the remote cache (items/<item key>.json + blobs) and
// returns only {item, sha256, size} of that record.
import type { Json } from "../params.js";
import { canonicalJson, sha256 } from "../runner/canonical.js";
import type { WorkItem } from "../stage.js";

export const JOB_FORMAT = 1;

/** A tree (a needed stage's output, or the data set) a worker materializes from the remote. */
export interface TreeInput {
  hash: string;
  /** Inputs "shared": the tree's directory on the coordinator, which every worker sees at the
   * same path (a shared filesystem); the worker reads it there, checking each file it needs. */
  path?: string;
  /** Only these files (relative path → sha256): the item's own input. All files when absent
   * (the worker reads the list from trees/<hash>.json). */
  files?: Record<string, string>;
}

export interface ItemJob {
  v: typeof JOB_FORMAT;
  stage: string;
  /** `uses:` as written: a built-in kind name, or a module path relative to the project. */
  uses: string;
  /** The kind's code version and environment block in the coordinator's key: a worker whose own
   * differ refuses the job. */
  code: string;
  env: Record<string, string>;
  /** Params as the kind receives them. */
  params: Json;
  item: WorkItem;
  /** The item's content key (= the BullMQ job id). */
  key: string;
  inputs: { name: string; kind: string; tree: TreeInput }[];
  /** The data set's tree; `file` when `data:` named a file in it (a manifest.csv). */
  data?: { tree: TreeInput; file?: string };
  /** The remote cache the inputs are in and the results go to. */
  remote: { url: string; endpoint?: string };
  /** host:pid of the coordinator, for messages. */
  coordinator: string;
  /** Blobs of an earlier result found missing or corrupt: the item runs again (its cached record
   * is not trusted) and these blobs are uploaded again. */
  repair?: string[];
}

/** What a worker returns for an item (BullMQ's return value): the item record's address. */
export interface ItemReturn {
  item: string;
  sha256: string;
  size: number;
}

/** An item's content key: what its result depends on — the kind, its code version and
 * environment, the keyed params, and the item (whose contentHash covers what it reads). Hex
 * sha256: no `:`, so it is a valid BullMQ job id. */
export function itemContentKey(k: { uses: string; code: string; env: Record<string, string>; params: Json }, item: WorkItem): string {
  return sha256(canonicalJson({ v: 1, kind: k.uses, code: k.code, env: k.env, params: k.params, item: { id: item.id, contentHash: item.contentHash, payload: item.payload } }));
}

/** Why `job` is not a job this dfd can run, or undefined. */
export function jobShapeError(job: unknown): string | undefined {
  const j = job as Partial<ItemJob> | null;
  if (!j || typeof j !== "object") return "not an object";
  if (j.v !== JOB_FORMAT) return `job format ${JSON.stringify(j.v)}, this dfd runs format ${JOB_FORMAT}`;
  if (typeof j.uses !== "string" || typeof j.code !== "string" || typeof j.key !== "string" || !j.item || typeof j.item.id !== "string") return "incomplete job";
  if (!j.remote || typeof j.remote.url !== "string") return "the job names no remote cache";
  return undefined;
}
