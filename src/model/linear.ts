// The linear probe: an L2-regularised logistic regression on clip-level statistics of the
// per-frame features (per feature: mean, std, quantiles, min, max, mean absolute frame-to-frame
// change), standardised with the train set's statistics. Plain JavaScript in float64 with a fixed
// order of operations, so the same data gives the same bytes on every machine; no TensorFlow.js.
//
// Objective: Σᵢ cᵢ·logloss(yᵢ, w·xᵢ + b) + λ/2·‖w‖², with class-balanced weights cᵢ = 1 / (2·nₖ)
// (each class weighs one half, whatever the imbalance) and no penalty on the intercept b.
// Minimised by L-BFGS (memory 10) with a backtracking Armijo line search: the objective is
// strictly convex for λ > 0, so the optimum is unique and reached whatever the start.
import type { Matrix } from "../lib/npy.js";
import { rocAuc } from "../lib/metrics.js";
import type { ClipSet } from "./clips.js";
import { classCounts } from "./clips.js";
import { L2_GRID, type LinearParams, type LinearStat } from "./params.js";

/** What scoring needs: the model directory's linear.json. */
export interface LinearWeights {
  stats: LinearStat[];
  /** Per-frame feature width the statistics are taken over. */
  feature_dims: number;
  /** Standardisation of the statistics vector (train-set mean and standard deviation). */
  mean: number[];
  std: number[];
  coef: number[];
  intercept: number;
  l2: number;
}

/** The statistics vector of one clip: for each stat in order, one value per feature. */
export function clipStats(m: Matrix, stats: readonly LinearStat[], out = new Float64Array(stats.length * m.cols)): Float64Array {
  const { rows, cols, data } = m;
  const col = new Float64Array(rows);
  for (let j = 0; j < cols; j++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += col[r] = data[r * cols + j]!;
    const mean = sum / rows;
    let sorted: Float64Array | undefined;
    const q = (p: number): number => {
      sorted ??= col.slice().sort();
      const pos = (rows - 1) * p;
      const lo = Math.floor(pos), hi = Math.ceil(pos);
      return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
    };
    stats.forEach((s, k) => {
      let v: number;
      switch (s) {
        case "mean": v = mean; break;
        case "std": {
          let ss = 0;
          for (let r = 0; r < rows; r++) ss += (col[r]! - mean) ** 2;
          v = Math.sqrt(ss / rows);
          break;
        }
        case "q10": v = q(0.1); break;
        case "q50": v = q(0.5); break;
        case "q90": v = q(0.9); break;
        case "min": v = q(0); break;
        case "max": v = q(1); break;
        case "diff": {
          let d = 0;
          for (let r = 1; r < rows; r++) d += Math.abs(col[r]! - col[r - 1]!);
          v = rows > 1 ? d / (rows - 1) : 0;
          break;
        }
      }
      out[k * cols + j] = v;
    });
  }
  return out;
}

/** The logit of a statistics vector (unstandardised, as clipStats gives it). */
export function linearLogit(w: LinearWeights, stats: ArrayLike<number>): number {
  let z = w.intercept;
  for (let k = 0; k < w.coef.length; k++) z += w.coef[k]! * ((stats[k]! - w.mean[k]!) / w.std[k]!);
  return z;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** log(1 + e^a) without overflow. */
function softplus(a: number): number {
  return a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a));
}

/** P(fake) of one clip. */
export function scoreLinear(w: LinearWeights, m: Matrix): number {
  if (m.cols !== w.feature_dims) throw new Error(`features have ${m.cols} dims, the model was trained on ${w.feature_dims}`);
  return sigmoid(linearLogit(w, clipStats(m, w.stats)));
}

/** Class-balanced mean log-loss of logits (each class weighs one half). */
export function balancedLogLoss(logits: ArrayLike<number>, labels: readonly number[]): number {
  const { real, fake } = classCounts(labels);
  let loss = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    const c = 1 / (2 * (y === 1 ? fake : real));
    loss += c * softplus(y === 1 ? -logits[i]! : logits[i]!);
  }
  return loss;
}

/** n × p design matrix, row-major (float32 to halve memory: 100 000 clips × 1 536 statistics is 614 MB). */
interface Design {
  x: Float32Array;
  n: number;
  p: number;
  y: readonly number[];
  /** Per-row loss weight (class-balanced). */
  c: Float64Array;
}

export interface LogisticFit {
  /** [w (p), b]. */
  theta: Float64Array;
  iterations: number;
  converged: boolean;
  /** Penalised objective at the optimum. */
  objective: number;
}

/** Objective and gradient at theta = [w, b]. */
function objective(d: Design, l2: number, theta: Float64Array, grad: Float64Array): number {
  const { x, n, p, y, c } = d;
  grad.fill(0);
  let f = 0;
  for (let i = 0; i < n; i++) {
    let z = theta[p]!;
    const row = i * p;
    for (let k = 0; k < p; k++) z += theta[k]! * x[row + k]!;
    const yi = y[i]!;
    f += c[i]! * softplus(yi === 1 ? -z : z);
    const r = c[i]! * (sigmoid(z) - yi);
    for (let k = 0; k < p; k++) grad[k]! += r * x[row + k]!;
    grad[p]! += r;
  }
  for (let k = 0; k < p; k++) {
    f += 0.5 * l2 * theta[k]! ** 2;
    grad[k]! += l2 * theta[k]!;
  }
  return f;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** L-BFGS from `start` (zeros when absent). Deterministic: plain loops in a fixed order. */
export function fitLogistic(d: Design, l2: number, maxIter: number, start?: Float64Array, signal?: AbortSignal): LogisticFit {
  const dim = d.p + 1;
  const M = 10;
  const theta = start ? start.slice() : new Float64Array(dim);
  const g = new Float64Array(dim);
  let f = objective(d, l2, theta, g);
  const S: Float64Array[] = [], Y: Float64Array[] = [], R: number[] = [];
  const next = new Float64Array(dim), gNext = new Float64Array(dim), dir = new Float64Array(dim);
  const alpha = new Float64Array(M);
  const gmax = () => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let it = 0;
  let converged = gmax() <= 1e-7;
  while (!converged && it < maxIter) {
    signal?.throwIfAborted();
    it++;
    // two-loop recursion: dir = −H·g
    dir.set(g);
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = R[k]! * dot(S[k]!, dir);
      const yk = Y[k]!;
      for (let i = 0; i < dim; i++) dir[i]! -= alpha[k]! * yk[i]!;
    }
    const gamma = S.length ? dot(S.at(-1)!, Y.at(-1)!) / dot(Y.at(-1)!, Y.at(-1)!) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let i = 0; i < dim; i++) dir[i]! *= gamma;
    for (let k = 0; k < S.length; k++) {
      const beta = R[k]! * dot(Y[k]!, dir);
      const sk = S[k]!;
      for (let i = 0; i < dim; i++) dir[i]! += (alpha[k]! - beta) * sk[i]!;
    }
    for (let i = 0; i < dim; i++) dir[i] = -dir[i]!;
    let slope = dot(g, dir);
    if (!(slope < 0)) {
      // not a descent direction (numerical trouble): restart from steepest descent
      S.length = Y.length = R.length = 0;
      for (let i = 0; i < dim; i++) dir[i] = -g[i]! / Math.max(1, Math.sqrt(dot(g, g)));
      slope = dot(g, dir);
    }
    // backtracking Armijo line search
    let t = 1, fNext = Infinity;
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < dim; i++) next[i] = theta[i]! + t * dir[i]!;
      fNext = objective(d, l2, next, gNext);
      if (fNext <= f + 1e-4 * t * slope) break;
      t *= 0.5;
    }
    if (!(fNext < f)) {
      converged = true; // no further decrease representable: at the optimum to float precision
      break;
    }
    const s = new Float64Array(dim), y = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      s[i] = next[i]! - theta[i]!;
      y[i] = gNext[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      if (S.length === M) {
        S.shift();
        Y.shift();
        R.shift();
      }
      S.push(s);
      Y.push(y);
      R.push(1 / sy);
    }
    const decrease = f - fNext;
    theta.set(next);
    g.set(gNext);
    f = fNext;
    converged = gmax() <= 1e-7 || decrease <= 1e-14 * Math.max(1, Math.abs(f));
  }
  return { theta, iterations: it, converged, objective: f };
}

export interface LinearFitRecord {
  l2: number;
  val_loss: number | null;
  val_auc: number | null;
  iterations: number;
  converged: boolean;
}

export interface LinearFitResult {
  weights: LinearWeights;
  /** Every λ tried (one row when l2 is fixed), in the order fitted. */
  fits: LinearFitRecord[];
  /** How l2 was chosen: "param" or "val-loss". */
  l2Source: "param" | "val-loss" | "default-no-val";
  train_loss: number;
  /** P(fake) of each val clip with the kept weights (computed as the detector scores them). */
  valScores: number[];
  features: number;
}

/** Fits the probe. Reads every train clip once (statistics into an n × p float32 design matrix)
 * and every val clip once (statistics kept in float64, scored exactly as the detector will). */
export function fitLinear(p: LinearParams, train: ClipSet, val: ClipSet | undefined, opts: { signal?: AbortSignal; progress?(done: number, total: number, note: string): void } = {}): LinearFitResult {
  const n = train.ids.length;
  if (n === 0) throw new Error("no training clips");
  const stats = [...p.stats];
  if (!stats.length) throw new Error("linear.stats is empty: list at least one statistic");
  const first = train.read(0);
  const dims = first.cols;
  const P = stats.length * dims;
  const x = new Float32Array(n * P);
  const sum = new Float64Array(P), sumSq = new Float64Array(P);
  const row = new Float64Array(P);
  const total = n + (val?.ids.length ?? 0);
  for (let i = 0; i < n; i++) {
    if (i % 256 === 0) opts.signal?.throwIfAborted();
    const m = i === 0 ? first : train.read(i);
    if (m.cols !== dims) throw new Error(`train clip ${train.ids[i]}: ${m.cols} feature dims, clip ${train.ids[0]} has ${dims}`);
    clipStats(m, stats, row);
    for (let k = 0; k < P; k++) {
      x[i * P + k] = row[k]!;
      sum[k]! += row[k]!;
      sumSq[k]! += row[k]! * row[k]!;
    }
    if ((i + 1) % 1000 === 0) opts.progress?.(i + 1, total, "clips read");
  }
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sumSq, (s, k) => {
    const sd = Math.sqrt(Math.max(0, s / n - mean[k]! ** 2));
    // a statistic constant over the train set carries nothing: leave it unscaled (it standardises to ~0)
    return sd < 1e-9 * Math.max(1, Math.abs(mean[k]!)) ? 1 : sd;
  });
  for (let i = 0; i < n; i++) for (let k = 0; k < P; k++) x[i * P + k] = (x[i * P + k]! - mean[k]!) / std[k]!;
  const { real, fake } = classCounts(train.labels);
  if (!real || !fake) throw new Error(`the train split needs both real and fake clips (has ${real} real, ${fake} fake)`);
  const c = Float64Array.from(train.labels, (y) => 1 / (2 * (y === 1 ? fake : real)));
  const design: Design = { x, n, p: P, y: train.labels, c };

  // val statistics, float64, unstandardised (linearLogit standardises, as the detector does)
  const valStats: Float64Array[] = [];
  for (let i = 0; i < (val?.ids.length ?? 0); i++) {
    const m = val!.read(i);
    if (m.cols !== dims) throw new Error(`val clip ${val!.ids[i]}: ${m.cols} feature dims, the train clips have ${dims}`);
    valStats.push(clipStats(m, stats));
  }
  opts.progress?.(total, total, "clips read");
  const valLabels = val?.labels ?? [];
  const vc = classCounts(valLabels);
  const weightsOf = (theta: Float64Array, l2: number): LinearWeights => ({
    stats, feature_dims: dims, mean, std, coef: Array.from(theta.subarray(0, P)), intercept: theta[P]!, l2,
  });
  const evalVal = (w: LinearWeights) => {
    const logits = valStats.map((s) => linearLogit(w, s));
    const both = vc.real > 0 && vc.fake > 0;
    const auc = both ? rocAuc(logits, valLabels) : Number.NaN;
    return { logits, loss: both ? balancedLogLoss(logits, valLabels) : null, auc: Number.isFinite(auc) ? auc : null };
  };

  const fits: LinearFitRecord[] = [];
  let chosen: { w: LinearWeights; loss: number | null; fit: LogisticFit } | undefined;
  let l2Source: LinearFitResult["l2Source"] = "param";
  if (p.l2 !== null) {
    const fit = fitLogistic(design, p.l2, p.max_iter, undefined, opts.signal);
    const w = weightsOf(fit.theta, p.l2);
    const ev = evalVal(w);
    fits.push({ l2: p.l2, val_loss: ev.loss, val_auc: ev.auc, iterations: fit.iterations, converged: fit.converged });
    chosen = { w, loss: ev.loss, fit };
  } else if (!(vc.real > 0 && vc.fake > 0)) {
    l2Source = "default-no-val";
    const l2 = 0.1;
    const fit = fitLogistic(design, l2, p.max_iter, undefined, opts.signal);
    const w = weightsOf(fit.theta, l2);
    fits.push({ l2, val_loss: null, val_auc: null, iterations: fit.iterations, converged: fit.converged });
    chosen = { w, loss: null, fit };
  } else {
    l2Source = "val-loss";
    // strongest penalty first, each fit warm-started from the previous (the path is smooth);
    // the lowest validation loss wins, ties going to the stronger penalty
    let start: Float64Array | undefined;
    for (const l2 of [...L2_GRID].reverse()) {
      const fit = fitLogistic(design, l2, p.max_iter, start, opts.signal);
      start = fit.theta;
      const w = weightsOf(fit.theta, l2);
      const ev = evalVal(w);
      fits.push({ l2, val_loss: ev.loss, val_auc: ev.auc, iterations: fit.iterations, converged: fit.converged });
      if (!chosen || ev.loss! < chosen.loss!) chosen = { w, loss: ev.loss, fit };
    }
  }
  const w = chosen!.w;
  const trainLogits = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = w.intercept;
    for (let k = 0; k < P; k++) z += w.coef[k]! * x[i * P + k]!;
    trainLogits[i] = z;
  }
  return {
    weights: w,
    fits,
    l2Source,
    train_loss: balancedLogLoss(trainLogits, train.labels),
    valScores: evalVal(w).logits.map(sigmoid),
    features: P,
  };
}
