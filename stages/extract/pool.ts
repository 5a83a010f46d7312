// The feature worker pool. The worker file is worker.js next to this module when running from
// dist/, worker.ts under tsx (then the worker thread needs tsx's loader too). Tasks take a few
// milliseconds, so an abort simply destroys the pool (the caller does, in a finally) instead of
// hanging one abort listener per task on the signal.
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import type { FrameCompute } from "./clip.js";
import type { FrameTask } from "./worker.js";

export interface FramePool {
  compute: FrameCompute;
  /** Worker thread ids that computed at least one frame. */
  threadsUsed(): Set<number>;
  destroy(): Promise<void>;
}

export function createFramePool(workers: number): FramePool {
  const fromTs = import.meta.url.endsWith(".ts");
  const pool = new Piscina({
    filename: fileURLToPath(new URL(fromTs ? "./worker.ts" : "./worker.js", import.meta.url)),
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 30_000,
    execArgv: fromTs ? ["--import", "tsx"] : [],
  });
  const threads = new Set<number>();
  return {
    compute: async (task: FrameTask) => {
      const r = (await pool.run(task)) as { row: Float32Array; thread: number };
      threads.add(r.thread);
      return r.row;
    },
    threadsUsed: () => threads,
    destroy: () => pool.destroy(),
  };
}
