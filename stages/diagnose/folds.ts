// Stratified, seeded k-fold assignment for the out-of-fold AUCs: every fold gets the same share of
// each class, so a fold's training prior barely moves (a moving prior alone would make a useless
// attribute look anti-predictive).
import { rng, shuffled } from "../../src/lib/random.js";

/** fold[i] in [0, k) for each label; k is capped at the number of rows. */
export function stratifiedFolds(labels: readonly number[], k: number, seed: number): { fold: number[]; k: number } {
  const kk = Math.max(1, Math.min(k, labels.length));
  const fold = new Array<number>(labels.length).fill(0);
  const random = rng(seed);
  let next = 0; // continue the round-robin across classes so fold sizes stay even
  for (const cls of [0, 1]) {
    const idx = labels.flatMap((y, i) => (y === cls ? [i] : []));
    for (const i of shuffled(idx, random)) fold[i] = next++ % kk;
  }
  return { fold, k: kk };
}
