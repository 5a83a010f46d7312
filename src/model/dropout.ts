// Dropout masks. tfjs's own dropout draws its random numbers in JavaScript through seedrandom for
// every element of every call (~4 M draws per training step at the default size), which costs more
// than the layers it regularises. Instead one seeded pool of pre-scaled keep/drop values
// (0 or 1/(1−p)) is drawn once, and each call takes a window at a random offset: a different,
// seeded mask per call for the price of one copy.
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "./rng.js";

const POOL_SIZE = 1 << 22;

export class DropoutSource {
  private readonly pool: Float32Array;
  private readonly rng: Rng;
  constructor(readonly rate: number, seed: number) {
    this.rng = new Rng(seed);
    this.pool = new Float32Array(rate > 0 ? POOL_SIZE : 0);
    const keep = 1 / (1 - rate);
    for (let i = 0; i < this.pool.length; i++) this.pool[i] = this.rng.next() < rate ? 0 : keep;
  }
  /** A mask tensor of `shape` to multiply activations with, or undefined when rate is 0. */
  mask(shape: number[]): tf.Tensor | undefined {
    if (this.rate <= 0) return undefined;
    const n = shape.reduce((a, b) => a * b, 1);
    if (n > this.pool.length) {
      const fresh = new Float32Array(n);
      const keep = 1 / (1 - this.rate);
      for (let i = 0; i < n; i++) fresh[i] = this.rng.next() < this.rate ? 0 : keep;
      return tf.tensor(fresh, shape);
    }
    const at = this.rng.int(this.pool.length - n + 1);
    return tf.tensor(this.pool.subarray(at, at + n), shape);
  }
}
