// The training loop on tiny synthetic sets (cpu backend, small model): it learns a separable set,
// is deterministic for a seed, respects min_epochs, leaks no tensors across epochs, fails loudly
// on NaN, places frames randomly only while training, and save → load gives the same scores.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { packBatch, placeClip } from "../../src/model/batches.js";
import { useBackend } from "../../src/model/backend.js";
import type { ModelConfig } from "../../src/model/config.js";
import { loadDetector } from "../../src/model/detector.js";
import { saveModel } from "../../src/model/io.js";
import { scoreClips } from "../../src/model/predict.js";
import { DataParallel } from "../../src/model/parallel.js";
import { Rng } from "../../src/model/rng.js";
import { fit, NonFiniteLossError, Trainer, type FitOptions } from "../../src/model/train.js";
import { memoryClips, type ClipSet } from "../../src/model/clips.js";
import type { Matrix } from "../../src/lib/npy.js";
import { disposeWeights } from "../../src/model/weights.js";
import { DIMS, syntheticClip } from "./fixture.js";

const config: ModelConfig = { inputDims: DIMS, dModel: 16, layers: 1, heads: 2, ff: 32, dropout: 0.1, pooling: "attention", seqLen: 10 };
const options: FitOptions = {
  config, normalization: { mean: new Array(DIMS).fill(0), std: new Array(DIMS).fill(1) }, loss: { type: "focal", alpha: 0.5, gamma: 2 }, lr: 0.01, weightDecay: 0, clipNorm: 1, batchSize: 4,
  maxEpochs: 8, minEpochs: 2, patience: 3, randomPadding: true, seed: 7,
};

type Dataset = ClipSet & { clips: Matrix[]; labels: number[] };

function dataset(seed: number, perClass: number): Dataset {
  const rng = new Rng(seed);
  const ids: string[] = [], clips: Matrix[] = [], labels: number[] = [];
  for (let i = 0; i < perClass; i++)
    for (const label of [0, 1] as const) {
      ids.push(`${label}_${i}`);
      clips.push(syntheticClip(rng, label, 3 + ((i * 3 + label) % 10)));
      labels.push(label);
    }
  return { ...memoryClips(ids, labels, clips), clips, labels };
}

describe("fit", () => {
  const train = dataset(1, 8), val = dataset(2, 4);
  before(async () => {
    await useBackend("cpu");
  });

  test("a tiny model learns a separable set to 100 %", async () => {
    const r = await fit(train, val, { ...options, maxEpochs: 25, minEpochs: 25 });
    for (const set of [train, val]) {
      const { scores } = scoreClips(r.weights, config, set.clips);
      const wrong = scores.filter((s, i) => (s >= 0.5 ? 1 : 0) !== set.labels[i]).length;
      assert.equal(wrong, 0, `misclassified ${wrong} of ${set.clips.length}`);
    }
    assert.equal(r.bestValScores.length, val.ids.length);
    disposeWeights(r.weights);
  });

  test("deterministic for a seed on the cpu backend; another seed differs", async () => {
    const run = async (seed: number) => {
      const r = await fit(train, val, { ...options, maxEpochs: 3, minEpochs: 3, seed });
      const s = scoreClips(r.weights, config, val.clips).scores;
      disposeWeights(r.weights);
      return { losses: r.history.map((e) => e.train_loss), s };
    };
    const a = await run(7), b = await run(7), c = await run(8);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.losses, c.losses);
  });

  test("data-parallel threads apply the same update as one thread, and are deterministic", async () => {
    const c = { ...config, dropout: 0 };
    const rng = new Rng(9);
    const clips = Array.from({ length: 5 }, (_, i) => syntheticClip(rng, (i % 2) as 0 | 1, 4 + i));
    const b = packBatch(clips, c.seqLen, clips.map((m) => placeClip(m.rows, c.seqLen)));
    const labels = clips.map((_, i) => i % 2);
    const one = new Trainer(c, options), two = new Trainer(c, options);
    const group = await DataParallel.create(two, 2, "cpu");
    try {
      for (let i = 0; i < 2; i++) {
        const a = one.step(b, labels), g = await group.step(b, labels);
        assert.ok(Math.abs(a.loss - g.loss) < 1e-5 && Math.abs(a.gradNorm - g.gradNorm) < 1e-4, `${a.loss} ${g.loss} ${a.gradNorm} ${g.gradNorm}`);
      }
      for (const n of one.names) {
        const d = tf.tidy(() => tf.max(tf.abs(tf.sub(one.weights.get(n)!, two.weights.get(n)!))).dataSync()[0]!);
        // Adam turns float-noise gradients (e.g. of pool_query/bias, exactly 0 in theory) into ~lr/1000 steps
        assert.ok(d < 1e-3, `${n} differs by ${d}`);
      }
    } finally {
      await group.close();
      for (const t of [one, two]) {
        t.disposeOptimizer();
        disposeWeights(t.weights);
      }
    }
    const run = async () => {
      const r = await fit(train, val, { ...options, maxEpochs: 2, minEpochs: 2, threads: 2 });
      disposeWeights(r.weights);
      assert.equal(r.threads, 2);
      return r.history.map((e) => [e.train_loss, e.val_loss]);
    };
    assert.deepEqual(await run(), await run());
  });

  test("early stopping never stops before min_epochs and keeps the best epoch", async () => {
    // lr 0: validation loss never improves after epoch 1, so only min_epochs/patience decide
    const r = await fit(train, val, { ...options, lr: 0, maxEpochs: 20, minEpochs: 6, patience: 2 });
    assert.equal(r.history.length, 6);
    assert.equal(r.bestEpoch, 1);
    assert.equal(r.stoppedEarly, true);
    disposeWeights(r.weights);
    const r2 = await fit(train, val, { ...options, lr: 0, maxEpochs: 20, minEpochs: 0, patience: 2 });
    assert.equal(r2.history.length, 3);
    disposeWeights(r2.weights);
  });

  test("no tensor leak across epochs", async () => {
    const counts: number[] = [];
    const r = await fit(train, val, { ...options, maxEpochs: 4, minEpochs: 4, onEpoch: () => counts.push(tf.memory().numTensors) });
    assert.equal(counts.length, 4);
    assert.ok(counts.every((n) => n === counts[1]), `tensors per epoch: ${counts.join(", ")}`);
    disposeWeights(r.weights);
  });

  test("a NaN loss fails loudly", async () => {
    const bad = dataset(3, 2);
    bad.clips[0]!.data[0] = Number.NaN;
    await assert.rejects(fit(bad, undefined, options), /training diverged: loss is NaN at epoch 1, batch 1/);
    const t = new Trainer(config, options);
    const b = packBatch(bad.clips, config.seqLen, bad.clips.map((m) => placeClip(m.rows, config.seqLen)));
    assert.throws(() => t.step(b, bad.labels), NonFiniteLossError);
    t.disposeOptimizer();
    disposeWeights(t.weights);
  });

  test("random placement only while training; evaluation is centred and repeatable", () => {
    assert.deepEqual(placeClip(4, 10), { start: 0, offset: 3, count: 4 });
    assert.deepEqual(placeClip(15, 10), { start: 2, offset: 0, count: 10 });
    const rng = new Rng(1);
    const offsets = new Set(Array.from({ length: 40 }, () => placeClip(4, 10, rng).offset));
    assert.ok(offsets.size > 3 && [...offsets].every((o) => o >= 0 && o <= 6));
    const t = new Trainer(config, options);
    const a = scoreClips(t.weights, config, val.clips), b = scoreClips(t.weights, config, val.clips);
    assert.deepEqual(a, b);
    t.disposeOptimizer();
    disposeWeights(t.weights);
  });

  test("save → load → same scores", async () => {
    const r = await fit(train, val, { ...options, maxEpochs: 2, minEpochs: 2 });
    const dir = mkdtempSync(join(tmpdir(), "dfd-model-"));
    try {
      const expected = scoreClips(r.weights, config, val.clips);
      await saveModel(dir, r.weights, {
        threshold: 0.5, seq_len: config.seqLen, feature_dims: DIMS,
        normalization: { mean: new Array(DIMS).fill(0), std: new Array(DIMS).fill(1) },
        extract: null, backend: "cpu", params: {}, model: config,
      });
      const det = await loadDetector(dir, { backend: "cpu" });
      const got = await det.score(val.clips);
      got.forEach((g, i) => {
        assert.ok(Math.abs(g.score - expected.scores[i]!) < 1e-6);
        assert.deepEqual(g.attention.map((v) => +v.toFixed(6)), expected.attention[i]!.map((v) => +v.toFixed(6)));
      });
      det.dispose();
    } finally {
      disposeWeights(r.weights);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
