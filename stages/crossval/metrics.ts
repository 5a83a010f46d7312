// Cross-validation numbers from out-of-fold scores: every clip is scored once, by the model of the
// fold that held its source group out. Per fold the ROC-AUC of its held-out clips (defined when
// they hold both classes); per source its recall at its fold's threshold and its AUC against every
// held-out clip of the other class; overall the mean fold AUC with a bootstrap interval (clips
// resampled within each fold) and the pooled AUC with a source-level bootstrap interval (whole
// sources resampled per class: how much the number depends on which generators happen to be in
// the set). JSON has no NaN: undefined numbers are null, with a note saying why.
import { bootstrapAucs, perSource, quantile, rocAuc, type SourceStats } from "../../src/lib/metrics.js";
import { mulberry32 } from "../../src/lib/random.js";
import type { FoldReport, ModelReport, SourceReport } from "../../src/artifacts/crossval.js";
import type { Json } from "../../src/params.js";

/** One held-out clip's score. */
export interface OofScore {
  id: string;
  /** 1 = fake, 0 = real. */
  label: 0 | 1;
  source: string | null;
  /** 0-based fold that held it out. */
  fold: number;
  score: number;
}

export interface FoldInfo {
  index: number;
  heldOut: string[];
  train: number;
  val: number;
  threshold: number;
  facts: Record<string, Json>;
}

export function modelReport(model: string, scores: readonly OofScore[], folds: readonly FoldInfo[], opts: { bootstrap: number; seed: number }): ModelReport {
  const notes: string[] = [];
  const thresholdOf = new Map(folds.map((f) => [f.index, f.threshold]));
  const correct = (s: OofScore) => (s.score >= thresholdOf.get(s.fold)!) === (s.label === 1);
  const foldReports = folds.map((f): FoldReport => {
    const mine = scores.filter((s) => s.fold === f.index);
    const fakes = mine.filter((s) => s.label === 1);
    const reals = mine.filter((s) => s.label === 0);
    return {
      fold: f.index + 1,
      held_out: f.heldOut,
      train: f.train,
      val: f.val,
      n: mine.length,
      real: reals.length,
      fake: fakes.length,
      auc: finite(rocAuc(mine.map((s) => s.score), mine.map((s) => s.label))),
      threshold: f.threshold,
      fake_recall: share(fakes, correct),
      real_recall: share(reals, correct),
      facts: f.facts,
    };
  });
  const defined = foldReports.filter((f) => f.auc !== null);
  if (defined.length < foldReports.length)
    notes.push(`${foldReports.length - defined.length} of ${foldReports.length} folds hold out one class only: their AUC is undefined (see the per-source table)`);

  const sources = sourceReports(scores, thresholdOf);
  const sourceAucs = sources.map((s) => s.auc).filter((a): a is number => a !== null);
  const fakeRecall = share(scores.filter((s) => s.label === 1), correct);
  const realRecall = share(scores.filter((s) => s.label === 0), correct);
  return {
    model,
    folds: foldReports,
    sources,
    auc: defined.length ? mean(defined.map((f) => f.auc!)) : null,
    auc_ci95: meanFoldAucCi(scores, defined.map((f) => f.fold - 1), opts),
    folds_with_auc: defined.length,
    pooled_auc: finite(rocAuc(scores.map((s) => s.score), scores.map((s) => s.label))),
    pooled_auc_ci95: sourceBootstrapCi(scores, opts),
    mean_source_auc: sourceAucs.length ? mean(sourceAucs) : null,
    balanced_accuracy: fakeRecall !== null && realRecall !== null ? (fakeRecall + realRecall) / 2 : null,
    notes,
  };
}

/** Per source (src/lib/metrics.ts perSource): recall, mean score and AUC against the other class
 * within its own fold (one model, its threshold), and the AUC against every held-out clip of the
 * other class (all folds' scores together). */
function sourceReports(scores: readonly OofScore[], thresholdOf: ReadonlyMap<number, number>): SourceReport[] {
  const pooled = perSource(scores, 0.5);
  const inFold = new Map<string, { fold: number; stats: SourceStats }>();
  for (const [fold, threshold] of thresholdOf)
    for (const [name, stats] of Object.entries(perSource(scores.filter((s) => s.fold === fold), threshold)))
      if (!inFold.has(name)) inFold.set(name, { fold, stats });
  return Object.keys(pooled).map((name): SourceReport => {
    const { fold, stats } = inFold.get(name)!;
    return {
      source: name,
      label: stats.real && stats.fake ? "mixed" : stats.fake ? "fake" : "real",
      n: pooled[name]!.n,
      fold: fold + 1,
      recall: stats.recall,
      mean_score: stats.mean_score,
      auc: pooled[name]!.auc_vs_other,
      auc_in_fold: stats.auc_vs_other,
    };
  });
}

/** 95 % interval of the mean fold AUC: each fold's clips resampled within class (its own seeded
 * stream), the mean taken per round. */
function meanFoldAucCi(scores: readonly OofScore[], folds: number[], o: { bootstrap: number; seed: number }): [number, number] | null {
  if (!o.bootstrap || !folds.length) return null;
  const rounds = folds.map((f) => {
    const mine = scores.filter((s) => s.fold === f);
    return bootstrapAucs(mine.map((s) => s.score), mine.map((s) => s.label), o.bootstrap, o.seed * 1000 + f)!;
  });
  const means = Array.from({ length: o.bootstrap }, (_, r) => mean(rounds.map((a) => a[r]!))).sort((a, b) => a - b);
  return [quantile(means, 0.025), quantile(means, 0.975)];
}

/** 95 % interval of the pooled AUC over resamples of whole sources (real sources among real
 * ones, fake among fake ones; clips without a source count as their own source). */
function sourceBootstrapCi(scores: readonly OofScore[], o: { bootstrap: number; seed: number }): [number, number] | null {
  if (!o.bootstrap) return null;
  const clusters = [...groupBy(scores, (s) => s.source ?? `clip:${s.id}`).values()];
  const strata = [0, 1].map((l) => clusters.filter((c) => c.every((s) => s.label === l)));
  const mixed = clusters.filter((c) => !c.every((s) => s.label === c[0]!.label));
  if (!strata[0]!.length || !strata[1]!.length) return null;
  const rand = mulberry32(o.seed ^ 0x2545f491);
  const aucs: number[] = [];
  for (let r = 0; r < o.bootstrap; r++) {
    const pick: OofScore[] = [];
    for (const stratum of [...strata, mixed]) for (let i = 0; i < stratum.length; i++) pick.push(...stratum[Math.floor(rand() * stratum.length)]!);
    const auc = rocAuc(pick.map((s) => s.score), pick.map((s) => s.label));
    if (Number.isFinite(auc)) aucs.push(auc);
  }
  if (!aucs.length) return null;
  aucs.sort((a, b) => a - b);
  return [quantile(aucs, 0.025), quantile(aucs, 0.975)];
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = out.get(k);
    if (g) g.push(it);
    else out.set(k, [it]);
  }
  return out;
}

function share<T>(items: readonly T[], ok: (t: T) => boolean): number | null {
  return items.length ? items.filter(ok).length / items.length : null;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
