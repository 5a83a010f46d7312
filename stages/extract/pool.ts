// The clip worker pool. The worker file is worker.js next to this module when running from
// dist/, worker.ts under tsx (then the worker thread needs tsx's loader too).
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import type { ClipTask, ClipTaskResult } from "./worker.js";

export interface ClipPool {
  /** Runs one clip; aborting `signal` makes the task kill its ffmpeg and return (within ~0.1 s). */
  run(task: Omit<ClipTask, "abort">, signal?: AbortSignal): Promise<ClipTaskResult>;
  /** Worker thread ids that processed at least one clip. */
  threadsUsed(): Set<number>;
  destroy(): Promise<void>;
}

/** `perWorker` clips interleave in each worker (async tasks: one decodes while another waits). */
export function createClipPool(workers: number, perWorker = 2): ClipPool {
  const fromTs = import.meta.url.endsWith(".ts");
  const pool = new Piscina({
    filename: fileURLToPath(new URL(fromTs ? "./worker.ts" : "./worker.js", import.meta.url)),
    minThreads: workers,
    maxThreads: workers,
    concurrentTasksPerWorker: perWorker,
    idleTimeout: 30_000,
    execArgv: fromTs ? ["--import", "tsx"] : [],
  });
  const threads = new Set<number>();
  return {
    run: async (task, signal) => {
      // One flag per task (a SharedArrayBuffer is shared, not copied, between threads), so an
      // item's abort stops that clip only.
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const onAbort = () => void Atomics.store(flag, 0, 1);
      if (signal?.aborted) onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        const r = (await pool.run({ ...task, abort: flag })) as ClipTaskResult;
        threads.add(r.thread);
        return r;
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
    },
    threadsUsed: () => threads,
    destroy: () => pool.destroy(),
  };
}
