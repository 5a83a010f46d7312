// Measures one training step of the seed-size model (batch 8 × 64 frames × 256 features, d 256,
// 4 layers, 4 heads, ff 512, dropout 0.1, focal loss, Adam, clipping) on a tfjs backend, with 1 or
// more data-parallel threads. Used by bench/train.ts; also runnable alone:
//   node --import tsx bench/train-step.ts wasm 2
import { packBatch } from "../src/model/batches.js";
import { useBackend, type BackendRequest } from "../src/model/backend.js";
import type { ModelConfig } from "../src/model/config.js";
import { DataParallel } from "../src/model/parallel.js";
import { Rng } from "../src/model/rng.js";
import { Trainer } from "../src/model/train.js";

export interface StepTiming {
  backend: string;
  threads: number;
  ms_min: number;
  ms_median: number;
  steps: number;
}

export async function measureStep(backend: BackendRequest, threads: number, steps = 6, dims = { batch: 8, seq: 64, feat: 256 }): Promise<StepTiming> {
  const choice = await useBackend(backend);
  const config: ModelConfig = { inputDims: dims.feat, dModel: 256, layers: 4, heads: 4, ff: 512, dropout: 0.1, pooling: "attention", seqLen: dims.seq };
  const trainer = new Trainer(config, { loss: { type: "focal", alpha: 0.5, gamma: 2 }, lr: 1e-4, weightDecay: 0, clipNorm: 1, seed: 0 });
  const rng = new Rng(1);
  // like the PyTorch bench: random features, a quarter of each sequence padding
  const real = (dims.seq * 3) / 4;
  const clips = Array.from({ length: dims.batch }, () => ({ data: Float32Array.from({ length: real * dims.feat }, () => rng.normal()), rows: real, cols: dims.feat }));
  const batch = packBatch(clips, dims.seq, clips.map(() => ({ start: 0, offset: 0, count: real })));
  const labels = clips.map((_, i) => i % 2);
  const group = threads > 1 ? await DataParallel.create(trainer, threads, choice.backend as "wasm" | "cpu") : undefined;
  const step = () => (group ? group.step(batch, labels) : Promise.resolve(trainer.step(batch, labels)));
  try {
    await step(); // warm-up: kernel setup, XNNPACK operator packing
    await step();
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await step();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { backend: choice.backend, threads, ms_min: round1(times[0]!), ms_median: round1(times[Math.floor(times.length / 2)]!), steps };
  } finally {
    await group?.close();
    trainer.disposeOptimizer();
    for (const v of trainer.weights.values()) v.dispose();
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const backend = (process.argv[2] ?? "wasm") as BackendRequest;
  const threads = Number(process.argv[3] ?? 1);
  console.log(JSON.stringify(await measureStep(backend, threads, Number(process.argv[4] ?? 6))));
}
