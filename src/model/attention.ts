// Multi-head self-attention core, softmax(Q·Kᵀ/√d_h + mask)·V, with a hand-written backward pass.
//
// Layout is chosen for the wasm backend: the per-(batch, head) products are 64×64 blocks, which
// tfjs's batched matMul runs at ~2 GFLOP/s on a generic loop. Expressed as one grouped product
// per step (groupedMatMul: a depthwise convolution on XNNPACK) they run ~4× faster, and the
// scores come out as [query, batch, head, key] so softmax and the key mask apply on the last
// axis without another transpose. Every product below is "x [m, k, G] · f [k, G, n]" with
// G = batch·heads; the comments name the index order of each operand.
import * as tf from "@tensorflow/tfjs-core";
import { custom, groupedMatMul } from "./ops.js";

export interface AttentionShape {
  batch: number;
  seq: number;
  heads: number;
  headDim: number;
}

/** q, k, v: [batch·seq, heads·headDim]. keyMask: additive mask [1, batch, 1, seq] (0 for real
 * frames, -1e9 for padding). dropMask: optional [seq, batch, heads, seq] multiplier on the
 * attention probabilities (dropout). Returns [batch·seq, heads·headDim]. */
export function selfAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, keyMask: tf.Tensor, s: AttentionShape,
  dropMask?: tf.Tensor): tf.Tensor2D {
  const { batch: B, seq: T, heads: H, headDim: D } = s;
  const G = B * H;
  const scale = 1 / Math.sqrt(D);
  const as4 = (t: tf.Tensor) => tf.reshape(t, [B, T, H, D]);
  // [i|j, G, k] result of a grouped product → [batch·seq, heads·headDim]
  const back = (t: tf.Tensor): tf.Tensor2D => tf.reshape(tf.transpose(tf.reshape(t, [T, B, H, D]), [1, 0, 2, 3]), [B * T, H * D]) as tf.Tensor2D;
  const f = custom<tf.Tensor2D>(([q, k, v], save) => {
    const q4 = as4(q!), k4 = as4(k!), v4 = as4(v!);
    // scores[i, b, h, j] = Σ_d Q[b, i, h, d] · K[b, j, h, d]
    const scores = groupedMatMul(tf.transpose(q4, [1, 3, 0, 2]), tf.transpose(k4, [3, 0, 2, 1]), T, D, G, T);
    const probs = tf.softmax(tf.add(tf.mul(tf.reshape(scores, [T, B, H, T]), scale), keyMask));
    const used = dropMask ? tf.mul(probs, dropMask) : probs;
    // out[b, i, h, d] = Σ_j P[i, b, h, j] · V[b, j, h, d]
    const out = groupedMatMul(tf.transpose(used, [0, 3, 1, 2]), tf.transpose(v4, [1, 0, 2, 3]), T, T, G, D);
    // closure tensors do not survive the forward pass's tidy unless saved
    save(dropMask ? [q4, k4, v4, probs, used, dropMask] : [q4, k4, v4, probs, used]);
    return {
      value: back(out),
      gradFunc: (dy, [q4, k4, v4, probs, used, dropMask]) => {
        const dy4 = as4(dy);
        const dyT = tf.transpose(dy4, [1, 0, 2, 3]); // [i, b, h, d]
        // dUsed[i, b, h, j] = Σ_d dY[b, i, h, d] · V[b, j, h, d]
        let dP = tf.reshape(groupedMatMul(tf.transpose(dy4, [1, 3, 0, 2]), tf.transpose(v4!, [3, 0, 2, 1]), T, D, G, T), [T, B, H, T]);
        if (dropMask) dP = tf.mul(dP, dropMask);
        // dV[b, j, h, d] = Σ_i Used[i, b, h, j] · dY[b, i, h, d]
        const dv = back(groupedMatMul(tf.transpose(used!, [3, 0, 1, 2]), dyT, T, T, G, D));
        // softmax backward, then the 1/√d scale
        const dS = tf.mul(tf.mul(probs!, tf.sub(dP, tf.sum(tf.mul(dP, probs!), -1, true))), scale);
        // dQ[b, i, h, d] = Σ_j dS[i, b, h, j] · K[b, j, h, d]
        const dq = back(groupedMatMul(tf.transpose(dS, [0, 3, 1, 2]), tf.transpose(k4!, [1, 0, 2, 3]), T, T, G, D));
        // dK[b, j, h, d] = Σ_i dS[i, b, h, j] · Q[b, i, h, d]
        const dk = back(groupedMatMul(tf.transpose(dS, [3, 0, 1, 2]), tf.transpose(q4!, [1, 0, 2, 3]), T, T, G, D));
        return [dq, dk, dv];
      },
    };
  });
  return f(q, k, v);
}

/** Additive key mask [1, batch, 1, seq] from a 0/1 frame mask [batch, seq] (1 = real frame). */
export function keyMaskFrom(mask: tf.Tensor2D): tf.Tensor4D {
  const [B, T] = mask.shape;
  return tf.reshape(tf.mul(tf.sub(1, mask), -1e9), [1, B, 1, T]);
}
