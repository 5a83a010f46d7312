// One small classifier over ALL source metadata together: L2-regularised logistic regression on
// standardised numeric attributes (+ missing-value indicators) and one-hot categorical values,
// fitted by Newton's method, scored by stratified k-fold cross-validated AUC. Deterministic: a
// fixed fold seed, no random init. Attributes that are harmless one by one can still add up to a
// shortcut; this number says whether they do.
import { rocAuc } from "../../src/lib/metrics.js";
import type { Attribute } from "./attributes.js";
import { stratifiedFolds } from "./folds.js";
import type { VideoRecord } from "../../src/artifacts/features.js";

export interface ClassifierOptions {
  folds: number;
  seed: number;
  /** L2 penalty on the (standardised) weights; the intercept is not penalised. */
  l2?: number;
}

export interface ClassifierResult {
  /** Out-of-fold ROC AUC, clamped at 0.5 (NaN when a class is empty). */
  auc: number;
  folds: number;
  /** Out-of-fold P(fake) per clip, in input order. */
  scores: number[];
}

/** Most frequent values one-hot encoded per categorical attribute; the rest share "other". */
const MAX_CATEGORIES = 30;

export function metadataClassifierAuc(
  attrs: readonly Attribute[],
  clips: readonly VideoRecord[],
  labels: readonly number[],
  opt: ClassifierOptions,
): ClassifierResult {
  const pos = labels.filter((y) => y === 1).length;
  if (pos === 0 || pos === labels.length) return { auc: Number.NaN, folds: 0, scores: [] };
  const { fold, k } = stratifiedFolds(labels, opt.folds, opt.seed);
  const scores = new Array<number>(clips.length).fill(0.5);
  for (let f = 0; f < k; f++) {
    const train = clips.flatMap((_, i) => (fold[i] !== f ? [i] : []));
    const test = clips.flatMap((_, i) => (fold[i] === f ? [i] : []));
    if (!test.length) continue;
    const encode = fitEncoder(attrs, train.map((i) => clips[i]!));
    const X = train.map((i) => encode(clips[i]!));
    const w = fitLogistic(X, train.map((i) => labels[i]!), opt.l2 ?? 1);
    for (const i of test) scores[i] = sigmoid(dot(w, encode(clips[i]!)));
  }
  return { auc: Math.max(0.5, rocAuc(scores, labels)), folds: k, scores };
}

/** Learns the feature encoding on the training clips only (means, stds, category lists) and
 * returns a function mapping any clip to [1 (intercept), ...features]. */
export function fitEncoder(attrs: readonly Attribute[], train: readonly VideoRecord[]): (v: VideoRecord) => number[] {
  const parts: ((v: VideoRecord) => number[])[] = [];
  for (const a of attrs) {
    if (a.kind === "numeric") {
      const tf = (x: number) => (a.log ? Math.sign(x) * Math.log1p(Math.abs(x)) : x);
      const xs = train.map((v) => a.get(v)).filter((x): x is number => x !== null).map(tf);
      const anyMissing = xs.length < train.length;
      if (!xs.length) {
        continue; // unknown everywhere in training: nothing to learn
      }
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      const std = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
      parts.push((v) => {
        const x = a.get(v);
        const z = x === null || std === 0 ? 0 : (tf(x) - mean) / std;
        return anyMissing ? [z, x === null ? 1 : 0] : [z];
      });
    } else {
      const counts = new Map<string, number>();
      for (const v of train) {
        const key = a.get(v) ?? "\u0000unknown";
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      // a value seen once in training cannot generalise; leave it out like an unseen one
      const kept = [...counts.entries()]
        .filter(([, n]) => n > 1)
        .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
        .slice(0, MAX_CATEGORIES)
        .map(([key]) => key);
      if (counts.size < 2 || !kept.length) continue; // constant in training, or all values unique
      const index = new Map(kept.map((key, i) => [key, i]));
      parts.push((v) => {
        const row = new Array<number>(kept.length).fill(0);
        const i = index.get(a.get(v) ?? "\u0000unknown");
        if (i !== undefined) row[i] = 1;
        return row;
      });
    }
  }
  return (v) => [1, ...parts.flatMap((p) => p(v))];
}

/** Newton–Raphson (IRLS) for L2-regularised logistic regression; X rows start with the 1 of the
 * intercept. Converges in a handful of steps; the penalty keeps separable data finite. */
export function fitLogistic(X: readonly number[][], y: readonly number[], l2: number, iterations = 50): number[] {
  const d = X[0]?.length ?? 1;
  let w = new Array<number>(d).fill(0);
  for (let it = 0; it < iterations; it++) {
    const grad = w.map((wj, j) => (j === 0 ? 0 : l2 * wj));
    const H = Array.from({ length: d }, (_, r) => Array.from({ length: d }, (_, c) => (r === c && r > 0 ? l2 : 0)));
    H[0]![0] = 1e-9; // keeps the system solvable if every row is identical
    X.forEach((x, i) => {
      const p = sigmoid(dot(w, x));
      const g = p - y[i]!;
      const h = Math.max(p * (1 - p), 1e-12);
      for (let r = 0; r < d; r++) {
        if (x[r] === 0) continue;
        grad[r]! += g * x[r]!;
        const Hr = H[r]!;
        for (let c = 0; c < d; c++) if (x[c] !== 0) Hr[c]! += h * x[r]! * x[c]!;
      }
    });
    const step = solve(H, grad);
    w = w.map((wj, j) => wj - step[j]!);
    if (Math.max(...step.map(Math.abs)) < 1e-9) break;
  }
  return w;
}

/** Gaussian elimination with partial pivoting; A is symmetric positive definite here. */
export function solve(A: readonly number[][], b: readonly number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r]![col]!) > Math.abs(M[piv]![col]!)) piv = r;
    [M[col], M[piv]] = [M[piv]!, M[col]!];
    const p = M[col]![col]!;
    if (Math.abs(p) < 1e-15) continue; // singular direction: leave that weight unchanged
    for (let r = col + 1; r < n; r++) {
      const factor = M[r]![col]! / p;
      if (factor === 0) continue;
      for (let c = col; c <= n; c++) M[r]![c]! -= factor * M[col]![c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    const p = M[r]![r]!;
    if (Math.abs(p) < 1e-15) continue;
    let s = M[r]![n]!;
    for (let c = r + 1; c < n; c++) s -= M[r]![c]! * x[c]!;
    x[r] = s / p;
  }
  return x;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
