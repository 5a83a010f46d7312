// Near-duplicate clips from extract's `phash` (64-bit dHash of up to 4 evenly spaced frames).
// Two clips are near-duplicates when, on average, each frame hash of one has a close match among
// the other's (symmetric mean of nearest Hamming distances). The same content labelled real in one
// place and fake in another, or sitting in both train and test, makes any score meaningless.
import type { VideoRecord } from "./videos.js";

/** [idA, idB, distance] with idA < idB, the contract's `duplicates` entries. */
export type DuplicatePair = [string, string, number];

interface Hash {
  hi: number;
  lo: number;
}

/** A flat frame (black, one colour) hashes to all zeros and says nothing about content: two clips
 * fading from black would otherwise "match". */
const FLAT = 0;

export function parseHash(hex: string): Hash {
  const h = hex.padStart(16, "0");
  return { hi: parseInt(h.slice(0, 8), 16) >>> 0, lo: parseInt(h.slice(8), 16) >>> 0 };
}

export function hamming(a: Hash, b: Hash): number {
  return popcount((a.hi ^ b.hi) >>> 0) + popcount((a.lo ^ b.lo) >>> 0);
}

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** All pairs within `maxDistance`, sorted by distance then ids. O(n²) over clips with hashes, but
 * on packed words with an early exit (a pair is dropped as soon as its partial sum of nearest
 * distances passes the budget): ~7 s for 10 000 clips on one core; see BENCHMARKS.md. */
export function nearDuplicates(clips: readonly VideoRecord[], maxDistance: number): DuplicatePair[] {
  const hashed = clips
    .map((c) => ({ id: c.id, hashes: c.phash.map(parseHash).filter((h) => h.hi !== FLAT || h.lo !== FLAT) }))
    .filter((c) => c.hashes.length > 0)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const packed = hashed.map((c) => Uint32Array.from(c.hashes.flatMap((h) => [h.hi, h.lo])));
  const pairs: DuplicatePair[] = [];
  for (let i = 0; i < packed.length; i++) {
    const a = packed[i]!;
    const budgetA = (maxDistance * a.length) / 2;
    for (let j = i + 1; j < packed.length; j++) {
      const b = packed[j]!;
      const ab = directedSum(a, b, budgetA);
      if (ab === Infinity) continue;
      const ba = directedSum(b, a, (maxDistance * b.length) / 2);
      if (ba === Infinity) continue;
      const d = Math.max(ab / (a.length / 2), ba / (b.length / 2));
      pairs.push([hashed[i]!.id, hashed[j]!.id, Math.round(d * 100) / 100]);
    }
  }
  return pairs.sort((x, y) => x[2] - y[2] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : 1));
}

/** Sum over x's hashes of the distance to the nearest of y's; Infinity once it exceeds `budget`.
 * x and y are [hi, lo, hi, lo, ...]. */
function directedSum(x: Uint32Array, y: Uint32Array, budget: number): number {
  let sum = 0;
  for (let i = 0; i < x.length; i += 2) {
    let best = 64;
    for (let j = 0; j < y.length && best > 0; j += 2) {
      const d = popcount((x[i]! ^ y[j]!) >>> 0) + popcount((x[i + 1]! ^ y[j + 1]!) >>> 0);
      if (d < best) best = d;
    }
    sum += best;
    if (sum > budget) return Infinity;
  }
  return sum;
}

/** Connected components of the duplicate graph (union-find), each sorted, only those of size ≥ 2. */
export function duplicateClusters(pairs: readonly (readonly [string, string, ...unknown[]])[]): string[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r) ?? r;
    while (x !== r) {
      const next = parent.get(x)!;
      parent.set(x, r);
      x = next;
    }
    return r;
  };
  for (const [a, b] of pairs) {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }
  const groups = new Map<string, string[]>();
  for (const id of parent.keys()) {
    const r = find(id);
    groups.set(r, [...(groups.get(r) ?? []), id]);
  }
  return [...groups.values()].map((g) => g.sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}
