// Cross-validation numbers from out-of-fold scores: in each repeat every clip is scored once, by
// the model of the fold that held its source group out. Per fold the ROC-AUC of its held-out clips
// (defined when they hold both classes); per source its recall at its fold's threshold and its AUC
// against every held-out clip of the other class; overall the mean fold AUC with a bootstrap
// interval (clips resampled within each fold) and the pooled AUC with a source-level bootstrap
// interval (whole sources resampled per class: how much the number depends on which generators
// happen to be in the set). With repeats (the folds drawn again with other seeds) every number is
// the mean over repeats, and the intervals resample all repeats at once. JSON has no NaN: undefined
// numbers are null, with a note saying why.
import type { FoldReport, ModelReport, SourceReport } from "../../src/artifacts/crossval.js";
import { perSource, quantile, rocAuc } from "../../src/lib/metrics.js";
import { mulberry32 } from "../../src/lib/random.js";
import type { Json } from "../../src/params.js";

/** One held-out clip's score in one repeat. */
export interface OofScore {
  id: string;
  /** 1 = fake, 0 = real. */
  label: 0 | 1;
  source: string | null;
  /** 0-based repeat and fold (within the repeat) that held it out. */
  repeat: number;
  fold: number;
  score: number;
}

export interface FoldInfo {
  repeat: number;
  index: number;
  heldOut: string[];
  train: number;
  val: number;
  threshold: number;
  facts: Record<string, Json>;
}

const key = (x: { repeat: number; fold?: number; index?: number }) => `${x.repeat}/${x.fold ?? x.index}`;

export function modelReport(model: string, scores: readonly OofScore[], folds: readonly FoldInfo[], opts: { bootstrap: number; seed: number; seeds: number[] }): ModelReport {
  const notes: string[] = [];
  const thresholdOf = new Map(folds.map((f) => [key(f), f.threshold]));
  const correct = (s: OofScore) => (s.score >= thresholdOf.get(key(s))!) === (s.label === 1);
  const byFold = groupBy(scores, key);
  const repeats = opts.seeds.length;
  const foldReports = folds.map((f): FoldReport => {
    const mine = byFold.get(key(f)) ?? [];
    const fakes = mine.filter((s) => s.label === 1);
    const reals = mine.filter((s) => s.label === 0);
    return {
      ...(repeats > 1 ? { repeat: f.repeat + 1 } : {}),
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
  const defined = folds.filter((_, i) => foldReports[i]!.auc !== null);
  if (defined.length < folds.length)
    notes.push(`${folds.length - defined.length} of ${folds.length} folds hold out one class only: their AUC is undefined (see the per-source table)`);
  const perRepeat = opts.seeds.map((seed, r) => {
    const mine = scores.filter((s) => s.repeat === r);
    const aucs = foldReports.filter((f, i) => folds[i]!.repeat === r && f.auc !== null).map((f) => f.auc!);
    return { seed, auc: aucs.length ? mean(aucs) : null, pooled_auc: finite(rocAuc(mine.map((s) => s.score), mine.map((s) => s.label))) };
  });
  if (repeats > 1) notes.push(`every number is the mean over ${repeats} repeats of the fold assignment (seeds ${opts.seeds.join(", ")})`);
  const sources = sourceReports(scores, folds);
  const sourceAucs = sources.map((s) => s.auc).filter((a): a is number => a !== null);
  const fakeRecall = share(scores.filter((s) => s.label === 1), correct);
  const realRecall = share(scores.filter((s) => s.label === 0), correct);
  const pooled = perRepeat.map((r) => r.pooled_auc).filter((a): a is number => a !== null);
  return {
    model,
    folds: foldReports,
    sources,
    auc: defined.length ? mean(foldReports.filter((f) => f.auc !== null).map((f) => f.auc!)) : null,
    auc_ci95: meanFoldAucCi(byFold, defined.map(key), opts),
    folds_with_auc: defined.length,
    pooled_auc: pooled.length === repeats ? mean(pooled) : null,
    pooled_auc_ci95: sourceBootstrapCi(scores, repeats, opts),
    mean_source_auc: sourceAucs.length ? mean(sourceAucs) : null,
    balanced_accuracy: fakeRecall !== null && realRecall !== null ? (fakeRecall + realRecall) / 2 : null,
    ...(repeats > 1 ? { repeats: perRepeat } : {}),
    notes,
  };
}

/** Per source (src/lib/metrics.ts perSource): recall, mean score and AUC against the other class
 * within its own fold (one model, its threshold), and the AUC against every held-out clip of the
 * other class (all folds' scores of the repeat together); means over repeats. */
function sourceReports(scores: readonly OofScore[], folds: readonly FoldInfo[]): SourceReport[] {
  const acc = new Map<string, { label: SourceReport["label"]; n: number; fold: number; recall: number[]; mean_score: number[]; auc: number[]; auc_in_fold: number[] }>();
  const repeats = [...new Set(folds.map((f) => f.repeat))];
  for (const r of repeats) {
    const mine = scores.filter((s) => s.repeat === r);
    const pooled = perSource(mine, 0.5);
    for (const f of folds.filter((x) => x.repeat === r))
      for (const [name, st] of Object.entries(perSource(mine.filter((s) => s.fold === f.index), f.threshold))) {
        let a = acc.get(name);
        if (!a) {
          a = { label: st.real && st.fake ? "mixed" : st.fake ? "fake" : "real", n: pooled[name]!.n, fold: f.index + 1, recall: [], mean_score: [], auc: [], auc_in_fold: [] };
          acc.set(name, a);
        }
        if (a.recall.length > (repeats.indexOf(r) ?? 0)) continue; // a source split over folds: its first fold speaks
        a.recall.push(st.recall);
        a.mean_score.push(st.mean_score);
        if (pooled[name]!.auc_vs_other !== null) a.auc.push(pooled[name]!.auc_vs_other!);
        if (st.auc_vs_other !== null) a.auc_in_fold.push(st.auc_vs_other);
      }
  }
  return [...acc.keys()].sort().map((name): SourceReport => {
    const a = acc.get(name)!;
    return {
      source: name, label: a.label, n: a.n, fold: a.fold,
      recall: mean(a.recall), mean_score: mean(a.mean_score),
      auc: a.auc.length ? mean(a.auc) : null, auc_in_fold: a.auc_in_fold.length ? mean(a.auc_in_fold) : null,
    };
  });
}

/** 95 % interval of the mean fold AUC by a Poisson bootstrap over clips: each round gives every
 * clip one weight (Poisson(1), seeded), shared by all the folds that hold it in the different
 * repeats, and takes the mean of the folds' weighted AUCs. Sharing the weights across repeats
 * keeps the interval honest: repeats re-use the same clips, so they add no independent evidence. */
function meanFoldAucCi(byFold: ReadonlyMap<string, OofScore[]>, folds: string[], o: { bootstrap: number; seed: number }): [number, number] | null {
  if (!o.bootstrap || !folds.length) return null;
  const ids = [...new Set(folds.flatMap((f) => byFold.get(f)!.map((s) => s.id)))].sort();
  const slot = new Map(ids.map((id, i) => [id, i]));
  // each fold's clips sorted by score once, as (slot, label, score)
  const sorted = folds.map((f) => [...byFold.get(f)!].sort((a, b) => a.score - b.score).map((s) => ({ slot: slot.get(s.id)!, label: s.label, score: s.score })));
  const rand = mulberry32(o.seed ^ 0x68e31da4);
  const weights = new Float64Array(ids.length);
  const means: number[] = [];
  for (let round = 0; round < o.bootstrap; round++) {
    for (let i = 0; i < weights.length; i++) weights[i] = poisson1(rand);
    let sum = 0, count = 0;
    for (const clips of sorted) {
      const auc = weightedAuc(clips, weights);
      if (auc !== null) {
        sum += auc;
        count++;
      }
    }
    if (count === folds.length) means.push(sum / count);
  }
  if (!means.length) return null;
  means.sort((a, b) => a - b);
  return [quantile(means, 0.025), quantile(means, 0.975)];
}

/** ROC-AUC with clip weights (ties count one half) over clips sorted by score; null when a class
 * has no weight. */
function weightedAuc(clips: readonly { slot: number; label: 0 | 1; score: number }[], w: Float64Array): number | null {
  let negBelow = 0, wins = 0, pos = 0;
  for (let i = 0; i < clips.length; ) {
    let j = i, p = 0, n = 0;
    for (; j < clips.length && clips[j]!.score === clips[i]!.score; j++) {
      const c = clips[j]!;
      if (c.label === 1) p += w[c.slot]!;
      else n += w[c.slot]!;
    }
    wins += p * (negBelow + n / 2);
    negBelow += n;
    pos += p;
    i = j;
  }
  return pos > 0 && negBelow > 0 ? wins / (pos * negBelow) : null;
}

/** A Poisson(1) draw (Knuth's product of uniforms). */
function poisson1(rand: () => number): number {
  let k = 0;
  for (let p = rand(); p > Math.exp(-1); p *= rand()) k++;
  return k;
}

/** 95 % interval of the pooled AUC over resamples of whole sources (real sources among real
 * ones, fake among fake ones; clips without a source count as their own source); with repeats,
 * each round's number is the mean of the repeats' pooled AUCs on the same resampled sources. */
function sourceBootstrapCi(scores: readonly OofScore[], repeats: number, o: { bootstrap: number; seed: number }): [number, number] | null {
  if (!o.bootstrap) return null;
  const clusters = [...groupBy(scores.filter((s) => s.repeat === 0), (s) => s.source ?? `clip:${s.id}`).values()];
  const strata = [0, 1].map((l) => clusters.filter((c) => c.every((s) => s.label === l)));
  const mixed = clusters.filter((c) => !c.every((s) => s.label === c[0]!.label));
  if (!strata[0]!.length || !strata[1]!.length) return null;
  const scoreOf = new Map(scores.map((s) => [`${s.repeat}/${s.id}`, s.score]));
  const rand = mulberry32(o.seed ^ 0x2545f491);
  const aucs: number[] = [];
  for (let round = 0; round < o.bootstrap; round++) {
    const pick: OofScore[] = [];
    for (const stratum of [...strata, mixed]) for (let i = 0; i < stratum.length; i++) pick.push(...stratum[Math.floor(rand() * stratum.length)]!);
    const labels = pick.map((s) => s.label);
    const perRepeat = Array.from({ length: repeats }, (_, r) => rocAuc(pick.map((s) => scoreOf.get(`${r}/${s.id}`)!), labels));
    if (perRepeat.every(Number.isFinite)) aucs.push(mean(perRepeat));
  }
  if (!aucs.length) return null;
  aucs.sort((a, b) => a - b);
  return [quantile(aucs, 0.025), quantile(aucs, 0.975)];
}

function groupBy<T>(items: readonly T[], keyOf: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = keyOf(it);
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
