// Puts units (a clip, or every clip of one group / duplicate cluster) into train/val/test so each
// set's per-class counts come as close as possible to their targets. Greedy: biggest units first
// (seeded shuffle among equals), each into the set where it reduces the total |target − count|
// most. With single clips only this meets every target exactly. With few big units (grouped
// splits) greedy can leave a set without a class; a repair pass then moves units so that every
// set whose target holds a class gets at least one unit of it, when the units allow.
import { rng, shuffled } from "../../src/lib/random.js";

export const SETS = ["train", "val", "test"] as const;
export type SetName = (typeof SETS)[number];

export interface Unit {
  /** Clip ids in this unit. */
  ids: string[];
  /** Clips per class: [real, fake]. */
  counts: [number, number];
}

/** Returns the set index (0 train, 1 val, 2 test) for each unit, in input order. */
export function assignUnits(units: readonly Unit[], targets: readonly (readonly [number, number])[], seed: number): number[] {
  const need = targets.map((t) => [t[0], t[1]]);
  const order = shuffled(units.map((_, i) => i), rng(seed)).sort((a, b) => size(units[b]!) - size(units[a]!));
  const out = new Array<number>(units.length).fill(0);
  for (const u of order) {
    const c = units[u]!.counts;
    let best = 0;
    let bestDelta = Number.POSITIVE_INFINITY;
    let bestNeed = Number.NEGATIVE_INFINITY;
    need.forEach((n, s) => {
      const delta = Math.abs(n[0]! - c[0]) - Math.abs(n[0]!) + Math.abs(n[1]! - c[1]) - Math.abs(n[1]!);
      const total = n[0]! + n[1]!;
      if (delta < bestDelta || (delta === bestDelta && total > bestNeed)) {
        best = s;
        bestDelta = delta;
        bestNeed = total;
      }
    });
    need[best]![0]! -= c[0];
    need[best]![1]! -= c[1];
    out[u] = best;
  }
  spreadClasses(units, targets, out, order);
  return out;
}

/** Moves units until every set whose target holds class k has a unit with class k, taking each
 * from a set that keeps another unit of every class it loses; among the possible moves the one
 * that leaves the counts closest to the targets (then the earliest in `order`). Stops when no
 * move helps: the caller reports the sets still missing a class. */
function spreadClasses(units: readonly Unit[], targets: readonly (readonly [number, number])[], where: number[], order: readonly number[]): void {
  const K = [0, 1] as const;
  // per set and class: clips, and units holding the class
  const got = targets.map(() => [0, 0]);
  const holding = targets.map(() => [0, 0]);
  units.forEach((u, i) => K.forEach((k) => {
    got[where[i]!]![k]! += u.counts[k];
    if (u.counts[k] > 0) holding[where[i]!]![k]!++;
  }));
  const dev = (s: number, k: 0 | 1, delta: number) => Math.abs(targets[s]![k] - got[s]![k]! - delta) - Math.abs(targets[s]![k] - got[s]![k]!);
  for (let guard = 0; guard < targets.length * 2; guard++) {
    let best: { u: number; to: number; cost: number } | undefined;
    targets.forEach((t, to) => K.forEach((k) => {
      if (t[k] === 0 || holding[to]![k]! > 0) return;
      for (const u of order) {
        const from = where[u]!;
        const c = units[u]!.counts;
        if (from === to || c[k] === 0) continue;
        // the donor must keep a unit of every class it has a target for
        if (K.some((j) => c[j] > 0 && targets[from]![j] > 0 && holding[from]![j]! < 2)) continue;
        const cost = K.reduce<number>((sum, j) => sum + dev(from, j, -c[j]) + dev(to, j, c[j]), 0);
        if (!best || cost < best.cost) best = { u, to, cost };
      }
    }));
    if (!best) return;
    const { u, to } = best;
    const from = where[u]!;
    K.forEach((k) => {
      const n = units[u]!.counts[k];
      got[from]![k]! -= n;
      got[to]![k]! += n;
      if (n > 0) {
        holding[from]![k]!--;
        holding[to]![k]!++;
      }
    });
    where[u] = to;
  }
}

function size(u: Unit): number {
  return u.counts[0] + u.counts[1];
}
