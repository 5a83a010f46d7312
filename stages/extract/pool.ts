// The clip worker pool. The worker file is worker.js next to this module when running from
// dist/, worker.ts under tsx (then the worker thread needs tsx's loader too).
import { setMaxListeners } from "node:events";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import type { ClipTask, ClipTaskResult } from "./worker.js";

export interface ClipPool {
  run(task: ClipTask): Promise<ClipTaskResult>;
  /** Worker thread ids that processed at least one clip. */
  threadsUsed(): Set<number>;
  destroy(): Promise<void>;
}

/** `perWorker` clips interleave in each worker (async tasks: one decodes while another waits). */
export function createClipPool(workers: number, signal: AbortSignal, perWorker = 2): ClipPool {
  const fromTs = import.meta.url.endsWith(".ts");
  const pool = new Piscina({
    filename: fileURLToPath(new URL(fromTs ? "./worker.ts" : "./worker.js", import.meta.url)),
    minThreads: workers,
    maxThreads: workers,
    concurrentTasksPerWorker: perWorker,
    idleTimeout: 30_000,
    execArgv: fromTs ? ["--import", "tsx"] : [],
  });
  // piscina adds one abort listener per queued task; an abort terminates the worker threads,
  // whose ffmpeg children then die on a closed pipe.
  setMaxListeners(0, signal);
  const threads = new Set<number>();
  return {
    run: async (task) => {
      const r = (await pool.run(task, { signal })) as ClipTaskResult;
      threads.add(r.thread);
      return r;
    },
    threadsUsed: () => threads,
    destroy: () => pool.destroy(),
  };
}
