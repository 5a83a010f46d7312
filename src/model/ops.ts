// Building blocks with hand-written gradients (tf.customGrad). Why: tfjs's own matMul gradient
// multiplies with the transposeA/transposeB flags, which the wasm backend runs on a slow generic
// loop (6–13× slower than XNNPACK); here every product is a plain 2-D matMul on explicitly
// transposed operands. LayerNorm and GELU get closed-form backward passes, a handful of
// elementwise ops instead of the tape's dozens.
import * as tf from "@tensorflow/tfjs-core";

type Save = (tensors: tf.Tensor[]) => void;
type GradFn<T extends tf.Tensor> = (dy: T, saved: tf.Tensor[]) => tf.Tensor[];

/** Typed wrapper around tf.customGrad: `f(inputs, save)` returns the value and its gradient. */
export function custom<T extends tf.Tensor>(
  f: (inputs: tf.Tensor[], save: Save) => { value: T; gradFunc: GradFn<T> },
): (...inputs: tf.Tensor[]) => T {
  return tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as Save;
    return f(args as tf.Tensor[], save);
  }) as unknown as Parameters<typeof tf.customGrad<T>>[0]);
}

/** Transpose of a 2-D tensor. On wasm the 2-D transpose kernel is ~3× slower than the 4-D one,
 * and a [m, n] transpose is also [2, m/2, 2, n/2] → perm [2, 3, 0, 1] (same elements, same order). */
export function transpose2d(x: tf.Tensor2D): tf.Tensor2D {
  const [m, n] = x.shape;
  if (m % 2 || n % 2 || tf.getBackend() !== "wasm") return tf.transpose(x);
  return tf.reshape(tf.transpose(tf.reshape(x, [2, m / 2, 2, n / 2]), [2, 3, 0, 1]), [n, m]);
}

/** Column sums of a 2-D tensor: [m, n] → [n]. wasm's reduction over axis 0 transposes with its
 * slow 2-D kernel first; transposing ourselves and summing rows is ~4× faster. */
export function colSum(x: tf.Tensor2D): tf.Tensor1D {
  return tf.getBackend() === "wasm" ? tf.sum(transpose2d(x), 1) : tf.sum(x, 0);
}

// Saving a tensor for the backward pass copies it (the engine clones saved tensors; on wasm a real
// copy). Weights are variables, which outlive the step unchanged, so they are used from the
// closure instead of saved; only activations are saved.

/** y = x·W + b with the backward pass on plain matMuls. W must outlive the step (a variable). */
export const dense = custom<tf.Tensor2D>(([x, w, b], save) => {
  save([x!]);
  return {
    value: tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b!),
    gradFunc: (dy, [x]) => [
      tf.matMul(dy, transpose2d(w as tf.Tensor2D)),
      tf.matMul(transpose2d(x as tf.Tensor2D), dy),
      colSum(dy),
    ],
  };
}) as (x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;

/** dense() for a layer whose input needs no gradient (the input projection): skips dx. */
export function denseNoInputGrad(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  const f = custom<tf.Tensor2D>(([w, b], save) => {
    save([x]); // a closure tensor does not survive the forward pass's tidy unless saved
    return {
      value: tf.add(tf.matMul(x, w as tf.Tensor2D), b!),
      gradFunc: (dy, [x]) => [tf.matMul(transpose2d(x as tf.Tensor2D), dy), colSum(dy)],
    };
  });
  return f(w, b);
}

const LN_EPS = 1e-5;

/** LayerNorm over the last axis of [m, d], with γ and β of shape [d] (γ must outlive the step). */
export const layerNorm = custom<tf.Tensor2D>(([x, g, b], save) => {
  const mu = tf.mean(x!, 1, true);
  const xc = tf.sub(x!, mu);
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), 1, true), LN_EPS));
  const xhat = tf.mul(xc, rstd);
  save([xhat, rstd]);
  return {
    value: tf.add(tf.mul(xhat, g!), b!) as tf.Tensor2D,
    gradFunc: (dy, [xhat, rstd]) => {
      const dxhat = tf.mul(dy, g!);
      // dx = rstd · (dxhat − mean(dxhat) − xhat · mean(dxhat ⊙ xhat))
      const dx = tf.mul(rstd!, tf.sub(tf.sub(dxhat, tf.mean(dxhat, 1, true)), tf.mul(xhat!, tf.mean(tf.mul(dxhat, xhat!), 1, true))));
      return [dx, colSum(tf.mul(dy, xhat!) as tf.Tensor2D), colSum(dy)];
    },
  };
}) as (x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;

// GELU, tanh approximation (BERT/GPT-2): 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), computed as
// x·σ(2√(2/π)(x + 0.044715x³)) — the same function, since 0.5(1 + tanh(z)) = σ(2z). On wasm,
// sigmoid is an XNNPACK kernel ~11× faster than erf or tanh. Max |difference| to the exact
// erf-based GELU: 3e-4 (documented in docs/model.md).
const G1 = 2 * Math.sqrt(2 / Math.PI);
const G3 = G1 * 0.044715;
export const gelu = custom<tf.Tensor>(([x], save) => {
  const x2 = tf.square(x!);
  const u = tf.mul(x!, tf.add(tf.mul(x2, G3), G1));
  const s = tf.sigmoid(u);
  save([x!, x2, s]);
  return {
    value: tf.mul(x!, s),
    gradFunc: (dy, [x, x2, s]) => {
      // d/dx x·σ(u) = σ + x·σ(1−σ)·u',  u' = G1 + 3·G3·x²
      const du = tf.add(tf.mul(x2!, 3 * G3), G1);
      const sp = tf.mul(s!, tf.sub(1, s!));
      return [tf.mul(dy, tf.add(s!, tf.mul(tf.mul(x!, sp), du)))];
    },
  };
});

/** Exact GELU (erf), for tests that bound the approximation error. */
export function geluExact(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/** Batched product of G independent matrices in a layout the wasm backend runs fast:
 *  x [m, k, G] (as [1, m, k, G]) and f [k, G, n] → [m, G, n], out[i, g, j] = Σ_t x[i, t, g]·f[t, g, j].
 *  On wasm this is one depthwise convolution (XNNPACK, ~4× faster than its batched matMul, which
 *  runs a generic loop); elsewhere it is a batched matMul between transposes. */
export function groupedMatMul(x: tf.Tensor, f: tf.Tensor, m: number, k: number, g: number, n: number): tf.Tensor3D {
  if (tf.getBackend() === "wasm") {
    const y = tf.depthwiseConv2d(tf.reshape(x, [1, m, k, g]) as tf.Tensor4D, tf.reshape(f, [1, k, g, n]) as tf.Tensor4D, 1, "valid");
    return tf.reshape(y, [m, g, n]);
  }
  const a = tf.transpose(tf.reshape(x, [m, k, g]), [2, 0, 1]) as tf.Tensor3D;
  const b = tf.transpose(tf.reshape(f, [k, g, n]), [1, 0, 2]) as tf.Tensor3D;
  return tf.transpose(tf.matMul(a, b), [1, 0, 2]) as tf.Tensor3D;
}
