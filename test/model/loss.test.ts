// Focal loss against hand-computed values, its γ = 0 case, and global-norm clipping.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { useBackend } from "../../src/model/backend.js";
import { lossFn } from "../../src/model/loss.js";
import { clipByGlobalNorm, FlatAdam } from "../../src/model/optimizer.js";

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const value = (t: tf.Tensor) => {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
};

describe("loss and clipping", () => {
  before(async () => {
    await useBackend("cpu");
  });

  test("focal loss matches a hand computation", () => {
    const z = [2, -1, 0.5, -3], y = [1, 1, 0, 0];
    const alpha = 0.25, gamma = 2;
    let sum = 0;
    z.forEach((zi, i) => {
      const p = sigmoid(zi);
      const pt = y[i] ? p : 1 - p;
      const a = y[i] ? alpha : 1 - alpha;
      sum += a * (1 - pt) ** gamma * -Math.log(pt);
    });
    const got = value(lossFn({ type: "focal", alpha, gamma }, tf.tensor1d(z), tf.tensor1d(y)));
    assert.ok(Math.abs(got - sum / 4) < 1e-6, `${got} vs ${sum / 4}`);
  });

  test("focal loss with γ = 0 is α-weighted BCE; bce is plain BCE, stable for large logits", () => {
    const z = [3, -2, 0.1, 40, -40], y = [1, 0, 1, 0, 1];
    const bce = z.map((zi, i) => Math.max(zi, 0) - zi * y[i]! + Math.log1p(Math.exp(-Math.abs(zi))));
    const alpha = 0.7;
    const weighted = bce.reduce((s, b, i) => s + (y[i] ? alpha : 1 - alpha) * b, 0) / z.length;
    const focal0 = value(lossFn({ type: "focal", alpha, gamma: 0 }, tf.tensor1d(z), tf.tensor1d(y)));
    assert.ok(Math.abs(focal0 - weighted) < 1e-5, `${focal0} vs ${weighted}`);
    const plain = value(lossFn({ type: "bce" }, tf.tensor1d(z), tf.tensor1d(y)));
    assert.ok(Math.abs(plain - bce.reduce((a, b) => a + b, 0) / z.length) < 1e-5);
    assert.ok(Number.isFinite(plain) && plain > 15, "a confidently wrong ±40 logit costs ~40, not Inf/NaN");
  });

  test("clipping bounds the global norm and leaves small gradients alone", () => {
    const g = Float32Array.from([3, 4, 12]); // norm 13
    assert.ok(Math.abs(clipByGlobalNorm(g, 1) - 13) < 1e-5);
    const after = Math.hypot(...g);
    assert.ok(after <= 1 + 1e-5 && after > 0.999, `clipped norm ${after}`);
    assert.deepEqual(Array.from(g).map((v) => +v.toFixed(4)), [0.2308, 0.3077, 0.9231]);
    const small = Float32Array.from([3, 4]);
    assert.equal(clipByGlobalNorm(small, 20), 5);
    assert.deepEqual(Array.from(small), [3, 4]);
  });

  test("Adam's first step moves each weight by ≈ lr against its gradient; AdamW decays only the given ranges", () => {
    const p = Float32Array.from([1, 1, 1]);
    const adam = new FlatAdam(p, { lr: 0.1 });
    adam.step(Float32Array.from([0.5, -2, 0]));
    assert.deepEqual(Array.from(p).map((v) => +v.toFixed(5)), [0.9, 1.1, 1]);
    const q = Float32Array.from([1, 1]);
    const adamw = new FlatAdam(q, { lr: 0.1, weightDecay: 0.5 }, [[0, 1]]);
    adamw.step(Float32Array.from([0, 0]));
    assert.deepEqual(Array.from(q).map((v) => +v.toFixed(5)), [0.95, 1]);
  });
});
