// Binary-classification metrics shared by diagnose (metadata-shortcut AUCs), evaluate, crossval
// and the report.
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

// ---------------------------------------------------------------------------------------------
// One split's scores and labels → the numbers in evaluate's metrics.json (and crossval's). JSON
// has no NaN: every undefined quantity (AUC of a one-class set, recall of a class with no clips)
// is `null` here, with a `notes` line saying why, never NaN and never a crash.

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Metrics of one split at one decision threshold (predict fake when score >= threshold). */
export interface ThresholdReport {
  threshold: number;
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Recall of the real class (true-negative rate). */
  specificity: number | null;
  confusion: Confusion;
}

export interface SetMetrics {
  n: number;
  real: number;
  fake: number;
  /** ROC-AUC; null when the set lacks one of the classes. */
  auc: number | null;
  /** Seeded stratified-bootstrap 95 % interval of the AUC, when asked for and defined. */
  auc_ci95: [number, number] | null;
  /** Average precision (area under the PR curve); null without fakes. */
  pr_auc: number | null;
  /** At the threshold chosen on val (the model's dfd.json threshold). */
  at_threshold: ThresholdReport;
  /** At 0.5, the threshold a reader assumes without being told. */
  at_0_5: ThresholdReport;
  /** Mean score per class: how far apart the model pushes them. */
  mean_score: { real: number | null; fake: number | null };
  per_source: Record<string, SourceStats>;
  /** AUC within content groups; null when no clip has a group. */
  per_group: GroupMetrics | null;
  /** Why some numbers are null, in words. */
  notes: string[];
}

/** One source (generator / camera set) within a split, at the chosen threshold. */
export interface SourceStats {
  n: number;
  real: number;
  fake: number;
  /** Fraction of the source's clips classified as their own label: detection rate for a fake
   * source, true-negative rate for a real one (sources are usually one class). */
  recall: number;
  fake_recall: number | null;
  real_recall: number | null;
  mean_score: number;
  /** ROC-AUC within the source: null unless it holds both classes. */
  auc: number | null;
  /** ROC-AUC of a one-class source's clips against every clip of the other class in the split
   * (null for a mixed source, or when the split lacks the other class). */
  auc_vs_other: number | null;
}

/** AUC within content groups (a real clip and the fakes made from it). */
export interface GroupMetrics {
  /** Groups with at least one scored clip. */
  groups: number;
  /** Groups holding one class only (no AUC). */
  one_class: number;
  /** Mean of the defined per-group AUCs; null when none is defined. */
  mean_auc: number | null;
  /** group → AUC, for groups holding both classes. */
  auc: Record<string, number>;
}

/** Label 1 = fake, 0 = real. */
export interface Scored {
  score: number;
  label: 0 | 1;
  source: string | null;
  /** Content group, when the data set has them. */
  group?: string | null;
}

export interface SetOptions {
  threshold: number;
  /** Bootstrap resamples for the AUC interval; 0 = none. */
  bootstrap?: number;
  seed?: number;
}

export function thresholdReport(scores: number[], labels: number[], threshold: number): ThresholdReport {
  const m = atThreshold(scores, labels, threshold);
  const c = m.confusion;
  // atThreshold reports 0 for undefined precision/recall; here "undefined" stays null so a report
  // never shows a 0 % recall for a class that has no clips.
  return {
    threshold,
    accuracy: scores.length ? m.accuracy : null,
    precision: c.tp + c.fp ? m.precision : null,
    recall: c.tp + c.fn ? m.recall : null,
    // no fakes: undefined; fakes but none flagged: 0 (as scikit-learn), the model missed them all
    f1: c.tp + c.fn ? m.f1 : null,
    specificity: c.tn + c.fp ? c.tn / (c.tn + c.fp) : null,
    confusion: c,
  };
}

export function setMetrics(items: readonly Scored[], opts: SetOptions): SetMetrics {
  const scores = items.map((i) => i.score);
  const labels = items.map((i) => i.label);
  const fake = labels.filter((l) => l === 1).length;
  const real = items.length - fake;
  const notes: string[] = [];
  if (!items.length) notes.push("no clips in this split");
  else if (!fake || !real) notes.push(`only ${fake ? "fake" : "real"} clips in this split: ROC-AUC is undefined`);
  if (items.length && !fake) notes.push("no fake clips: precision, recall, F1 and PR-AUC are undefined");
  const auc = finite(rocAuc(scores, labels));
  return {
    n: items.length,
    real,
    fake,
    auc,
    auc_ci95: auc !== null && opts.bootstrap ? bootstrapAucCi(scores, labels, opts.bootstrap, opts.seed ?? 0) : null,
    pr_auc: fake ? finite(prAuc(scores, labels)) : null,
    at_threshold: thresholdReport(scores, labels, opts.threshold),
    at_0_5: thresholdReport(scores, labels, 0.5),
    mean_score: { real: mean(items.filter((i) => i.label === 0).map((i) => i.score)), fake: mean(items.filter((i) => i.label === 1).map((i) => i.score)) },
    per_source: perSource(items, opts.threshold),
    per_group: perGroup(items),
    notes,
  };
}

function groupBy(items: readonly Scored[], key: (s: Scored) => string | null | undefined): Map<string, Scored[]> {
  const groups = new Map<string, Scored[]>();
  for (const it of items) {
    const k = key(it);
    if (k === undefined) continue;
    const g = groups.get(k ?? "(none)");
    if (g) g.push(it);
    else groups.set(k ?? "(none)", [it]);
  }
  return groups;
}

/** Recall, mean score and AUCs per source, sorted by source name; clips without one are "(none)".
 * `auc` (within the source) needs both classes in it; sources are usually one class (a generator,
 * a camera), so `auc_vs_other` ranks the source's clips against every clip of the other class in
 * the split: for a generator, how well its fakes separate from all the reals. */
export function perSource(items: readonly Scored[], threshold: number): Record<string, SourceStats> {
  const groups = groupBy(items, (i) => i.source);
  // every score of each class, sorted once: a one-class source's AUC against the other class is
  // then one binary search per clip (O(n log n) for all sources together)
  const sortedOf = (label: 0 | 1) => Float64Array.from(items.filter((i) => i.label === label).map((i) => i.score)).sort();
  const reals = sortedOf(0), fakes = sortedOf(1);
  const out: Record<string, SourceStats> = {};
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!;
    const fk = g.filter((i) => i.label === 1);
    const rl = g.filter((i) => i.label === 0);
    const caughtFakes = fk.filter((i) => i.score >= threshold).length;
    const passedReals = rl.filter((i) => i.score < threshold).length;
    let vsOther: number | null = null;
    if (fk.length && !rl.length && reals.length) {
      let wins = 0;
      for (const f of fk) wins += lowerBound(reals, f.score) + (upperBound(reals, f.score) - lowerBound(reals, f.score)) / 2;
      vsOther = wins / (fk.length * reals.length);
    } else if (rl.length && !fk.length && fakes.length) {
      let wins = 0;
      for (const r of rl) wins += fakes.length - upperBound(fakes, r.score) + (upperBound(fakes, r.score) - lowerBound(fakes, r.score)) / 2;
      vsOther = wins / (rl.length * fakes.length);
    }
    out[key] = {
      n: g.length,
      real: rl.length,
      fake: fk.length,
      recall: (caughtFakes + passedReals) / g.length,
      fake_recall: fk.length ? caughtFakes / fk.length : null,
      real_recall: rl.length ? passedReals / rl.length : null,
      mean_score: mean(g.map((i) => i.score))!,
      auc: fk.length && rl.length ? finite(rocAuc(g.map((i) => i.score), g.map((i) => i.label))) : null,
      auc_vs_other: vsOther,
    };
  }
  return out;
}

/** First index in ascending `a` whose value is ≥ x. */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in ascending `a` whose value is > x. */
function upperBound(a: Float64Array, x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Per content group (the manifest's `group`: a real clip and the fakes made from it), the AUC
 * within the group where it holds both classes, and how many groups do. Clips without a group are
 * left out; null when no clip has one. */
export function perGroup(items: readonly Scored[]): GroupMetrics | null {
  const groups = groupBy(items, (i) => (i.group === null || i.group === undefined ? undefined : i.group));
  if (!groups.size) return null;
  const aucs: Record<string, number> = {};
  let pure = 0;
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!;
    const auc = finite(rocAuc(g.map((i) => i.score), g.map((i) => i.label)));
    if (auc === null) pure++;
    else aucs[key] = auc;
  }
  const values = Object.values(aucs);
  return { groups: groups.size, one_class: pure, mean_auc: mean(values), auc: aucs };
}

/** ROC and PR curve points for the report; empty when the set lacks a class. */
export function curvePoints(items: readonly Scored[]): CurvePoint[] {
  const labels = items.map((i) => i.label);
  if (!labels.includes(1) || !labels.includes(0)) return [];
  return curves(items.map((i) => i.score), labels);
}

function mean(xs: readonly number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}
