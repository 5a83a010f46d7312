// Data-parallel training over worker threads. The wasm backend runs one thread per process, so on
// a 2-core machine a second thread can compute half of every batch. Each thread (rank 0 = this
// one) holds a Trainer with identical weights, computes the gradients of its shard scaled by its
// share of the batch, and writes them into its slot of one SharedArrayBuffer. Rank 0 sums the
// slots in rank order into a total, and every thread applies that same total (clip + Adam), so the
// weights stay bit-identical without ever being sent.
import { Worker } from "node:worker_threads";
import type { Batch } from "./batches.js";
import type { BackendName } from "./backend.js";
import type { ModelConfig } from "./config.js";
import { NonFiniteLossError } from "./loss.js";
import type { Trainer } from "./train.js";

export interface WorkerInit {
  config: ModelConfig;
  opts: Trainer["opts"];
  rank: number;
  backend: BackendName;
  sab: SharedArrayBuffer;
  size: number;
}

export type ToWorker =
  | { type: "grads"; x: Float32Array; mask: Float32Array; labels: number[]; batch: number; seqLen: number; dims: number; scale: number }
  | { type: "apply" };
export type FromWorker = { type: "ready" } | { type: "grads"; loss: number } | { type: "error"; message: string };

class Peer {
  private pending: { resolve(m: FromWorker): void; reject(e: Error): void }[] = [];
  private failure: Error | undefined;
  constructor(readonly worker: Worker) {
    worker.on("message", (m: FromWorker) => {
      if (m.type === "error") this.fail(new Error(`training worker: ${m.message}`));
      else this.pending.shift()?.resolve(m);
    });
    worker.on("error", (e) => this.fail(e));
    worker.on("exit", (code) => this.fail(new Error(`training worker exited (code ${code})`)));
  }
  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.splice(0)) p.reject(this.failure);
  }
  /** The next reply from the worker. */
  next(): Promise<FromWorker> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  send(m: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }
}

export class DataParallel {
  private constructor(
    private readonly trainer: Trainer,
    private readonly peers: Peer[],
    private readonly slots: Float32Array[],
  ) {}

  /** Starts `threads − 1` workers beside this thread's trainer. */
  static async create(trainer: Trainer, threads: number, backend: BackendName): Promise<DataParallel> {
    const layout = trainer.layout;
    const sab = new SharedArrayBuffer(4 * layout.total * (threads + 1));
    const slots = Array.from({ length: threads + 1 }, (_, r) => new Float32Array(sab, 4 * layout.total * r, layout.total));
    const fromTs = import.meta.url.endsWith(".ts");
    const peers: Peer[] = [];
    try {
      for (let rank = 1; rank < threads; rank++) {
        const init: WorkerInit = { config: trainer.config, opts: trainer.opts, rank, backend, sab, size: layout.total };
        const entry = new URL(fromTs ? "./parallel-worker.ts" : "./parallel-worker.js", import.meta.url);
        // Under tsx (tests, benches) a .ts entry needs tsx's loader in the worker, and
        // `execArgv: ["--import", "tsx"]` does not reach worker threads on Node 20: a one-line
        // script registers tsx's API first, then imports the entry.
        const worker = fromTs
          ? new Worker(`import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((m) => { m.register(); ` +
              `return import(${JSON.stringify(entry.href)}); })`, { eval: true, workerData: init })
          : new Worker(entry, { workerData: init });
        peers.push(new Peer(worker));
      }
      await Promise.all(peers.map((p) => p.next()));
    } catch (e) {
      await Promise.all(peers.map((p) => p.worker.terminate()));
      throw e;
    }
    return new DataParallel(trainer, peers, slots);
  }

  async step(b: Batch, labels: number[]): Promise<{ loss: number; gradNorm: number }> {
    const parts = Math.min(this.peers.length + 1, b.batch);
    const per = b.seqLen * b.dims;
    const bounds = Array.from({ length: parts + 1 }, (_, r) => Math.round((r * b.batch) / parts));
    const shard = (r: number): Batch => {
      const [s, e] = [bounds[r]!, bounds[r + 1]!];
      return { ...b, batch: e - s, x: b.x.slice(s * per, e * per), mask: b.mask.slice(s * b.seqLen, e * b.seqLen), windows: b.windows.slice(s, e) };
    };
    const replies: Promise<FromWorker>[] = [];
    for (let r = 1; r < parts; r++) {
      const s = shard(r);
      const peer = this.peers[r - 1]!;
      replies.push(peer.next());
      peer.send({ type: "grads", x: s.x, mask: s.mask, labels: labels.slice(bounds[r], bounds[r + 1]), batch: s.batch, seqLen: s.seqLen,
        dims: s.dims, scale: s.batch / b.batch }, [s.x.buffer as ArrayBuffer, s.mask.buffer as ArrayBuffer]);
    }
    const own = shard(0);
    const mine = this.trainer.gradients(own, labels.slice(0, bounds[1]), own.batch / b.batch);
    this.trainer.flatten(mine.grads, this.slots[0]!);
    let loss = mine.loss;
    for (const m of await Promise.all(replies)) if (m.type === "grads") loss += m.loss;
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(loss);
    // sum in rank order into the shared total; every thread then applies the same numbers
    const total = this.slots[this.slots.length - 1]!;
    total.set(this.slots[0]!);
    for (let r = 1; r < parts; r++) {
      const slot = this.slots[r]!;
      for (let i = 0; i < total.length; i++) total[i]! += slot[i]!;
    }
    for (const p of this.peers) p.send({ type: "apply" });
    // applyFlat clips in place: work on a copy, the workers read the shared total concurrently
    const gradNorm = this.trainer.applyFlat(total.slice());
    return { loss, gradNorm };
  }

  async close(): Promise<void> {
    await Promise.all(this.peers.map((p) => p.worker.terminate()));
  }
}
