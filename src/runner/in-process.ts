// Running one stage kind in this process, outside or inside a pipeline: `run()`, or for a
// fan-out kind items → one worker → every item (in parallel) → assemble. The executor's local
// path uses it; tests and library users call it directly on a hand-made context.
import { mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { ItemResult, Provenance, StageContext, StageKind, StageSummary, WorkItem } from "../stage.js";

/** Directory name of an item's private output dir: its id, made safe for a file name. */
export function itemDirName(item: WorkItem, index: number): string {
  return `${String(index).padStart(6, "0")}-${item.id.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80)}`;
}

/** Runs `kind` on `ctx`. For a fan-out kind, items run here, up to `concurrency` at a time
 * (default 2 × ctx.cpus: the worker interleaves them over its own threads). */
export async function runKind<P>(kind: StageKind<P>, ctx: StageContext<P>, opts: { concurrency?: number } = {}): Promise<StageSummary | void> {
  if (!kind.fanOut) {
    if (!kind.run) throw new Error(`stage kind "${kind.kind}" has neither run() nor fanOut`);
    return kind.run(ctx);
  }
  const f = kind.fanOut;
  const items = await f.items(ctx);
  const root = join(ctx.tmpDir, "items");
  mkdirSync(root, { recursive: true });
  const worker = await f.worker({
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
  try {
    return await f.assemble(ctx, results);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Provenance for a kind run outside any pipeline (tests, library use). */
export function standaloneProvenance(): Provenance {
  return { run: { id: "standalone", startedAt: new Date(0).toISOString() }, pipeline: "", data: null, environment: {}, upstream: [] };
}
