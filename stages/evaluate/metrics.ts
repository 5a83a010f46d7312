// The evaluation maths: one split's scores and labels → the numbers in metrics.json. Pure functions
// over src/lib/metrics.ts, so tests can check them against hand-computed cases without a model.
//
// JSON has no NaN: every undefined quantity (AUC of a one-class set, recall of a class with no
// clips) is `null` here, with a `notes` line saying why, never NaN and never a crash.
import { atThreshold, bootstrapAucCi, curves, prAuc, rocAuc, type Confusion, type CurvePoint } from "../../src/lib/metrics.js";

export { bootstrapAucCi } from "../../src/lib/metrics.js";

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
}

/** Label 1 = fake, 0 = real. */
export interface Scored {
  score: number;
  label: 0 | 1;
  source: string | null;
}

export interface SetOptions {
  threshold: number;
  /** Bootstrap resamples for the AUC interval; 0 = none. */
  bootstrap?: number;
  seed?: number;
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

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
    notes,
  };
}

/** Recall and mean score per source, sorted by source name; clips without one are "(none)". */
export function perSource(items: readonly Scored[], threshold: number): Record<string, SourceStats> {
  const groups = new Map<string, Scored[]>();
  for (const it of items) {
    const key = it.source ?? "(none)";
    const g = groups.get(key);
    if (g) g.push(it);
    else groups.set(key, [it]);
  }
  const out: Record<string, SourceStats> = {};
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!;
    const fakes = g.filter((i) => i.label === 1);
    const reals = g.filter((i) => i.label === 0);
    const caughtFakes = fakes.filter((i) => i.score >= threshold).length;
    const passedReals = reals.filter((i) => i.score < threshold).length;
    out[key] = {
      n: g.length,
      real: reals.length,
      fake: fakes.length,
      recall: (caughtFakes + passedReals) / g.length,
      fake_recall: fakes.length ? caughtFakes / fakes.length : null,
      real_recall: reals.length ? passedReals / reals.length : null,
      mean_score: mean(g.map((i) => i.score))!,
    };
  }
  return out;
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
