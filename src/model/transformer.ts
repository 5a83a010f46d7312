// The detector network (the researcher's model): input projection → + sinusoidal positions →
// N pre-norm encoder layers (multi-head self-attention, GELU feed-forward, dropout) → final
// LayerNorm → attention or mean pooling over the real frames → one logit.
//
// The residual stream is kept as one 2-D [batch·seq, d_model] tensor so every projection is a
// single large matMul (the shape XNNPACK runs fastest).
import * as tf from "@tensorflow/tfjs-core";
import { keyMaskFrom, selfAttention } from "./attention.js";
import type { ModelConfig } from "./config.js";
import type { DropoutSource } from "./dropout.js";
import { dense, denseNoInputGrad, gelu, layerNorm } from "./ops.js";
import { get, type Weights } from "./weights.js";

export interface ForwardOptions {
  /** Dropout source while training; absent = evaluation (no dropout). */
  dropout?: DropoutSource;
}

export interface ForwardResult {
  /** [batch] logits; sigmoid gives P(fake). */
  logits: tf.Tensor1D;
  /** [batch, seq] pooling weights: sum to 1 over real frames, 0 on padding. */
  pool: tf.Tensor2D;
}

/** x: [batch, seq, inputDims] standardised features; mask: [batch, seq], 1 = real frame. */
export function forward(w: Weights, c: ModelConfig, x: tf.Tensor3D, mask: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
  const [B, T, F] = x.shape;
  if (F !== c.inputDims) throw new Error(`model: input has ${F} feature dims, the model expects ${c.inputDims}`);
  const d = c.dModel;
  const N = B * T;
  const drop = (t: tf.Tensor2D): tf.Tensor2D => {
    const m = opts.dropout?.mask(t.shape);
    return m ? tf.mul(t, m) : t;
  };
  const p = (name: string) => get(w, name);

  let h = denseNoInputGrad(tf.reshape(x, [N, F]), p("input/kernel"), p("input/bias"));
  h = tf.reshape(tf.add(tf.reshape(h, [B, T, d]), positionalEncoding(T, d)), [N, d]);
  const keyMask = keyMaskFrom(mask);
  const shape = { batch: B, seq: T, heads: c.heads, headDim: d / c.heads };
  for (let l = 0; l < c.layers; l++) {
    const L = `layer${l}`;
    const a = layerNorm(h, p(`${L}/norm1/gamma`), p(`${L}/norm1/beta`));
    const q = dense(a, p(`${L}/query/kernel`), p(`${L}/query/bias`));
    const k = dense(a, p(`${L}/key/kernel`), p(`${L}/key/bias`));
    const v = dense(a, p(`${L}/value/kernel`), p(`${L}/value/bias`));
    const att = selfAttention(q, k, v, keyMask, shape, opts.dropout?.mask([T, B, c.heads, T]));
    h = tf.add(h, drop(dense(att, p(`${L}/out/kernel`), p(`${L}/out/bias`))));
    const b = layerNorm(h, p(`${L}/norm2/gamma`), p(`${L}/norm2/beta`));
    const f = drop(gelu(dense(b, p(`${L}/ff1/kernel`), p(`${L}/ff1/bias`))) as tf.Tensor2D);
    h = tf.add(h, drop(dense(f, p(`${L}/ff2/kernel`), p(`${L}/ff2/bias`))));
  }
  h = layerNorm(h, p("final_norm/gamma"), p("final_norm/beta"));

  let pool: tf.Tensor2D;
  if (c.pooling === "attention") {
    const scores = tf.reshape(dense(h, p("pool_query/kernel"), p("pool_query/bias")), [B, T]);
    pool = tf.softmax(tf.add(scores, tf.mul(tf.sub(1, mask), -1e9))) as tf.Tensor2D;
  } else {
    pool = tf.div(mask, tf.sum(mask, 1, true));
  }
  // pooled[b] = Σ_t pool[b, t] · h[b, t], as [B, 1, T]·[B, T, d] (a reduction over the middle axis
  // would make wasm transpose the whole [B, T, d] tensor first)
  const pooled = tf.reshape(tf.matMul(tf.reshape(pool, [B, 1, T]), tf.reshape(h, [B, T, d])), [B, d]) as tf.Tensor2D;
  const logits = tf.reshape(dense(pooled, p("head/kernel"), p("head/bias")), [B]) as tf.Tensor1D;
  return { logits, pool };
}

/** Fixed sinusoidal positional encoding [seq, d]: PE[p, 2i] = sin(p·10000^(−2i/d)),
 * PE[p, 2i+1] = cos(p·10000^(−2i/d)). */
export function sinusoidal(seq: number, d: number): Float32Array {
  const pe = new Float32Array(seq * d);
  for (let pos = 0; pos < seq; pos++)
    for (let i = 0; i < d; i += 2) {
      const angle = pos * Math.exp((-i * Math.log(10000)) / d);
      pe[pos * d + i] = Math.sin(angle);
      if (i + 1 < d) pe[pos * d + i + 1] = Math.cos(angle);
    }
  return pe;
}

const peCache = new Map<string, tf.Tensor2D>();
function positionalEncoding(seq: number, d: number): tf.Tensor2D {
  const key = `${tf.getBackend()}:${seq}x${d}`;
  let pe = peCache.get(key);
  if (!pe || pe.isDisposed) {
    pe = tf.keep(tf.tensor2d(sinusoidal(seq, d), [seq, d]));
    peCache.set(key, pe);
  }
  return pe;
}
