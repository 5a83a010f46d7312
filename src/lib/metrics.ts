// Binary-classification metrics shared by diagnose (metadata-shortcut AUCs) and evaluate.
// Labels: 1 = positive (fake), 0 = negative (real). Scores: higher = more positive.
import { mulberry32 } from "./random.js";

/** ROC-AUC by ranks (Mann–Whitney U): the probability that a random positive scores above a random
 * negative, ties counting one half. NaN when either class is empty. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new Error(`rocAuc: ${n} scores but ${labels.length} labels`);
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const midRank = (i + j) / 2 + 1; // average 1-based rank of the tie group
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]!] === 1) {
        pos++;
        rankSumPos += midRank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** AUC oriented so that 0.5 = useless and 1.0 = perfect separation, whichever direction. */
export function separationAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const auc = rocAuc(scores, labels);
  return Number.isNaN(auc) ? auc : Math.max(auc, 1 - auc);
}

export interface CurvePoint {
  threshold: number;
  fpr: number;
  tpr: number;
  precision: number;
  recall: number;
}

/** One point per distinct score (descending thresholds), starting at (0,0). */
export function curves(scores: ArrayLike<number>, labels: ArrayLike<number>): CurvePoint[] {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let P = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) P++;
  const N = n - P;
  const pts: CurvePoint[] = [{ threshold: Number.POSITIVE_INFINITY, fpr: 0, tpr: 0, precision: 1, recall: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; ) {
    const s = scores[idx[i]!]!;
    while (i < n && scores[idx[i]!] === s) {
      if (labels[idx[i]!] === 1) tp++;
      else fp++;
      i++;
    }
    pts.push({
      threshold: s,
      fpr: N ? fp / N : 0,
      tpr: P ? tp / P : 0,
      precision: tp + fp ? tp / (tp + fp) : 1,
      recall: P ? tp / P : 0,
    });
  }
  return pts;
}

/** Average precision (area under the PR curve, step-wise as scikit-learn computes it). */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const pts = curves(scores, labels);
  let P = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) P++;
  if (P === 0) return Number.NaN;
  let ap = 0;
  for (let i = 1; i < pts.length; i++) ap += (pts[i]!.recall - pts[i - 1]!.recall) * pts[i]!.precision;
  return ap;
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface ThresholdMetrics {
  threshold: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  confusion: Confusion;
}

/** Predicts positive when score >= threshold. Precision/recall/F1 are 0 where undefined. */
export function atThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): ThresholdMetrics {
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < scores.length; i++) {
    const p = scores[i]! >= threshold;
    const y = labels[i] === 1;
    if (p && y) c.tp++;
    else if (p) c.fp++;
    else if (y) c.fn++;
    else c.tn++;
  }
  const n = scores.length;
  const precision = c.tp + c.fp ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn ? c.tp / (c.tp + c.fn) : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { threshold, accuracy: n ? (c.tp + c.tn) / n : Number.NaN, precision, recall, f1, confusion: c };
}

/** The threshold (one of the scores) that maximises F1; ties go to the higher threshold. */
export function f1OptimalThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let best = 0.5;
  let bestF1 = -1;
  const distinct = Array.from(new Set(Array.from(scores))).sort((a, b) => b - a);
  for (const t of distinct) {
    const { f1 } = atThreshold(scores, labels, t);
    if (f1 > bestF1) {
      bestF1 = f1;
      best = t;
    }
  }
  return best;
}

/** Percentile 95 % interval of the ROC-AUC over `rounds` stratified bootstrap resamples (each class
 * resampled within itself, so every resample has both classes and a defined AUC). Seeded: the same
 * inputs and seed give the same interval.
 *
 * A resample is a multiset, so it is drawn as per-clip counts and its AUC (Mann–Whitney, ties one
 * half) computed by one sweep over the clips sorted once: O(n) per round instead of a sort. */
export function bootstrapAucCi(scores: readonly number[], labels: readonly number[], rounds: number, seed: number): [number, number] | null {
  const aucs = bootstrapAucs(scores, labels, rounds, seed);
  if (!aucs) return null;
  aucs.sort((a, b) => a - b);
  return [quantile(aucs, 0.025), quantile(aucs, 0.975)];
}

/** The ROC-AUC of each of `rounds` stratified bootstrap resamples, in draw order (null when a
 * class is empty): for intervals of quantities built from several AUCs (a mean over folds). */
export function bootstrapAucs(scores: readonly number[], labels: readonly number[], rounds: number, seed: number): number[] | null {
  const posIdx: number[] = [];
  const negIdx: number[] = [];
  labels.forEach((l, i) => (l === 1 ? posIdx : negIdx).push(i));
  const P = posIdx.length;
  const N = negIdx.length;
  if (!P || !N || rounds < 1) return null;
  // clips sorted by score, cut into groups of equal score
  const order = Array.from(scores.keys()).sort((a, b) => scores[a]! - scores[b]!);
  const groupEnd: number[] = [];
  for (let i = 1; i <= order.length; i++) if (i === order.length || scores[order[i]!] !== scores[order[i - 1]!]) groupEnd.push(i);
  const rand = mulberry32(seed);
  const count = new Float64Array(scores.length);
  const aucs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    count.fill(0);
    for (let i = 0; i < P; i++) count[posIdx[Math.floor(rand() * P)]!]!++;
    for (let i = 0; i < N; i++) count[negIdx[Math.floor(rand() * N)]!]!++;
    let negBelow = 0;
    let wins = 0;
    let k = 0;
    for (const end of groupEnd) {
      let pos = 0;
      let neg = 0;
      for (; k < end; k++) {
        const c = count[order[k]!]!;
        if (labels[order[k]!] === 1) pos += c;
        else neg += c;
      }
      wins += pos * (negBelow + neg / 2);
      negBelow += neg;
    }
    aucs.push(wins / (P * N));
  }
  return aucs;
}

/** Linear-interpolated quantile of a sorted array (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
