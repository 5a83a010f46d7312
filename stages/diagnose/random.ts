// A small seeded PRNG and shuffle: fold assignment (diagnose) and split must give the same answer
// for the same seed on every machine and Node version, which Math.random cannot.
import { mulberry32 } from "../../src/lib/random.js";

/** mulberry32 (src/lib/random.ts) with the seed mixed first, so that seed 0 is not a weak start. */
export function rng(seed: number): () => number {
  return mulberry32(Math.trunc(seed) ^ 0x9e3779b9);
}

/** Fisher–Yates on a copy. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
