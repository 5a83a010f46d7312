// The coordinator's side of a fanned-out stage on BullMQ (`dfd run --executor bullmq`): an
// ItemExecutor (src/runner/in-process.ts) that turns the stage into a BullMQ flow — parent = the
// stage key (queue dfd-stages, never processed: it groups the items and is removed at the end),
// one child per item (queue dfd-items) whose job id is the item's content key — and collects
// every item's result from the remote cache, re-hashed, into the directory assemble() reads.
//
// The remote cache is the source of truth, BullMQ the transport: an item whose record is already
// on the remote (finished by an earlier run, or by another coordinator) is not queued; a finished
// job's return value only says where its record is. Failures: an item is retried (attempts with
// exponential backoff); a worker killed mid-item loses its lock and BullMQ's stalled check gives
// the item to another worker; a worker that refuses an item (another code version) fails it at
// once, and the stage fails naming the worker and both versions. Ctrl-C removes the flow.
import { hostname } from "node:os";
import { join } from "node:path";
import type { Json } from "../params.js";
import { itemDirName, type ItemExecutor, type ItemRun } from "../runner/in-process.js";
import type { ItemResult, WorkItem } from "../stage.js";
import { mapLimit } from "../remote/backend.js";
import { BadBlobError, TRANSFER_CONCURRENCY, type RemoteCache } from "../remote/cache.js";
import { BadRecordError, itemKey } from "../remote/layout.js";
import { publishInputs, type InputMode, type LocalTree } from "./inputs.js";
import { JOB_FORMAT, itemContentKey, type ItemJob, type ItemReturn, type TreeInput } from "./jobs.js";
import { ITEM_QUEUE, STAGE_QUEUE, openQueueConnection, showUrl } from "./redis.js";

/** What the coordinator knows about the stage (from its key's components). */
export interface DistributedStage {
  name: string;
  /** `uses:` as written. */
  uses: string;
  /** The stage key: the flow's parent job id. */
  key: string;
  code: string;
  env: Record<string, string>;
  /** The keyed params (part of every item key). */
  keyParams: Json;
  /** Params as the kind receives them (sent to the workers). */
  params: Json;
  /** The needed stages' outputs and the data set, as trees the items may read. */
  trees: LocalTree[];
  /** The data set's tree name in `trees` ("data") and, when `data:` is a file, its name. */
  dataFile?: string;
  /** Input name → kind, for the workers' StageInput. */
  inputKinds: Record<string, string>;
}

export interface CoordinatorOptions {
  queue: string;
  remote: RemoteCache;
  /** The remote as the workers should open it. */
  remoteRef: { url: string; endpoint?: string };
  /** Tries per item (default 3), first retry after backoffMs (doubling). */
  attempts?: number;
  backoffMs?: number;
  /** How often to check the flow when no event arrives (ms). */
  pollMs?: number;
  /** How workers get the items' inputs: through the remote cache (default), or where they are
   * here, on a filesystem every worker shares (inputs.ts). */
  inputs?: InputMode;
}

/** Requests a finished item costs the coordinator: GET record + one GET per file. */
export function bullmqItems(stage: DistributedStage, opts: CoordinatorOptions): ItemExecutor {
  return {
    run: <P>(args: ItemRun<P>) => coordinate(stage, opts, args),
  };
}

async function coordinate<P>(stage: DistributedStage, opts: CoordinatorOptions, { ctx, items, root }: ItemRun<P>): Promise<ItemResult[]> {
  const { remote } = opts;
  if (remote.readOnly) throw new Error(`--executor bullmq needs a writable remote cache (workers upload their results there); ${remote.url} is read-only`);
  const keys = items.map((item) => itemContentKey({ uses: stage.uses, code: stage.code, env: stage.env, params: stage.keyParams }, item));
  const index = new Map(keys.map((k, i) => [k, i]));
  if (index.size !== items.length) {
    const seen = new Set<string>();
    const dup = items.find((_, i) => (seen.has(keys[i]!) ? true : (seen.add(keys[i]!), false)));
    throw new Error(`stage ${stage.name}: two items have the same content (item ${dup?.id}): item ids must be unique`);
  }
  const results: ItemResult[] = new Array(items.length);
  let done = 0;
  ctx.progress(0, items.length);
  const repair = new Map<number, Set<string>>();

  /** Downloads item k's record and files; false when the remote has no (usable) record. */
  const collect = async (k: number, sha?: string): Promise<boolean> => {
    const item = items[k]!;
    let got;
    try {
      got = await remote.getItem(keys[k]!, sha, ctx.signal);
    } catch (e) {
      if (!(e instanceof BadRecordError)) throw e;
      ctx.log.warn(`item ${item.id}: ${e.message}`);
      return false;
    }
    if (!got) return false;
    const dir = join(root, itemDirName(item, k));
    try {
      await remote.fetchFiles(got.record.files, dir, `item ${item.id} (key ${keys[k]})`, got.record.sizes, ctx.signal);
    } catch (e) {
      if (!(e instanceof BadBlobError)) throw e;
      ctx.log.warn(`${e.message}: the item runs again`);
      repair.set(k, new Set([...(repair.get(k) ?? []), e.sha]));
      const { rm } = await import("node:fs/promises");
      await rm(dir, { recursive: true, force: true });
      return false;
    }
    results[k] = { item, result: got.record.result, dir };
    ctx.progress(++done, items.length);
    return true;
  };

  // Items finished before (any run, any machine) are not queued again.
  const cached = await mapLimit(items, TRANSFER_CONCURRENCY, (_, k) => collect(k));
  const pending = items.map((_, k) => k).filter((k) => !cached[k]);
  if (!pending.length) {
    ctx.log.info(`all ${items.length} items were on the remote cache already`);
    return results;
  }
  ctx.log.info(`${items.length - pending.length} of ${items.length} items on the remote cache; queueing ${pending.length} on ${showUrl(opts.queue)}`);

  const inputs = await publishInputs(remote, stage.trees, pending.map((k) => items[k]!), opts.inputs ?? "remote", ctx.signal);
  const coordinator = `${hostname()}:${process.pid}`;
  const jobOf = (k: number, i: number): ItemJob => {
    const trees = inputs[i]!;
    const data = trees.get("data");
    return {
      v: JOB_FORMAT, stage: stage.name, uses: stage.uses, code: stage.code, env: stage.env, params: stage.params,
      item: items[k]!, key: keys[k]!,
      inputs: stage.trees.filter((t) => t.name !== "data").map((t) => ({ name: t.name, kind: stage.inputKinds[t.name] ?? "", tree: trees.get(t.name) as TreeInput })),
      ...(data ? { data: { tree: data, ...(stage.dataFile ? { file: stage.dataFile } : {}) } } : {}),
      remote: opts.remoteRef, coordinator,
      ...(repair.has(k) ? { repair: [...repair.get(k)!] } : {}),
    };
  };

  const { FlowProducer, Queue, QueueEvents } = await import("bullmq");
  const connection = await openQueueConnection(opts.queue);
  const events = new QueueEvents(ITEM_QUEUE, { connection: connection.duplicate() });
  const flows = new FlowProducer({ connection });
  const itemQueue = new Queue(ITEM_QUEUE, { connection });
  const stageQueue = new Queue(STAGE_QUEUE, { connection });
  const outstanding = new Set(pending);
  let failure: Error | undefined;
  let wake: () => void = () => {};
  const collecting = new Set<Promise<void>>();
  const take = (k: number, sha?: string) => {
    if (!outstanding.has(k)) return;
    outstanding.delete(k);
    const p = collect(k, sha).then((ok) => {
      if (!ok) failure ??= new Error(`item ${items[k]!.id} finished on a worker but its result on ${remote.url} is missing or damaged (${itemKey(keys[k]!)})`);
    }, (e) => { failure ??= e instanceof Error ? e : new Error(String(e)); }).finally(() => { collecting.delete(p); wake(); });
    collecting.add(p);
  };
  const failedFinally = async (k: number) => {
    const job = await itemQueue.getJob(keys[k]!);
    if (!job) return undefined;
    const state = await job.getState();
    return state === "failed" ? job.failedReason || "failed" : undefined;
  };
  const onCompleted = ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => {
    const k = index.get(jobId);
    if (k === undefined) return;
    const r = (typeof returnvalue === "string" ? safeJson(returnvalue) : returnvalue) as ItemReturn | undefined;
    take(k, typeof r?.sha256 === "string" ? r.sha256 : undefined);
  };
  const onFailed = ({ jobId }: { jobId: string }) => {
    const k = index.get(jobId);
    if (k === undefined || !outstanding.has(k)) return;
    void failedFinally(k).then((reason) => {
      if (reason && outstanding.has(k)) failure ??= new Error(`item ${items[k]!.id}: ${reason}`);
      wake();
    }, () => {});
  };
  events.on("completed", onCompleted);
  events.on("failed", onFailed);
  const onAbort = () => wake();
  ctx.signal.addEventListener("abort", onAbort);
  let parent: Awaited<ReturnType<typeof stageQueue.getJob>> | undefined;
  try {
    await events.waitUntilReady();
    // A parent left by a coordinator that died is replaced; one still collecting is joined.
    const old = await stageQueue.getJob(stage.key);
    if (old && (await old.getState()) !== "waiting-children") {
      await old.removeUnprocessedChildren().catch(() => {});
      await old.remove().catch(() => {});
    }
    // An item that failed in an earlier run (a worker of another version refused it, a bug since
    // fixed) keeps its failed job for a day; that must not fail this run: it goes, and is queued anew.
    await mapLimit(pending, 64, async (k) => {
      const job = await itemQueue.getJob(keys[k]!);
      if (job && (await job.getState()) === "failed") await job.remove().catch(() => {});
    });
    const attempts = opts.attempts ?? 3;
    const tree = await flows.add({
      name: stage.name, queueName: STAGE_QUEUE, data: { stage: stage.name, coordinator, items: items.length },
      opts: { jobId: stage.key },
      children: pending.map((k, i) => ({
        name: items[k]!.id, queueName: ITEM_QUEUE, data: jobOf(k, i),
        opts: { jobId: keys[k]!, attempts, backoff: { type: "exponential", delay: opts.backoffMs ?? 2000 }, removeOnComplete: true, removeOnFail: { age: 24 * 3600 } },
      })),
    });
    parent = tree.job;
    // Events are the fast path. Once a second the parent's dependency counts (a few Redis
    // commands) say whether every item has finished; only then, or every reconcileMs, is each
    // outstanding item checked on its own (its job's state, the remote), which catches what the
    // events missed: a completion before we listened, a job another coordinator's flow owns.
    const pollMs = opts.pollMs ?? 1000;
    const reconcileMs = Math.max(pollMs, 15_000);
    let lastPoll = Date.now();
    let lastReconcile = Date.now();
    while ((outstanding.size || collecting.size) && !failure && !ctx.signal.aborted) {
      await new Promise<void>((r) => { wake = r; setTimeout(r, pollMs); });
      if (Date.now() - lastPoll < pollMs || !outstanding.size || failure || ctx.signal.aborted) continue;
      lastPoll = Date.now();
      const counts = await parent.getDependenciesCount().catch(() => undefined);
      if (counts && (counts.unprocessed ?? 0) > 0 && Date.now() - lastReconcile < reconcileMs) continue;
      lastReconcile = Date.now();
      for (const k of [...outstanding]) {
        const job = await itemQueue.getJob(keys[k]!);
        const state = job ? await job.getState() : "missing";
        if (state === "failed") failure ??= new Error(`item ${items[k]!.id}: ${job!.failedReason || "failed"}`);
        else if (state === "completed" || state === "missing" || state === "unknown") {
          if (await remote.getItem(keys[k]!, undefined, ctx.signal).catch(() => undefined)) take(k);
          else if (state !== "completed") failure ??= new Error(`item ${items[k]!.id}: its job vanished from ${showUrl(opts.queue)} without a result (removed by hand?)`);
        }
      }
    }
    await Promise.allSettled([...collecting]);
    ctx.signal.throwIfAborted();
    if (failure) throw failure;
    return results;
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    events.off("completed", onCompleted);
    events.off("failed", onFailed);
    // The flow goes: its waiting items on Ctrl-C or failure, then the parent (alone: items
    // running on a worker are locked, they finish there and their results are cached for next
    // time).
    if (parent) {
      await parent.removeUnprocessedChildren().catch(() => {});
      await parent.remove({ removeChildren: false }).catch(() => {});
    }
    await Promise.allSettled([events.close(), flows.close(), itemQueue.close(), stageQueue.close()]);
    connection.disconnect();
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

export type { WorkItem };
