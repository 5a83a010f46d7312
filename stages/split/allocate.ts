// How many clips of a class go to each set: exact largest-remainder (Hamilton) allocation, so the
// counts always add up and odd counts land the same way every time.

/** Splits `n` into integers proportional to `fractions` (which sum to 1). Leftover units go to
 * the largest fractional remainders; equal remainders go to the earlier set (train, val, test). */
export function largestRemainder(n: number, fractions: readonly number[]): number[] {
  const quotas = fractions.map((f) => n * f);
  const counts = quotas.map((q) => Math.floor(q + 1e-9)); // 1e-9: 0.7 * 10 is 6.999…
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = quotas
    .map((q, i) => ({ i, rem: q - Math.floor(q + 1e-9) }))
    .sort((a, b) => b.rem - a.rem || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    counts[i]!++;
    left--;
  }
  return counts;
}
