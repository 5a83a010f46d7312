// The network's pieces: output shapes, padding masks, sinusoidal values, pooling weights, and the
// hand-written gradients checked against tfjs's own autodiff of the plain ops (on cpu, and on
// wasm where attention runs as a depthwise convolution).
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import "../../src/model/gradients.js";
import { useBackend } from "../../src/model/backend.js";
import { selfAttention } from "../../src/model/attention.js";
import type { ModelConfig } from "../../src/model/config.js";
import { dense, gelu, geluExact, layerNorm } from "../../src/model/ops.js";
import { Rng } from "../../src/model/rng.js";
import { forward, sinusoidal } from "../../src/model/transformer.js";
import { disposeWeights, initWeights } from "../../src/model/weights.js";

const cfg: ModelConfig = { inputDims: 5, dModel: 8, layers: 2, heads: 2, ff: 16, dropout: 0, pooling: "attention", seqLen: 6 };

function randomTensor(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe("network", () => {
  before(async () => {
    await useBackend("cpu");
  });

  test("forward shapes: logits [batch], pooling weights [batch, seq]", () => {
    const w = initWeights(cfg, 1);
    const rng = new Rng(2);
    tf.tidy(() => {
      const x = randomTensor(rng, [3, 6, 5]) as tf.Tensor3D;
      const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1], [0, 1, 1, 1, 0, 0], [1, 0, 0, 0, 0, 0]]);
      const r = forward(w, cfg, x, mask);
      assert.deepEqual(r.logits.shape, [3]);
      assert.deepEqual(r.pool.shape, [3, 6]);
      assert.throws(() => forward(w, cfg, randomTensor(rng, [1, 6, 4]) as tf.Tensor3D, mask), /4 feature dims, the model expects 5/);
    });
    disposeWeights(w);
  });

  for (const pooling of ["attention", "mean"] as const)
    test(`${pooling} pooling: padded values change nothing; weights sum to 1 over real frames, 0 on padding`, () => {
      const c = { ...cfg, pooling };
      const w = initWeights(c, 3);
      const rng = new Rng(4);
      tf.tidy(() => {
        const mask = tf.tensor2d([[0, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]]);
        const x = randomTensor(rng, [2, 6, 5]);
        // replace every padded frame with large garbage
        const garbage = tf.mul(randomTensor(rng, [2, 6, 5]), 100);
        const x2 = tf.where(tf.cast(tf.tile(tf.reshape(mask, [2, 6, 1]), [1, 1, 5]), "bool"), x, garbage) as tf.Tensor3D;
        const a = forward(w, c, x as tf.Tensor3D, mask), b = forward(w, c, x2, mask);
        assert.ok(maxDiff(a.logits, b.logits) < 1e-5, "logits unchanged");
        assert.ok(maxDiff(a.pool, b.pool) < 1e-6, "pool weights unchanged");
        const pool = a.pool.arraySync() as number[][];
        assert.equal(pool[0]![0], 0);
        assert.equal(pool[0]![4], 0);
        assert.equal(pool[0]![5], 0);
        for (const row of pool) assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-5);
        if (pooling === "mean") assert.ok(Math.abs(pool[0]![1]! - 1 / 3) < 1e-6);
      });
      disposeWeights(w);
    });

  test("sinusoidal encoding values", () => {
    const d = 8;
    const pe = sinusoidal(5, d);
    assert.deepEqual(Array.from(pe.subarray(0, d)), [0, 1, 0, 1, 0, 1, 0, 1]);
    const at = (p: number, j: number) => pe[p * d + j]!;
    assert.ok(Math.abs(at(1, 0) - Math.sin(1)) < 1e-7);
    assert.ok(Math.abs(at(1, 1) - Math.cos(1)) < 1e-7);
    assert.ok(Math.abs(at(3, 2) - Math.sin(3 / 10000 ** (2 / d))) < 1e-6);
    assert.ok(Math.abs(at(4, 7) - Math.cos(4 / 10000 ** (6 / d))) < 1e-6);
  });

  test("GELU (sigmoid form of the tanh approximation) is within 5e-4 of the exact erf GELU", () => {
    tf.tidy(() => {
      const x = tf.linspace(-6, 6, 1201);
      assert.ok(maxDiff(gelu(x), geluExact(x)) < 5e-4);
    });
  });

  for (const backend of ["cpu", "wasm"] as const)
    test(`hand-written gradients match tfjs autodiff of the plain ops (${backend})`, async () => {
      await useBackend(backend);
      const rng = new Rng(5);
      const B = 2, T = 5, H = 2, D = 3, d = H * D;
      const x = randomTensor(rng, [B * T, d]) as tf.Tensor2D;
      const w = randomTensor(rng, [d, 4]), b = randomTensor(rng, [4]);
      const g = randomTensor(rng, [d]), beta = randomTensor(rng, [d]);
      const q = randomTensor(rng, [B * T, d]) as tf.Tensor2D, k = randomTensor(rng, [B * T, d]) as tf.Tensor2D, v = randomTensor(rng, [B * T, d]) as tf.Tensor2D;
      const mask = tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]);
      const keyMask = tf.reshape(tf.mul(tf.sub(1, mask), -1e9), [1, B, 1, T]);
      const probe = randomTensor(rng, [B * T, d]);
      const probe4 = randomTensor(rng, [B * T, 4]);

      const check = (name: string, mine: (...t: tf.Tensor[]) => tf.Tensor, plain: (...t: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], weight: tf.Tensor) => {
        const f = (impl: typeof mine) => tf.grads((...t: tf.Tensor[]) => tf.sum(tf.mul(impl(...t), weight)));
        const a = f(mine)(inputs), e = f(plain)(inputs);
        a.forEach((ga, i) => assert.ok(maxDiff(ga, e[i]!) < 2e-4, `${name}: gradient of input ${i} differs by ${maxDiff(ga, e[i]!)}`));
        assert.ok(maxDiff(mine(...inputs), plain(...inputs)) < 1e-4, `${name}: values differ`);
      };
      check("dense", (x, w, b) => dense(x as tf.Tensor2D, w!, b!), (x, w, b) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b!), [x, w, b], probe4);
      check("layerNorm", (x, g, b) => layerNorm(x as tf.Tensor2D, g!, b!), (x, g, b) => {
        const m = tf.moments(x!, 1, true);
        return tf.add(tf.mul(tf.div(tf.sub(x!, m.mean), tf.sqrt(tf.add(m.variance, 1e-5))), g!), b!);
      }, [x, g, beta], probe);
      const G1 = 2 * Math.sqrt(2 / Math.PI);
      check("gelu", (x) => gelu(x!), (x) => tf.mul(x!, tf.sigmoid(tf.mul(tf.add(x!, tf.mul(tf.pow(x!, 3), 0.044715)), G1))), [x], probe);
      const shape = { batch: B, seq: T, heads: H, headDim: D };
      const plainAttention = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => {
        const split = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, D]), [0, 2, 1, 3]);
        const s = tf.add(tf.div(tf.matMul(split(q), split(k), false, true), Math.sqrt(D)), tf.reshape(keyMask, [B, 1, 1, T]));
        return tf.reshape(tf.transpose(tf.matMul(tf.softmax(s), split(v)), [0, 2, 1, 3]), [B * T, d]);
      };
      check("attention", (q, k, v) => selfAttention(q as tf.Tensor2D, k as tf.Tensor2D, v as tf.Tensor2D, keyMask, shape), plainAttention, [q, k, v], probe);
      // with a dropout mask on the probabilities
      const drop = tf.mul(tf.cast(tf.greater(randomTensor(rng, [T, B, H, T]), -0.5), "float32"), 1.4);
      check("attention+dropout", (q, k, v) => selfAttention(q as tf.Tensor2D, k as tf.Tensor2D, v as tf.Tensor2D, keyMask, shape, drop),
        (q, k, v) => {
          const split = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, D]), [0, 2, 1, 3]);
          const s = tf.add(tf.div(tf.matMul(split(q), split(k), false, true), Math.sqrt(D)), tf.reshape(keyMask, [B, 1, 1, T]));
          const p = tf.mul(tf.softmax(s), tf.transpose(drop, [1, 2, 0, 3]));
          return tf.reshape(tf.transpose(tf.matMul(p, split(v)), [0, 2, 1, 3]), [B * T, d]);
        }, [q, k, v], probe);
      await useBackend("cpu");
    });
});
