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
    const train: VideoRecord[] = [];
    const y: number[] = [];
    const test: number[] = [];
    clips.forEach((c, i) => {
      if (fold[i] === f) test.push(i);
      else {
        train.push(c);
        y.push(labels[i]!);
      }
    });
    if (!test.length) continue;
    const enc = fitEncoder(attrs, train);
    const w = fitSparse(encodeRows(enc, train), y, opt.l2 ?? 1);
    const row: Sparse = { col: [], val: [] };
    for (const i of test) {
      row.col.length = row.val.length = 0;
      enc.encode(clips[i]!, row);
      let z = 0;
      for (let e = 0; e < row.col.length; e++) z += w[row.col[e]!]! * row.val[e]!;
      scores[i] = sigmoid(z);
    }
  }
  return { auc: Math.max(0.5, rocAuc(scores, labels)), folds: k, scores };
}

/** One encoded row: its nonzero columns (ascending) and values. */
interface Sparse {
  col: number[];
  val: number[];
}

/** The feature encoding learnt on training clips: `dims` columns, column 0 the intercept's 1;
 * `encode` appends a clip's nonzeros to `row`. */
export interface Encoder {
  dims: number;
  encode(v: VideoRecord, row: Sparse): void;
}

/** Learns the feature encoding on the training clips only (means, stds, category lists):
 * standardised numeric attributes (with a missing-value indicator when some are unknown) and
 * one-hot categorical values. */
export function fitEncoder(attrs: readonly Attribute[], train: readonly VideoRecord[]): Encoder {
  const parts: ((v: VideoRecord, row: Sparse) => void)[] = [];
  let dims = 1;
  for (const a of attrs) {
    const at = dims;
    if (a.kind === "numeric") {
      const tf = (x: number) => (a.log ? Math.sign(x) * Math.log1p(Math.abs(x)) : x);
      let n = 0;
      let sum = 0;
      for (const v of train) {
        const x = a.get(v);
        if (x === null) continue;
        n++;
        sum += tf(x);
      }
      if (!n) continue; // unknown everywhere in training: nothing to learn
      const anyMissing = n < train.length;
      const mean = sum / n;
      let ss = 0;
      for (const v of train) {
        const x = a.get(v);
        if (x !== null) ss += (tf(x) - mean) ** 2;
      }
      const std = Math.sqrt(ss / n);
      dims += anyMissing ? 2 : 1;
      parts.push((v, row) => {
        const x = a.get(v);
        const z = x === null || std === 0 ? 0 : (tf(x) - mean) / std;
        if (z !== 0) {
          row.col.push(at);
          row.val.push(z);
        }
        if (anyMissing && x === null) {
          row.col.push(at + 1);
          row.val.push(1);
        }
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
      const index = new Map(kept.map((key, i) => [key, at + i]));
      dims += kept.length;
      parts.push((v, row) => {
        const c = index.get(a.get(v) ?? "\u0000unknown");
        if (c !== undefined) {
          row.col.push(c);
          row.val.push(1);
        }
      });
    }
  }
  return {
    dims,
    encode(v, row) {
      row.col.push(0);
      row.val.push(1);
      for (const p of parts) p(v, row);
    },
  };
}

/** Rows in CSR form: row i's nonzeros are col[ptr[i]..ptr[i + 1]), val[...]. */
interface Csr {
  dims: number;
  ptr: Int32Array;
  col: Int32Array;
  val: Float64Array;
}

function encodeRows(enc: Encoder, clips: readonly VideoRecord[]): Csr {
  const ptr = new Int32Array(clips.length + 1);
  const col: number[] = [];
  const val: number[] = [];
  const row: Sparse = { col, val };
  clips.forEach((c, i) => {
    enc.encode(c, row);
    ptr[i + 1] = col.length;
  });
  return { dims: enc.dims, ptr, col: Int32Array.from(col), val: Float64Array.from(val) };
}

/** Newton–Raphson (IRLS) for L2-regularised logistic regression on dense rows that start with the
 * 1 of the intercept. */
export function fitLogistic(X: readonly number[][], y: readonly number[], l2: number, iterations = 50): number[] {
  const col: number[] = [];
  const val: number[] = [];
  const ptr = new Int32Array(X.length + 1);
  X.forEach((x, i) => {
    x.forEach((v, j) => {
      if (v !== 0) {
        col.push(j);
        val.push(v);
      }
    });
    ptr[i + 1] = col.length;
  });
  return fitSparse({ dims: X[0]?.length ?? 1, ptr, col: Int32Array.from(col), val: Float64Array.from(val) }, y, l2, iterations);
}

/** Newton–Raphson (IRLS) for L2-regularised logistic regression (the intercept, column 0, not
 * penalised). Converges in a handful of steps; the penalty keeps separable data finite. A step
 * costs O(rows × nonzeros²): one-hot columns are mostly zero. */
function fitSparse(X: Csr, y: readonly number[], l2: number, iterations = 50): number[] {
  const { dims: d, ptr, col, val } = X;
  const rows = ptr.length - 1;
  let w = new Array<number>(d).fill(0);
  const H = new Float64Array(d * d);
  const grad = new Float64Array(d);
  for (let it = 0; it < iterations; it++) {
    H.fill(0);
    for (let r = 1; r < d; r++) {
      H[r * d + r] = l2;
      grad[r] = l2 * w[r]!;
    }
    grad[0] = 0;
    H[0] = 1e-9; // keeps the system solvable if every row is identical
    for (let i = 0; i < rows; i++) {
      const a = ptr[i]!;
      const b = ptr[i + 1]!;
      let z = 0;
      for (let e = a; e < b; e++) z += w[col[e]!]! * val[e]!;
      const p = sigmoid(z);
      const g = p - y[i]!;
      const h = Math.max(p * (1 - p), 1e-12);
      for (let e = a; e < b; e++) {
        const r = col[e]!;
        const hv = h * val[e]!;
        grad[r]! += g * val[e]!;
        // columns ascend within a row: this fills the upper triangle, mirrored below
        for (let f = e; f < b; f++) H[r * d + col[f]!]! += hv * val[f]!;
      }
    }
    const step = solve(
      Array.from({ length: d }, (_, r) => Array.from({ length: d }, (_, c) => (c >= r ? H[r * d + c]! : H[c * d + r]!))),
      Array.from(grad),
    );
    w = w.map((wj, j) => wj - step[j]!);
    if (step.every((x) => Math.abs(x) < 1e-9)) break;
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
