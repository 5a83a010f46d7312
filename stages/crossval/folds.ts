// Which clips each fold trains, validates and tests on. A unit is every clip that shares a source
// or a group (connected components over those keys), so no generator, camera or paired content
// ever sits on both sides of a fold. Units go to K folds, biggest first, each into the fold where
// it closes most of the per-class gap to an even share; the training units of each fold then give
// up a `val` share (per class, the same way) for early stopping and the threshold.
import { mulberry32 } from "../../src/lib/random.js";
import type { CrossvalGroupBy } from "./params.js";

export interface FoldClip {
  id: string;
  /** 1 = fake, 0 = real. */
  label: 0 | 1;
  /** null when unknown (or when it only repeats the class folder's name). */
  source: string | null;
  group: string | null;
}

export interface Unit {
  /** Clip ids, sorted. */
  ids: string[];
  /** Clips per class: [real, fake]. */
  counts: [number, number];
  /** The sources (or, without any, groups) in the unit, sorted: how reports name it. */
  names: string[];
}

export interface Fold {
  /** 0-based. */
  index: number;
  train: string[];
  val: string[];
  test: string[];
  /** Names of the held-out units. */
  heldOut: string[];
}

export interface FoldPlan {
  folds: Fold[];
  units: Unit[];
  /** Clips with no grouping key: each is a unit of its own. */
  ungrouped: number;
}

/** Clips joined by the keys `groupBy` names (auto: source and group). */
export function buildUnits(clips: readonly FoldClip[], groupBy: CrossvalGroupBy): { units: Unit[]; ungrouped: number } {
  const parent = clips.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const firstWith = new Map<string, number>();
  let ungrouped = 0;
  clips.forEach((c, i) => {
    const keys: string[] = [];
    if (groupBy !== "group" && c.source !== null) keys.push(`s:${c.source}`);
    if (groupBy !== "source" && c.group !== null) keys.push(`g:${c.group}`);
    if (!keys.length) ungrouped++;
    for (const k of keys) {
      const j = firstWith.get(k);
      if (j === undefined) firstWith.set(k, i);
      else parent[find(i)] = find(j);
    }
  });
  const members = new Map<number, number[]>();
  clips.forEach((_, i) => {
    const r = find(i);
    const m = members.get(r);
    if (m) m.push(i);
    else members.set(r, [i]);
  });
  const units = [...members.values()].map((idx): Unit => {
    const ids = idx.map((i) => clips[i]!.id).sort();
    const fake = idx.filter((i) => clips[i]!.label === 1).length;
    const sources = new Set(idx.map((i) => clips[i]!.source).filter((s): s is string => s !== null));
    const groups = new Set(idx.map((i) => clips[i]!.group).filter((s): s is string => s !== null));
    const names = [...(sources.size ? sources : groups.size ? groups : new Set(ids))].sort();
    return { ids, counts: [idx.length - fake, fake], names };
  });
  // sorted by first id: the plan must not depend on the order extract wrote its rows in
  units.sort((a, b) => (a.ids[0]! < b.ids[0]! ? -1 : 1));
  return { units, ungrouped };
}

/** Puts each unit in one of `bins`, whose per-class targets are `targets[bin] = [real, fake]`:
 * biggest units first (seeded order among equals), each into the bin where it lowers the total
 * distance to the targets most, ties to the bin that still needs most clips, then the first.
 * Returns the bin of each unit, in input order. */
export function balanceUnits(units: readonly Unit[], targets: readonly (readonly [number, number])[], seed: number): number[] {
  const rand = mulberry32(Math.trunc(seed) ^ 0x5bd1e995);
  const tiebreak = units.map(() => rand());
  const order = units.map((_, i) => i).sort((a, b) => total(units[b]!) - total(units[a]!) || tiebreak[a]! - tiebreak[b]!);
  const left = targets.map((t) => [t[0], t[1]]);
  const bin = new Array<number>(units.length).fill(0);
  for (const u of order) {
    const [r, f] = units[u]!.counts;
    let best = -1;
    let bestGain = -Infinity;
    let bestLeft = -Infinity;
    left.forEach(([lr, lf], b) => {
      const gain = Math.abs(lr!) + Math.abs(lf!) - Math.abs(lr! - r) - Math.abs(lf! - f);
      const stillNeeded = lr! + lf!;
      if (gain > bestGain || (gain === bestGain && stillNeeded > bestLeft)) [best, bestGain, bestLeft] = [b, gain, stillNeeded];
    });
    left[best]![0]! -= r;
    left[best]![1]! -= f;
    bin[u] = best;
  }
  return bin;
}

function total(u: Unit): number {
  return u.counts[0] + u.counts[1];
}

/** The folds: K of them (every unit in exactly one test set), or one per unit when `folds` is null. */
export function planFolds(clips: readonly FoldClip[], p: { folds: number | null; group_by: CrossvalGroupBy; val: number; seed: number }): FoldPlan {
  const { units, ungrouped } = buildUnits(clips, p.group_by);
  const k = p.folds ?? units.length;
  if (units.length < 2) throw new Error(`crossval: all ${clips.length} clips form one ${p.group_by === "auto" ? "source group" : p.group_by}: nothing can be held out (add a source or group column to the data set)`);
  if (k > units.length)
    throw new Error(`crossval: folds: ${k}, but there are only ${units.length} separate source groups (group_by ${p.group_by}): use folds: ${units.length} or fewer, or folds: null (one per group)`);
  const reals = clips.filter((c) => c.label === 0).length;
  const fakes = clips.length - reals;
  const foldOf = p.folds === null ? units.map((_, i) => i) : balanceUnits(units, Array.from({ length: k }, () => [reals / k, fakes / k] as const), p.seed);
  const folds: Fold[] = [];
  for (let f = 0; f < k; f++) {
    const test = units.filter((_, i) => foldOf[i] === f);
    const rest = units.filter((_, i) => foldOf[i] !== f);
    const [train, val] = holdOutVal(rest, p.val, p.seed + 7919 * (f + 1));
    folds.push({
      index: f,
      train: train.flatMap((u) => u.ids).sort(),
      val: val.flatMap((u) => u.ids).sort(),
      test: test.flatMap((u) => u.ids).sort(),
      heldOut: test.flatMap((u) => u.names),
    });
  }
  return { folds, units, ungrouped };
}

/** Splits training units into [train, val] with about `share` of each class in val; never takes
 * a class's last training unit. */
function holdOutVal(units: readonly Unit[], share: number, seed: number): [Unit[], Unit[]] {
  if (share <= 0 || units.length < 3) return [units.slice(), []];
  const sum = (c: 0 | 1) => units.reduce((n, u) => n + u.counts[c], 0);
  const targets = [[(1 - share) * sum(0), (1 - share) * sum(1)], [share * sum(0), share * sum(1)]] as const;
  const bin = balanceUnits(units, targets, seed);
  const train = units.filter((_, i) => bin[i] === 0);
  const val = units.filter((_, i) => bin[i] === 1);
  for (const c of [0, 1] as const)
    if (train.every((u) => u.counts[c] === 0) && val.some((u) => u.counts[c] > 0)) return [units.slice(), []];
  return [train, val];
}
