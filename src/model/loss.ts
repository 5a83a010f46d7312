// Classification losses on logits (1 = fake). Focal loss (Lin et al. 2017) down-weights easy
// examples: mean(α_t · (1 − p_t)^γ · BCE); with γ = 0 it is α-weighted BCE.
import * as tf from "@tensorflow/tfjs-core";

export type LossSpec = { type: "focal"; alpha: number; gamma: number } | { type: "bce" };

/** Mean loss over the batch. logits, labels: [batch]. */
export function lossFn(spec: LossSpec, logits: tf.Tensor1D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    // numerically stable BCE with logits: max(z, 0) − z·y + log(1 + e^(−|z|))
    const bce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    if (spec.type === "bce") return tf.mean(bce) as tf.Scalar;
    const p = tf.sigmoid(logits);
    const pt = tf.add(tf.mul(labels, p), tf.mul(tf.sub(1, labels), tf.sub(1, p)));
    const alpha = tf.add(tf.mul(labels, spec.alpha), tf.mul(tf.sub(1, labels), 1 - spec.alpha));
    const focus = spec.gamma === 0 ? tf.onesLike(pt) : tf.pow(tf.sub(1, pt), spec.gamma);
    return tf.mean(tf.mul(tf.mul(alpha, focus), bce)) as tf.Scalar;
  });
}

/** Thrown by a training step whose loss is NaN or ±Inf (fit turns it into a clear error). */
export class NonFiniteLossError extends Error {
  constructor(readonly value: number) {
    super(`training loss became ${value}`);
  }
}
