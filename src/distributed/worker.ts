// `dfd worker`: a BullMQ worker that runs fan-out items for any coordinator (`dfd run --executor
// bullmq`). Per job: check the kind's code version and environment against the job's (refuse,
// clearly, when they differ: the item key includes them), take the item's result from the remote
// cache when another worker already made it, else materialize its inputs from the remote cache,
// run it with the kind's own worker (extract's: its pool of worker processes), upload its
// files and record, and return only the record's address.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Json } from "../params.js";
import { canonicalJson } from "../runner/canonical.js";
import { FileHasher } from "../runner/filehash.js";
import type { ItemWorker, Logger, StageInput, StageKind } from "../stage.js";
import type { RemoteCache } from "../remote/cache.js";
import type { RemoteConfig } from "../remote/config.js";
import { openRemote } from "../remote/open.js";
import { jobShapeError, type ItemJob, type ItemReturn } from "./jobs.js";
import { TreeCache } from "./inputs.js";
import { ITEM_QUEUE, openQueueConnection, showUrl } from "./redis.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKind = StageKind<any>;

/** A kind as this worker has it: the loaded kind and its version for given params. */
export interface WorkerKind {
  kind: AnyKind;
  /** Code version and environment block for these params (as written in pipeline.yaml). */
  version(params: Json): Promise<{ code: string; env: Record<string, string> }>;
  /** The params as the kind receives them here (path params made absolute on this machine). */
  runParams?(params: Json): Json;
}

export interface WorkerOptions {
  /** redis://host:port */
  queue: string;
  /** Loads `uses:` (a built-in name or a module path relative to the worker's project dir). */
  resolveKind(uses: string): Promise<WorkerKind>;
  /** This worker's own remote settings; the job's remote URL (with this machine's credentials)
   * when absent. */
  remote?: RemoteConfig;
  /** Inputs cache and scratch space. */
  workDir: string;
  /** Where module-path kinds and relative paths resolve (the worker's checkout of the project). */
  projectDir: string;
  /** Items at once. */
  concurrency: number;
  /** Threads a kind's worker may use. */
  cpus: number;
  /** How long a job's lock lasts without renewal: a worker killed mid-item is noticed after
   * about this long and its item goes to another worker. */
  lockDurationMs: number;
  stalledIntervalMs: number;
  log(line: string): void;
  signal: AbortSignal;
}

/** Thrown for jobs this worker must not run (another code version…): not retried. */
export class RefusedJob extends Error {}

const me = () => `${hostname()}:${process.pid}`;

export async function runWorker(opts: WorkerOptions): Promise<void> {
  const { Worker, UnrecoverableError } = await import("bullmq");
  const connection = await openQueueConnection(opts.queue);
  const remotes = new Map<string, Promise<{ cache: RemoteCache; trees: TreeCache }>>();
  const remoteFor = (job: ItemJob) => {
    const cfg: RemoteConfig = opts.remote ?? { url: job.remote.url, ...(job.remote.endpoint ? { endpoint: job.remote.endpoint } : {}), readOnly: false, from: "DFD_REMOTE" };
    const id = `${cfg.url} ${cfg.endpoint ?? ""}`;
    let p = remotes.get(id);
    if (!p) {
      p = openRemote(cfg).then((cache) => ({ cache, trees: new TreeCache(cache, opts.workDir) }));
      remotes.set(id, p);
    }
    return p;
  };
  // One kind worker per (kind, code, params, inputs): setting one up may start a pool of processes.
  const workers = new Map<string, Promise<ItemWorker>>();
  const kindWorker = (id: string, make: () => Promise<ItemWorker>) => {
    let p = workers.get(id);
    if (!p) {
      for (const [old, w] of workers) if (workers.size >= 2) { workers.delete(old); void w.then((x) => x.close()).catch(() => {}); }
      p = make();
      p.catch(() => workers.delete(id));
      workers.set(id, p);
    }
    return p;
  };
  const logger = (prefix: string): Logger => ({
    debug: () => {},
    info: (m) => opts.log(`${prefix}: ${m}`),
    warn: (m) => opts.log(`${prefix}: warning: ${m}`),
    error: (m) => opts.log(`${prefix}: error: ${m}`),
  });

  /** Where an item's time went (ms): what the log line and the benchmark show. */
  interface Timing { inputs: number; run: number; upload: number; cached: boolean }
  const processJob = async (raw: unknown, signal: AbortSignal, timing: Timing, retry: boolean): Promise<ItemReturn> => {
    const shape = jobShapeError(raw);
    if (shape) throw new RefusedJob(`worker ${me()} cannot run this job: ${shape} (update dfd on this worker or on the coordinator)`);
    const job = raw as ItemJob;
    let wk: WorkerKind;
    try {
      wk = await opts.resolveKind(job.uses);
    } catch (e) {
      throw new RefusedJob(`worker ${me()} cannot load stage kind ${job.uses}: ${(e as Error).message}`);
    }
    const mine = await wk.version(job.params);
    if (mine.code !== job.code)
      throw new RefusedJob(`worker ${me()} has another version of stage kind ${job.uses} (code ${mine.code.slice(0, 12)}, dfd ${mine.env.dfd}); the coordinator ${job.coordinator} runs code ${job.code.slice(0, 12)} (dfd ${job.env.dfd}): the item key includes the code version, so this worker refuses the item; run the same dfd and stage code on every worker`);
    const envDiff = Object.keys({ ...mine.env, ...job.env }).filter((k) => mine.env[k] !== job.env[k]);
    if (envDiff.length)
      throw new RefusedJob(`worker ${me()} has another environment for stage kind ${job.uses}: ${envDiff.map((k) => `${k} ${mine.env[k] ?? "(none)"} here, ${job.env[k] ?? "(none)"} on the coordinator`).join("; ")}: the item key includes the environment, so this worker refuses the item`);
    const { cache, trees } = await remoteFor(job);
    // The coordinator queued the item because the remote had no result for it; a retry may find
    // the one its earlier attempt stored before it died.
    const done = retry && !job.repair ? await cache.getItem(job.key, undefined, signal) : undefined;
    if (done) {
      timing.cached = true;
      return { item: job.item.id, sha256: done.sha256, size: done.size };
    }
    let t = performance.now();

    const inputs: StageInput[] = [];
    for (const i of job.inputs) inputs.push({ name: i.name, kind: i.kind, dir: await trees.materialize(i.tree, signal) });
    let data: string | undefined;
    if (job.data) {
      const root = await trees.materialize(job.data.tree, signal);
      data = job.data.file ? join(root, job.data.file) : root;
    }
    timing.inputs = performance.now() - t;
    const scratch = join(opts.workDir, "tmp", `${job.key.slice(0, 16)}-${randomBytes(3).toString("hex")}`);
    const outDir = join(scratch, "out");
    mkdirSync(outDir, { recursive: true });
    try {
      const sig = canonicalJson([job.uses, job.code, job.params, job.inputs.map((i) => [i.name, i.tree.hash]), job.data?.tree.hash ?? null]);
      const worker = await kindWorker(sig, () => wk.kind.fanOut!.worker({
        name: job.stage, params: wk.runParams ? wk.runParams(job.params) : job.params, inputs, ...(data !== undefined ? { data } : {}), projectDir: opts.projectDir,
        tmpDir: join(opts.workDir, "tmp"), log: logger(job.stage), signal: opts.signal, cpus: opts.cpus,
      }));
      t = performance.now();
      const result = await worker.run(job.item, outDir, signal);
      timing.run = performance.now() - t;
      t = performance.now();
      const tree = await new FileHasher(undefined).hashTree(outDir);
      const sizes = Object.fromEntries(tree.infos.map((f) => [f.path.slice(outDir.length + 1).split("\\").join("/"), f.size]));
      const stored = await cache.putItem({ key: job.key, item: job.item.id, result: JSON.parse(JSON.stringify(result ?? null)) as Json, files: tree.files, sizes }, outDir, { signal, ...(job.repair ? { force: new Set(job.repair) } : {}) });
      timing.upload = performance.now() - t;
      return { item: job.item.id, ...stored };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  };

  const worker = new Worker(ITEM_QUEUE, async (job, _token, signal) => {
    const t0 = Date.now();
    const item = (job.data as Partial<ItemJob>)?.item?.id ?? job.id;
    opts.log(`item ${item} (${(job.data as Partial<ItemJob>)?.stage ?? "?"}) started${job.attemptsMade ? ` (attempt ${job.attemptsMade + 1})` : ""}`);
    try {
      const timing: Timing = { inputs: 0, run: 0, upload: 0, cached: false };
      const r = await processJob(job.data, signal ?? opts.signal, timing, job.attemptsMade > 0 || (job.stalledCounter ?? 0) > 0);
      const ms = (n: number) => n.toFixed(0);
      opts.log(`item ${item} (${(job.data as ItemJob).stage}) done in ${((Date.now() - t0) / 1000).toFixed(2)} s${timing.cached ? " (already on the remote cache)" : ` (inputs ${ms(timing.inputs)} ms, run ${ms(timing.run)} ms, results ${ms(timing.upload)} ms)`}`);
      return r;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      opts.log(`item ${item}: ${e instanceof RefusedJob ? "refused" : "failed"}: ${message}`);
      if (e instanceof RefusedJob) throw new UnrecoverableError(message);
      throw e;
    }
  }, {
    connection, concurrency: opts.concurrency, lockDuration: opts.lockDurationMs, stalledInterval: opts.stalledIntervalMs,
    maxStalledCount: 2, autorun: false,
  });
  worker.on("error", (e) => opts.log(`queue error: ${e.message}`));
  opts.log(`dfd worker ${me()}: queue ${showUrl(opts.queue)} (${ITEM_QUEUE}), ${opts.concurrency} item(s) at a time, work dir ${opts.workDir}`);
  const stopped = new Promise<void>((resolve) => {
    if (opts.signal.aborted) return resolve();
    opts.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  void worker.run();
  await stopped;
  opts.log("stopping: finishing the items in progress (again to abandon them: they go to other workers)");
  await worker.close();
  for (const w of workers.values()) await w.then((x) => x.close()).catch(() => {});
  for (const r of remotes.values()) {
    await r.then((x) => {
      const s = x.cache.backend.stats;
      opts.log(`requests to ${x.cache.url}: GET ${s.get}, HEAD ${s.head}, PUT ${s.put}, LIST ${s.list}; ${(s.bytesIn / 1e6).toFixed(1)} MB in, ${(s.bytesOut / 1e6).toFixed(1)} MB out`);
      x.cache.backend.close();
    }).catch(() => {});
  }
  connection.disconnect();
}
