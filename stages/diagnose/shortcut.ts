// "Metadata shortcut AUC": how well one attribute ALONE tells fake from real. 0.5 = useless,
// 1.0 = a perfect shortcut the model could learn instead of the content.
//
// - numeric: rank AUC (Mann–Whitney, ties = ½) oriented either way — one threshold is one degree
//   of freedom, so in-sample is honest; unknown values rank below every known one, because "the
//   container does not say" is itself a cue (GIFs carry no bitrate).
// - categorical: each value's fake rate, learned on the other folds (out-of-fold target
//   encoding), is the score. In-sample it would be trivially 1.0 on values that occur once; out of
//   fold, an unseen value gets the prior, so only values shared by several clips count.
// - numeric attributes are also scored the categorical way and the larger AUC is kept: fps
//   {8, 24} for fakes vs {25, 30} for reals separates perfectly but not monotonically.
import { rocAuc, separationAuc } from "../../src/lib/metrics.js";
import type { Attribute } from "./attributes.js";
import { stratifiedFolds } from "./folds.js";
import type { VideoRecord } from "../../src/artifacts/features.js";

export interface AttributeAuc {
  attribute: string;
  kind: Attribute["kind"];
  /** max of the methods below; NaN when a class is empty or the attribute is unknown everywhere. */
  auc: number;
  /** Rank AUC (numeric attributes only). */
  rank?: number;
  /** Out-of-fold value-encoding AUC. */
  values: number;
  /** Which method gave `auc`. */
  method: "rank" | "values";
  /** Clips without a value. */
  missing: number;
}

export interface AucOptions {
  folds: number;
  seed: number;
}

const UNKNOWN_KEY = "\u0000unknown";

export function attributeAuc(attr: Attribute, clips: readonly VideoRecord[], labels: readonly number[], opt: AucOptions): AttributeAuc {
  const raw = clips.map((c) => attr.get(c));
  const missing = raw.filter((x) => x === null).length;
  if (missing === raw.length)
    return { attribute: attr.name, kind: attr.kind, auc: Number.NaN, values: Number.NaN, method: "values", missing };
  const keys = raw.map((x) => (x === null ? UNKNOWN_KEY : String(x)));
  const values = outOfFoldValueAuc(keys, labels, opt);
  if (attr.kind === "categorical") return { attribute: attr.name, kind: attr.kind, auc: values, values, method: "values", missing };
  const nums = raw as (number | null)[];
  const known = nums.filter((x): x is number => x !== null);
  const floor = known.reduce((m, x) => (x < m ? x : m), Infinity) - 1; // not Math.min(...): 100 000+ values overflow the stack
  const rank = separationAuc(nums.map((x) => x ?? floor), labels);
  const useRank = Number.isNaN(values) || rank >= values;
  return { attribute: attr.name, kind: attr.kind, auc: useRank ? rank : values, rank, values, method: useRank ? "rank" : "values", missing };
}

/** AUC of out-of-fold target encoding (smoothed fake rate per value); clamped at 0.5 because the
 * score is already oriented: below 0.5 is noise, not an inverted signal. */
export function outOfFoldValueAuc(keys: readonly string[], labels: readonly number[], opt: AucOptions): number {
  const pos = labels.filter((y) => y === 1).length;
  if (pos === 0 || pos === labels.length) return Number.NaN;
  const scores = outOfFoldEncoding(keys, labels, opt);
  return Math.max(0.5, rocAuc(scores, labels));
}

/** Out-of-fold smoothed fake rate of each row's value (one pseudo-clip at the prior). */
export function outOfFoldEncoding(keys: readonly string[], labels: readonly number[], opt: AucOptions): number[] {
  const { fold, k } = stratifiedFolds(labels, opt.folds, opt.seed);
  const scores = new Array<number>(keys.length).fill(0);
  for (let f = 0; f < k; f++) {
    const stats = new Map<string, { n: number; fake: number }>();
    let n = 0;
    let fake = 0;
    keys.forEach((key, i) => {
      if (fold[i] === f) return;
      const s = stats.get(key) ?? { n: 0, fake: 0 };
      s.n++;
      s.fake += labels[i]!;
      stats.set(key, s);
      n++;
      fake += labels[i]!;
    });
    const prior = n ? fake / n : 0.5;
    keys.forEach((key, i) => {
      if (fold[i] !== f) return;
      const s = stats.get(key);
      scores[i] = s ? (s.fake + prior) / (s.n + 1) : prior;
    });
  }
  return scores;
}
