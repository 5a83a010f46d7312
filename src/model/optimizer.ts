// Adam / AdamW with global-norm gradient clipping, written on plain tfjs ops so the update is
// explicit (decoupled weight decay is not in tfjs's optimizers) and every temporary is disposed.
import * as tf from "@tensorflow/tfjs-core";
import type { Weights } from "./weights.js";

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay (AdamW); 0 = plain Adam. Not applied to biases and norm weights. */
  weightDecay?: number;
}

/** Scales `grads` so their global L2 norm is at most `maxNorm` (PyTorch clip_grad_norm_).
 * Returns the clipped gradients and the norm before clipping; when no scaling is needed these are
 * the input tensors themselves (no copies), so dispose inputs and outputs as a set. */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: number } {
  const sq = tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  const norm = Math.sqrt(sq.dataSync()[0]!);
  sq.dispose();
  const scale = norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
  return { grads: scale === 1 ? grads : grads.map((g) => tf.mul(g, scale)), norm };
}

export class Adam {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private t = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  constructor(readonly weights: Weights, readonly opts: AdamOptions) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    for (const [name, w] of weights) {
      this.m.set(name, tf.variable(tf.zerosLike(w), false));
      this.v.set(name, tf.variable(tf.zerosLike(w), false));
    }
  }

  /** One update from gradients keyed like the weights. */
  step(grads: Map<string, tf.Tensor>): void {
    this.t++;
    const { lr, weightDecay = 0 } = this.opts;
    const b1 = this.beta1, b2 = this.beta2;
    const stepSize = (lr * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t);
    tf.tidy(() => {
      for (const [name, w] of this.weights) {
        const g = grads.get(name);
        if (!g) continue;
        const m = this.m.get(name)!, v = this.v.get(name)!;
        const m1 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
        const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
        m.assign(m1);
        v.assign(v1);
        let next = tf.sub(w, tf.mul(tf.div(m1, tf.add(tf.sqrt(v1), this.epsilon)), stepSize));
        if (weightDecay > 0 && w.rank > 1) next = tf.sub(next, tf.mul(w, lr * weightDecay));
        w.assign(next);
      }
    });
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
