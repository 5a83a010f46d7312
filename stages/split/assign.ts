// Puts units (a clip, or every clip of one group / duplicate cluster) into train/val/test so each
// set's per-class counts come as close as possible to their targets. Greedy: biggest units first
// (seeded shuffle among equals), each into the set where it reduces the total |target − count|
// most. With single clips only this meets every target exactly.
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
  return out;
}

function size(u: Unit): number {
  return u.counts[0] + u.counts[1];
}
