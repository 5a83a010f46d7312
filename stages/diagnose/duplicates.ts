// Near-duplicate clips from extract's `phash` (64-bit dHash of up to 4 evenly spaced frames).
// Two clips are near-duplicates when, on average, each frame hash of one has a close match among
// the other's (symmetric mean of nearest Hamming distances). The same content labelled real in one
// place and fake in another, or sitting in both train and test, makes any score meaningless.
//
// The search is exact and sub-quadratic. If two clips are within mean distance T, some frame hash
// of one is within Hamming distance T of some frame hash of the other (the smallest of the
// nearest distances is at most their mean). So it suffices to find every pair of frame hashes
// within T, and check only the clip pairs they belong to. Those hash pairs come from a
// multi-index hash (Norouzi et al., "Fast search in Hamming space with multi-index hashing",
// CVPR 2012): the 64 bits are cut into m chunks with radii r_i such that Σ (r_i + 1) > T; two
// hashes within T then differ in at most r_i bits on some chunk i (pigeonhole), so probing each
// chunk's table at every key within r_i of the query's chunk finds them all. With 400 000 hashes
// and T = 8 that is 3 chunks of ~21 bits at radius 2: ~700 probes per hash, each bucket holding
// ~0.1 random hashes, instead of 400 000 comparisons. When no chunking beats comparing every clip
// pair (few clips, or a large T), every pair is compared. Either way the candidates are verified
// with the exact distance, so the result is the same as the exhaustive search's (the tests check
// it against an independent all-pairs oracle).
import type { VideoRecord } from "../../src/artifacts/features.js";
import type { DuplicatePair } from "../../src/artifacts/diagnostics.js";

export type { DuplicatePair };

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

/** One chunk of the 64 bits: bits [start, start + bits) (bit 0 = least significant), probed at
 * every key within `radius` bits. */
export interface Chunk {
  start: number;
  bits: number;
  radius: number;
}

/** How candidates are found: every clip pair, or a multi-index hash over these chunks. */
export type SearchPlan = { kind: "pairs" } | { kind: "index"; chunks: Chunk[] };

/** The frame hashes of the clips that have any, flat frames dropped, clips in id order. */
interface Packed {
  ids: string[];
  hi: Uint32Array;
  lo: Uint32Array;
  /** Clip of each hash. */
  owner: Int32Array;
  /** Hashes of clip c: [start[c], start[c + 1]). */
  start: Int32Array;
}

function pack(clips: readonly Pick<VideoRecord, "id" | "phash">[]): Packed {
  const hashed = clips
    .map((c) => ({ id: c.id, hashes: c.phash.map(parseHash).filter((h) => h.hi !== FLAT || h.lo !== FLAT) }))
    .filter((c) => c.hashes.length > 0)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const n = hashed.reduce((s, c) => s + c.hashes.length, 0);
  const p: Packed = { ids: hashed.map((c) => c.id), hi: new Uint32Array(n), lo: new Uint32Array(n), owner: new Int32Array(n), start: new Int32Array(hashed.length + 1) };
  let k = 0;
  hashed.forEach((c, ci) => {
    p.start[ci] = k;
    for (const h of c.hashes) {
      p.hi[k] = h.hi;
      p.lo[k] = h.lo;
      p.owner[k++] = ci;
    }
  });
  p.start[hashed.length] = k;
  return p;
}

/** All clip pairs within mean distance `maxDistance`, as [idA, idB, distance] with idA < idB,
 * sorted by distance then ids. `plan` is for tests and benchmarks; by default the cheaper of the
 * index and all pairs is chosen by an estimate of the work. */
export function nearDuplicates(clips: readonly Pick<VideoRecord, "id" | "phash">[], maxDistance: number, plan?: SearchPlan): DuplicatePair[] {
  const p = pack(clips);
  const chosen = plan ?? planSearch(p.ids.length, p.hi.length, maxDistance);
  const pairs: DuplicatePair[] = [];
  const verify = (a: number, b: number) => {
    const d = clipDistance(p, a, b, maxDistance);
    if (d !== null) pairs.push([p.ids[a]!, p.ids[b]!, Math.round(d * 100) / 100]);
  };
  if (chosen.kind === "pairs") {
    for (let a = 0; a < p.ids.length; a++) for (let b = a + 1; b < p.ids.length; b++) verify(a, b);
  } else {
    indexCandidates(p, maxDistance, chosen.chunks, verify);
  }
  return pairs.sort((x, y) => x[2] - y[2] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : 1));
}

/** The mean distance of clips a and b (the larger of both directions), or null when it exceeds
 * `max` (exits as soon as a partial sum passes the budget). */
function clipDistance(p: Packed, a: number, b: number, max: number): number | null {
  const na = p.start[a + 1]! - p.start[a]!;
  const nb = p.start[b + 1]! - p.start[b]!;
  const ab = directedSum(p, a, b, max * na);
  if (ab < 0) return null;
  const ba = directedSum(p, b, a, max * nb);
  if (ba < 0) return null;
  return Math.max(ab / na, ba / nb);
}

/** Sum over x's hashes of the distance to the nearest of y's; -1 once it exceeds `budget`. */
function directedSum(p: Packed, x: number, y: number, budget: number): number {
  const { hi, lo, start } = p;
  const y0 = start[y]!;
  const y1 = start[y + 1]!;
  let sum = 0;
  for (let i = start[x]!; i < start[x + 1]!; i++) {
    let best = 64;
    for (let j = y0; j < y1 && best > 0; j++) {
      const d = popcount((hi[i]! ^ hi[j]!) >>> 0) + popcount((lo[i]! ^ lo[j]!) >>> 0);
      if (d < best) best = d;
    }
    sum += best;
    if (sum > budget) return -1;
  }
  return sum;
}

/** The bits [start, start + bits) of the hash (bits ≤ 22). */
function chunkKey(hi: number, lo: number, start: number, bits: number): number {
  const mask = (1 << bits) - 1;
  if (start >= 32) return (hi >>> (start - 32)) & mask;
  if (start + bits <= 32) return (lo >>> start) & mask;
  return ((lo >>> start) | (hi << (32 - start))) & mask;
}

/** Every `bits`-bit mask with at most `radius` bits set, fewest bits first. */
export function masksWithin(bits: number, radius: number): Uint32Array {
  const out: number[] = [0];
  let layer = [{ mask: 0, next: 0 }];
  for (let r = 1; r <= radius; r++) {
    const nextLayer: { mask: number; next: number }[] = [];
    for (const { mask, next } of layer)
      for (let b = next; b < bits; b++) {
        const m = (mask | (1 << b)) >>> 0;
        out.push(m);
        nextLayer.push({ mask: m, next: b + 1 });
      }
    layer = nextLayer;
  }
  return Uint32Array.from(out);
}

/** Calls `verify(a, b)` (a < b) once for every clip pair that has a frame-hash pair within `max`.
 *
 * The time goes into reads at random places: hundreds of probed keys per hash, of which ~10–20 %
 * are in use (each a false candidate, almost always). So the work is laid out for the cache: one
 * chunk's table at a time, and per table a bitmap of the keys still live (their bucket holds a
 * clip after the one being queried; 512 KB at 22 bits), so a probe of an unused or dead key, the
 * usual case, reads one word of it. Per used key, `slots` holds its bucket's last hash inline as
 * [clip, hi, lo, start of the rest] (found by rank: `used` bitmap + `before`, the used keys before
 * each word), so a probe of a live key usually costs one more read; `rest` holds the bucket's
 * other hashes as [clip, hi, lo]. Buckets list their hashes by clip (counting sort, stable) and
 * are walked from the end, stopping at clips ≤ a, so each pair is met from its first clip only;
 * once clip a is done, the keys whose bucket ends with it die. Pairs met in several chunks are
 * verified once. */
function indexCandidates(p: Packed, max: number, chunks: readonly Chunk[], verify: (a: number, b: number) => void): void {
  const clips = p.ids.length;
  const pairs: number[] = []; // a * clips + b
  for (const c of chunks) if (c.radius >= 0) chunkCandidates(p, max, c, pairs);
  const sorted = Float64Array.from(pairs).sort();
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && sorted[i] === sorted[i - 1]) continue;
    const x = sorted[i]!;
    const a = Math.floor(x / clips);
    verify(a, x - a * clips);
  }
}

/** One chunk's table, probed by every hash: pushes a * clips + b for each clip pair (a < b) with a
 * frame-hash pair within `max` whose chunks are within the chunk's radius. */
function chunkCandidates(p: Packed, max: number, c: Chunk, pairs: number[]): void {
  const { hi, lo, owner, start } = p;
  const n = hi.length;
  const clips = p.ids.length;
  const size = 2 ** c.bits;
  const words = Math.ceil(size / 32);
  const keys = new Uint32Array(n);
  const count = new Uint32Array(size);
  for (let i = 0; i < n; i++) {
    const k = chunkKey(hi[i]!, lo[i]!, c.start, c.bits);
    keys[i] = k;
    count[k]!++;
  }
  const live = new Uint32Array(words);
  const usedBits = new Uint32Array(words);
  const before = new Uint32Array(words);
  let used = 0;
  for (let w = 0; w < words; w++) {
    let bits = 0;
    for (let b = 0; b < 32 && 32 * w + b < size; b++) if (count[32 * w + b]! > 0) bits |= 1 << b;
    live[w] = bits;
    usedBits[w] = bits;
    before[w] = used;
    used += popcount(bits >>> 0);
  }
  // slot of each used key, and where its bucket's other hashes go in `rest`
  const slots = new Int32Array(4 * (used + 1));
  const next = new Uint32Array(size);
  for (let k = 0, u = 0, r = 0; k < size; k++) {
    if (count[k] === 0) continue;
    slots[4 * u + 3] = r;
    next[k] = r;
    r += count[k]! - 1;
    u++;
    slots[4 * used + 3] = r;
  }
  const slotOf = (k: number) => 4 * (before[k >>> 5]! + popcount((usedBits[k >>> 5]! & ((1 << (k & 31)) - 1)) >>> 0));
  const rest = new Int32Array(3 * (n - used));
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    if (--count[k]! === 0) {
      // the bucket's last hash (highest index, so latest clip): inline in the slot
      const s = slotOf(k);
      slots[s] = owner[i]!;
      slots[s + 1] = hi[i]!;
      slots[s + 2] = lo[i]!;
    } else {
      const e = 3 * next[k]!++;
      rest[e] = owner[i]!;
      rest[e + 1] = hi[i]!;
      rest[e + 2] = lo[i]!;
    }
  }
  const masks = masksWithin(c.bits, c.radius);
  const seen = new Int32Array(clips).fill(-1); // seen[b] = a: (a, b) already a candidate here
  const candidate = (a: number, b: number, qhi: number, qlo: number, h: number, l: number) => {
    if (popcount((qhi ^ h) >>> 0) + popcount((qlo ^ l) >>> 0) > max || seen[b] === a) return;
    seen[b] = a;
    pairs.push(a * clips + b);
  };
  for (let a = 0; a < clips; a++) {
    for (let q = start[a]!; q < start[a + 1]!; q++) {
      const qhi = hi[q]!;
      const qlo = lo[q]!;
      const key = keys[q]!;
      for (let m = 0; m < masks.length; m++) {
        const k = (key ^ masks[m]!) >>> 0;
        if ((live[k >>> 5]! & (1 << (k & 31))) === 0) continue;
        const s = slotOf(k);
        if (slots[s]! <= a) continue; // only a's own hashes: the bucket dies after a
        candidate(a, slots[s]!, qhi, qlo, slots[s + 1]!, slots[s + 2]!);
        for (let e = 3 * slots[s + 7]! - 3, first = 3 * slots[s + 3]!; e >= first; e -= 3) {
          const b = rest[e]!;
          if (b <= a) break;
          candidate(a, b, qhi, qlo, rest[e + 1]!, rest[e + 2]!);
        }
      }
    }
    // the buckets whose last hash is clip a's hold no clip after a: their keys die
    for (let q = start[a]!; q < start[a + 1]!; q++) {
      const k = keys[q]!;
      if (slots[slotOf(k)]! <= a) live[k >>> 5] = (live[k >>> 5]! & ~(1 << (k & 31))) >>> 0;
    }
  }
}

/** Chunks for `hashes` frame hashes at distance `max`, or all pairs when no chunking is expected
 * to beat comparing every pair of the `clips` clips (few clips, or a large `max`). */
export function planSearch(clips: number, hashes: number, max: number): SearchPlan {
  // Unit costs, in probes of an unused key (~3.5 ns on Node 20, bench/diagnose-split.ts): a probe
  // that hits a used key reads memory at a random place (~40), each hash in the bucket is checked
  // (~3), building a table touches each key (~2); comparing one clip pair directly costs ~36.
  const pairsCost = ((clips * (clips - 1)) / 2) * 36 * (hashes / Math.max(1, clips) / 4) ** 2;
  let best: { cost: number; chunks: Chunk[] } | undefined;
  for (let m = 3; m <= Math.min(32, Math.max(3, max + 1)); m++) {
    const chunks = chunksFor(m, max);
    let cost = 0;
    for (const c of chunks) {
      if (c.radius < 0) continue;
      const load = hashes / 2 ** c.bits;
      const probes = countWithin(c.bits, c.radius);
      cost += 2 ** c.bits * 2 + hashes * probes * (1 + (1 - Math.exp(-load)) * 40 + (load / 2) * 3);
    }
    if (!best || cost < best.cost) best = { cost, chunks };
  }
  return best && best.cost < pairsCost ? { kind: "index", chunks: best.chunks } : { kind: "pairs" };
}

/** m chunks covering the 64 bits (the first 64 mod m one bit wider), radii as small as the
 * pigeonhole allows: Σ (radius + 1) = max + 1 exactly when m ≤ max + 1 (a chunk at radius -1 is
 * not probed). */
export function chunksFor(m: number, max: number): Chunk[] {
  const chunks: Chunk[] = [];
  let start = 0;
  for (let i = 0; i < m; i++) {
    const bits = Math.floor(64 / m) + (i < 64 % m ? 1 : 0);
    chunks.push({ start, bits, radius: Math.floor(max / m) });
    start += bits;
  }
  let slack = m * (Math.floor(max / m) + 1) - (max + 1);
  // at radius ≥ 1 the widest chunks have the most keys to probe: reduce those; at radius 0 (one
  // probe each) the narrowest have the fullest buckets: drop those
  const order = [...chunks].sort((x, y) => (max >= m ? y.bits - x.bits : x.bits - y.bits));
  for (const c of order) {
    if (slack <= 0) break;
    c.radius--;
    slack--;
  }
  return chunks;
}

function countWithin(bits: number, radius: number): number {
  let total = 0;
  let c = 1;
  for (let k = 0; k <= radius; k++) {
    total += c;
    c = (c * (bits - k)) / (k + 1);
  }
  return total;
}
