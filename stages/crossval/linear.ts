// PROVISIONAL (goes when the model library's linear probe lands in main): an L2-regularised,
// class-balanced logistic regression on each feature's clip-level mean and std, standardised with
// the training clips' statistics and fitted by Newton's method. Deterministic: same clips, same
// weights.
import type { Matrix } from "../../src/lib/npy.js";

export interface LinearModel {
  mean: Float64Array;
  std: Float64Array;
  /** Coefficients; the last one is the intercept. */
  w: Float64Array;
}

/** [mean, std] of each column over the clip's frames. */
export function clipStats(m: Matrix): Float64Array {
  const out = new Float64Array(2 * m.cols);
  for (let j = 0; j < m.cols; j++) {
    let s = 0, q = 0;
    for (let r = 0; r < m.rows; r++) {
      const v = m.data[r * m.cols + j]!;
      s += v;
      q += v * v;
    }
    const mu = s / m.rows;
    out[j] = mu;
    out[m.cols + j] = Math.sqrt(Math.max(0, q / m.rows - mu * mu));
  }
  return out;
}

export function fitLinear(clips: Matrix[], labels: number[], l2: number, iterations = 50): LinearModel {
  const X = clips.map(clipStats);
  const d = X[0]!.length;
  const mean = new Float64Array(d), std = new Float64Array(d);
  for (const x of X) for (let j = 0; j < d; j++) mean[j]! += x[j]! / X.length;
  for (const x of X) for (let j = 0; j < d; j++) std[j]! += (x[j]! - mean[j]!) ** 2 / X.length;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]!) > 1e-9 ? Math.sqrt(std[j]!) : 1;
  const Z = X.map((x) => standardized(x, mean, std));
  const pos = labels.filter((l) => l === 1).length;
  const neg = labels.length - pos;
  // class-balanced: each class weighs half of the loss
  const cw = labels.map((l) => (l === 1 ? 0.5 / Math.max(1, pos) : 0.5 / Math.max(1, neg)));
  const D = d + 1;
  const w = new Float64Array(D);
  for (let it = 0; it < iterations; it++) {
    const g = new Float64Array(D);
    const H = new Float64Array(D * D);
    Z.forEach((z, i) => {
      const p = sigmoid(dot(w, z));
      const e = cw[i]! * (p - labels[i]!);
      const s = cw[i]! * p * (1 - p);
      for (let a = 0; a < D; a++) {
        const za = z[a]!;
        g[a]! += e * za;
        for (let b = 0; b <= a; b++) H[a * D + b]! += s * za * z[b]!;
      }
    });
    for (let a = 0; a < d; a++) {
      g[a]! += l2 * w[a]!;
      H[a * D + a]! += l2;
    }
    H[(D - 1) * D + D - 1]! += 1e-9;
    for (let a = 0; a < D; a++) for (let b = a + 1; b < D; b++) H[a * D + b] = H[b * D + a]!;
    const step = solveSpd(H, g, D);
    let change = 0;
    for (let a = 0; a < D; a++) {
      w[a]! -= step[a]!;
      change = Math.max(change, Math.abs(step[a]!));
    }
    if (change < 1e-8) break;
  }
  return { mean, std, w };
}

export function scoreLinear(model: LinearModel, clips: Matrix[]): number[] {
  return clips.map((m) => sigmoid(dot(model.w, standardized(clipStats(m), model.mean, model.std))));
}

/** The standardised features with a trailing 1 for the intercept. */
function standardized(x: Float64Array, mean: Float64Array, std: Float64Array): Float64Array {
  const z = new Float64Array(x.length + 1);
  for (let j = 0; j < x.length; j++) z[j] = (x[j]! - mean[j]!) / std[j]!;
  z[x.length] = 1;
  return z;
}

function dot(w: Float64Array, z: Float64Array): number {
  let s = 0;
  for (let j = 0; j < w.length; j++) s += w[j]! * z[j]!;
  return s;
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** Solves H x = g for a symmetric positive-definite H (n×n, row-major) by Cholesky. */
function solveSpd(H: Float64Array, g: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = H[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j * n + j]!;
    }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = g[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!;
    y[i] = s / L[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}
