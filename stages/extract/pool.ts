// The clip worker pool: `workers` small Node processes (clip-process.ts), each running up to
// `perWorker` clips at a time (one clip computes features while another's ffmpeg decodes).
//
// Processes, not threads: every clip forks an ffmpeg, and a fork costs time in proportion to the
// forking process's memory (its page tables are copied, then torn down again by the exec). From a
// process holding the runner, worker threads and their heaps (150-200 MB) that was ~20 ms of
// kernel time per clip, 2+ CPU-s on the 103 shared clips; from a small worker process it is a few
// milliseconds. Only the task (paths and params) and a small record cross the IPC channel: the
// worker writes the .npy itself.
//
// The worker file is clip-process.js next to this module when running from dist/, clip-process.ts
// under tsx (then the process gets tsx's loader too).
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ClipTask, ClipTaskResult } from "./worker.js";

export interface ClipPool {
  /** Runs one clip; aborting `signal` makes its worker kill the clip's ffmpeg and return. */
  run(task: ClipTask, signal?: AbortSignal): Promise<ClipTaskResult>;
  /** Ids of the worker processes that processed at least one clip. */
  workersUsed(): Set<number>;
  /** Stops the worker processes (a running clip is aborted) and waits until they have exited. */
  destroy(): Promise<void>;
}

/** Parent → worker. */
export type ToWorker = { op: "run"; id: number; task: ClipTask } | { op: "abort"; id: number };
/** Worker → parent. */
export type FromWorker = { op: "done"; id: number; result: ClipTaskResult };

interface Pending {
  id: number;
  task: ClipTask;
  signal: AbortSignal | undefined;
  resolve: (r: ClipTaskResult) => void;
  reject: (e: Error) => void;
}

interface Worker {
  child: ChildProcess;
  running: Map<number, Pending>;
  /** Has answered at least one clip. */
  answered: boolean;
  exited: Promise<void>;
}

export function createClipPool(workers: number, perWorker = 2): ClipPool {
  const fromTs = import.meta.url.endsWith(".ts");
  const file = fileURLToPath(new URL(fromTs ? "./clip-process.ts" : "./clip-process.js", import.meta.url));
  const procs: Worker[] = [];
  const queue: Pending[] = [];
  const used = new Set<number>();
  let nextId = 1;
  let destroyed = false;
  let failedStarts = 0;

  const start = (): Worker => {
    const child = fork(file, [], { execArgv: fromTs ? ["--import", "tsx"] : [], stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "json" });
    const w: Worker = {
      child,
      running: new Map(),
      answered: false,
      // 'exit', or 'error' without a pid (the process could not be started: no 'exit' follows)
      exited: new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.on("error", () => child.pid === undefined && resolve());
      }),
    };
    child.on("message", (m: FromWorker) => {
      const p = w.running.get(m.id);
      if (!p) return;
      w.running.delete(m.id);
      w.answered = true;
      failedStarts = 0;
      p.signal?.removeEventListener("abort", onAbortOf(p));
      used.add(child.pid ?? 0);
      p.resolve(m.result);
      dispatch();
    });
    // A worker that dies (killed, out of memory, a crash in a native extractor) fails its clips
    // with the reason and is replaced for the next ones. Clips whose item was aborted meanwhile
    // (Ctrl-C) end as aborted instead: the run was stopping them anyway.
    let gone = false;
    const died = (why: string) => {
      if (gone) return;
      gone = true;
      const i = procs.indexOf(w);
      if (i >= 0) procs.splice(i, 1);
      for (const p of w.running.values()) {
        p.signal?.removeEventListener("abort", onAbortOf(p));
        if (p.signal?.aborted) p.resolve({ ok: false, error: "aborted", expected: false, worker: child.pid ?? 0 });
        else if (destroyed) p.reject(new Error("the clip pool is closed"));
        else p.reject(new Error(`${p.task.file}: the extract worker process (pid ${child.pid ?? "?"}) running it ${why}`));
      }
      w.running.clear();
      if (destroyed) return;
      // a worker that dies before answering anything, again and again, is not going to work
      // (it cannot start: a missing file, no memory): fail the waiting clips instead of looping
      if (!w.answered && ++failedStarts >= 3) {
        for (const p of queue.splice(0)) p.reject(new Error(`${p.task.file}: extract worker processes keep dying before finishing a clip (the last one ${why})`));
        return;
      }
      dispatch();
    };
    // an 'error' of a running process (a send on a closing channel) is followed by its 'exit'
    child.on("error", (e) => child.pid === undefined && died(`could not be started: ${e.message}`));
    child.once("exit", (code, signal) => died(signal ? `was killed (${signal})` : `exited with code ${code}`));
    procs.push(w);
    return w;
  };

  // the least busy worker with a free slot, starting another one while fewer than `workers` run
  const pick = (): Worker | undefined => {
    let best: Worker | undefined;
    for (const w of procs) if (w.running.size < perWorker && (!best || w.running.size < best.running.size)) best = w;
    if ((!best || best.running.size > 0) && procs.length < workers) return start();
    return best;
  };

  const dispatch = () => {
    while (queue.length && !destroyed) {
      const w = pick();
      if (!w) return;
      const p = queue.shift()!;
      w.running.set(p.id, p);
      send(w, { op: "run", id: p.id, task: p.task });
      if (p.signal?.aborted) send(w, { op: "abort", id: p.id });
    }
  };

  const send = (w: Worker, m: ToWorker) => {
    if (w.child.connected) w.child.send(m);
  };

  // one listener per task: aborting sends the abort to whichever worker runs it
  const aborts = new WeakMap<Pending, () => void>();
  const onAbortOf = (p: Pending) => {
    let f = aborts.get(p);
    if (!f) {
      f = () => {
        const q = queue.indexOf(p);
        if (q >= 0) {
          queue.splice(q, 1);
          p.resolve({ ok: false, error: "aborted", expected: false, worker: 0 });
          return;
        }
        for (const w of procs) if (w.running.has(p.id)) send(w, { op: "abort", id: p.id });
      };
      aborts.set(p, f);
    }
    return f;
  };

  return {
    run: (task, signal) =>
      new Promise<ClipTaskResult>((resolve, reject) => {
        if (destroyed) return reject(new Error("the clip pool is closed"));
        if (signal?.aborted) return resolve({ ok: false, error: "aborted", expected: false, worker: 0 });
        const p: Pending = { id: nextId++, task, signal, resolve, reject };
        signal?.addEventListener("abort", onAbortOf(p), { once: true });
        queue.push(p);
        dispatch();
      }),
    workersUsed: () => used,
    async destroy() {
      destroyed = true;
      for (const p of queue.splice(0)) p.reject(new Error("the clip pool is closed"));
      // disconnecting tells a worker to abort what it runs, reap its ffmpeg and exit
      for (const w of procs) if (w.child.connected) w.child.disconnect();
      await Promise.all(procs.map((w) => w.exited));
    },
  };
}
