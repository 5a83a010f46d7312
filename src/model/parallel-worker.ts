// A data-parallel training thread (see parallel.ts): same Trainer as rank 0, computes its shard's
// gradients into its shared slot, then applies the total rank 0 summed.
import { parentPort, workerData } from "node:worker_threads";
import { useBackend } from "./backend.js";
import type { FromWorker, ToWorker, WorkerInit } from "./parallel.js";
import { Trainer } from "./train.js";

const init = workerData as WorkerInit;
const port = parentPort!;
const reply = (m: FromWorker) => port.postMessage(m);

try {
  await useBackend(init.backend);
  const trainer = new Trainer(init.config, init.opts, init.rank);
  const slot = new Float32Array(init.sab, 4 * init.size * init.rank, init.size);
  const threads = init.sab.byteLength / (4 * init.size) - 1;
  const total = new Float32Array(init.sab, 4 * init.size * threads, init.size);
  port.on("message", (m: ToWorker) => {
    try {
      if (m.type === "grads") {
        const windows = Array.from({ length: m.batch }, () => ({ start: 0, offset: 0, count: 0 }));
        const r = trainer.gradients({ x: m.x, mask: m.mask, batch: m.batch, seqLen: m.seqLen, dims: m.dims, windows }, m.labels, m.scale);
        trainer.flatten(r.grads, slot);
        reply({ type: "grads", loss: r.loss });
      } else {
        trainer.applyFlat(total.slice());
      }
    } catch (e) {
      reply({ type: "error", message: e instanceof Error ? e.message : String(e) });
    }
  });
  reply({ type: "ready" });
} catch (e) {
  reply({ type: "error", message: e instanceof Error ? e.message : String(e) });
}
