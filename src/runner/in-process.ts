// Running one stage kind in this process, outside or inside a pipeline: `run()`, or for a
// fan-out kind items → an item executor → assemble. Where the items run is the item executor's
// business: here by default (one worker, items in parallel), or on `dfd worker`s through a queue
// (src/distributed/), which the executor injects. Tests and library users call runKind directly
// on a hand-made context.
import { mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { ItemResult, Provenance, StageContext, StageKind, StageSummary, WorkItem } from "../stage.js";

/** Directory name of an item's private output dir: its id, made safe for a file name. */
export function itemDirName(item: WorkItem, index: number): string {
  return `${String(index).padStart(6, "0")}-${item.id.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80)}`;
}

export interface ItemRun<P> {
  kind: StageKind<P>;
  ctx: StageContext<P>;
  /** In the order the kind's items() returned them. */
  items: WorkItem[];
  /** An empty directory for the items' results: item k's files go in join(root, itemDirName(items[k], k)). */
  root: string;
}

/** Runs a fan-out stage's items. Resolves to one result per item, in item order, whose `dir`
 * holds the files the item wrote; rejects on the first item that fails (naming it) or when
 * ctx.signal aborts. Progress goes to ctx.progress. */
export interface ItemExecutor {
  run<P>(args: ItemRun<P>): Promise<ItemResult[]>;
}

/** Items in this process: one kind worker, up to `concurrency` items at a time (default
 * 2 × ctx.cpus: the worker interleaves them over its own threads). */
export function localItems(opts: { concurrency?: number } = {}): ItemExecutor {
  return {
    async run<P>({ kind, ctx, items, root }: ItemRun<P>): Promise<ItemResult[]> {
      const worker = await kind.fanOut!.worker({
        name: ctx.name, params: ctx.params, inputs: ctx.inputs, ...(ctx.data !== undefined ? { data: ctx.data } : {}),
        projectDir: ctx.projectDir, tmpDir: ctx.tmpDir, log: ctx.log, signal: ctx.signal, cpus: ctx.cpus,
      });
      const results: ItemResult[] = new Array(items.length);
      let next = 0;
      let done = 0;
      let failed: unknown;
      const stop = new AbortController();
      const onAbort = () => stop.abort(ctx.signal.reason);
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      try {
        ctx.progress(0, items.length);
        const lane = async () => {
          while (next < items.length && failed === undefined && !stop.signal.aborted) {
            const k = next++;
            const item = items[k]!;
            const dir = join(root, itemDirName(item, k));
            mkdirSync(dir, { recursive: true });
            try {
              const result = await worker.run(item, dir, stop.signal);
              results[k] = { item, result, dir };
              ctx.progress(++done, items.length);
            } catch (e) {
              if (failed === undefined) failed = e instanceof Error ? new Error(`item ${item.id}: ${e.message}`, { cause: e }) : e;
              stop.abort();
            }
          }
        };
        const n = Math.max(1, Math.min(items.length, opts.concurrency ?? 2 * ctx.cpus));
        await Promise.all(Array.from({ length: n }, lane));
      } finally {
        ctx.signal.removeEventListener("abort", onAbort);
        await worker.close();
      }
      ctx.signal.throwIfAborted();
      if (failed !== undefined) throw failed;
      return results;
    },
  };
}

/** Runs `kind` on `ctx`. A fan-out kind's items run on `opts.items` (default: localItems with
 * `opts.concurrency`), then its assemble() builds the output here. */
export async function runKind<P>(kind: StageKind<P>, ctx: StageContext<P>, opts: { concurrency?: number; items?: ItemExecutor } = {}): Promise<StageSummary | void> {
  if (!kind.fanOut) {
    if (!kind.run) throw new Error(`stage kind "${kind.kind}" has neither run() nor fanOut`);
    return kind.run(ctx);
  }
  const f = kind.fanOut;
  const items = await f.items(ctx);
  const root = join(ctx.tmpDir, "items");
  mkdirSync(root, { recursive: true });
  try {
    const executor = opts.items ?? localItems(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {});
    const results = await executor.run({ kind, ctx, items, root });
    ctx.signal.throwIfAborted();
    return await f.assemble(ctx, results);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Provenance for a kind run outside any pipeline (tests, library use). */
export function standaloneProvenance(): Provenance {
  return { run: { id: "standalone", startedAt: new Date(0).toISOString() }, pipeline: "", data: null, environment: {}, upstream: [] };
}
