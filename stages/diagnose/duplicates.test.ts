// The indexed near-duplicate search against an exhaustive oracle written independently here
// (BigInt hashes, bit counting by string, every clip pair): same pairs, same distances, same
// clusters, at and around the threshold, for every way of cutting the 64 bits into chunks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { clusters } from "../../src/dataset/clusters.js";
import { mulberry32 } from "../../src/lib/random.js";
import { chunksFor, masksWithin, nearDuplicates, planSearch, type SearchPlan } from "./duplicates.js";

type Clip = { id: string; phash: string[] };

/** The definition, by brute force: for each pair of clips with a non-flat hash, the larger of the
 * two directed mean nearest-neighbour Hamming distances; pairs within `max`. */
function oracle(clips: readonly Clip[], max: number): [string, string, number][] {
  const ones = (x: number) => {
    let n = 0;
    for (x >>>= 0; x; x = (x & (x - 1)) >>> 0) n++;
    return n;
  };
  const split = (x: bigint): [number, number] => [Number(x >> 32n), Number(x & 0xffffffffn)];
  const bits = (a: [number, number], b: [number, number]) => ones(a[0] ^ b[0]) + ones(a[1] ^ b[1]);
  const hs = clips
    .map((c) => ({ id: c.id, h: c.phash.map((x) => BigInt(`0x${x}`)).filter((x) => x !== 0n).map(split) }))
    .filter((c) => c.h.length)
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const directed = (x: [number, number][], y: [number, number][]) => x.reduce((s, a) => s + Math.min(...y.map((b) => bits(a, b))), 0) / x.length;
  const out: [string, string, number][] = [];
  for (let i = 0; i < hs.length; i++)
    for (let j = i + 1; j < hs.length; j++) {
      const d = Math.max(directed(hs[i]!.h, hs[j]!.h), directed(hs[j]!.h, hs[i]!.h));
      if (d <= max) out.push([hs[i]!.id, hs[j]!.id, Math.round(d * 100) / 100]);
    }
  return out.sort((x, y) => x[2] - y[2] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : 1));
}

const hex = (x: bigint) => x.toString(16).padStart(16, "0");

/** Random clips plus planted near-copies: each copy's frames differ from the original's by
 * chosen bit counts (exactly max, max ± 1, uneven frames averaging max), chains A~B~C whose ends
 * are 2·max apart, flat frames, repeated frames, clips sharing one close frame only. */
function dataset(seed: number, n: number, max: number): Clip[] {
  const r = mulberry32(seed);
  const rand64 = () => (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
  const flip = (h: bigint, k: number, avoid = 0n): bigint => {
    const positions = new Set<number>();
    while (positions.size < k) {
      const p = Math.floor(r() * 64);
      if (!((avoid >> BigInt(p)) & 1n)) positions.add(p);
    }
    let out = h;
    for (const p of positions) out ^= 1n << BigInt(p);
    return out;
  };
  const clips: Clip[] = [];
  let id = 0;
  const add = (hs: bigint[]) => clips.push({ id: `c${String(id++).padStart(4, "0")}`, phash: hs.map(hex) });
  while (clips.length < n) {
    const frames = 1 + Math.floor(r() * 4);
    const base = Array.from({ length: frames }, rand64);
    add(base);
    const kind = Math.floor(r() * 8);
    const k = Math.max(0, max + [0, -1, 1][Math.floor(r() * 3)]!); // at, just under, just over
    if (kind === 0) add(base.map((h) => flip(h, Math.min(64, k))));
    else if (kind === 1 && frames >= 2) {
      // uneven: frame distances max-2, max+2 (mean max), the rest exact
      add(base.map((h, i) => flip(h, Math.min(64, Math.max(0, i === 0 ? max - 2 : i === 1 ? max + 2 : max)))));
    } else if (kind === 2) {
      // a chain: B is max bits from A, C is max other bits from B (2·max from A)
      const b = base.map((h) => flip(h, Math.min(32, max)));
      add(b);
      add(b.map((h, i) => flip(h, Math.min(32, max), h ^ base[i]!)));
    } else if (kind === 3) add([...base, 0n]); // a flat frame more: ignored
    else if (kind === 4) add([base[0]!, base[0]!, flip(base[0]!, 1)]); // one frame, repeated
    else if (kind === 5) add([flip(base[0]!, Math.min(64, k)), rand64()]); // one close frame, one far
  }
  clips.push({ id: "flat1", phash: [hex(0n)] }, { id: "flat2", phash: [hex(0n), hex(0n)] }, { id: "none", phash: [] });
  return clips;
}

test("chunking: bits cover the 64 once, radii satisfy the pigeonhole Σ (r + 1) ≥ max + 1", () => {
  for (let max = 0; max <= 40; max++)
    for (let m = 3; m <= 32; m++) {
      const cs = chunksFor(m, max);
      assert.equal(cs.reduce((s, c) => s + c.bits, 0), 64);
      cs.forEach((c, i) => assert.equal(c.start, i === 0 ? 0 : cs[i - 1]!.start + cs[i - 1]!.bits));
      assert.ok(cs.every((c) => c.bits <= 22 && c.radius >= -1));
      assert.ok(cs.reduce((s, c) => s + c.radius + 1, 0) >= max + 1, `m ${m} max ${max}`);
    }
  assert.deepEqual(chunksFor(3, 8).map((c) => [c.bits, c.radius]), [[22, 2], [21, 2], [21, 2]]);
  assert.deepEqual(chunksFor(4, 8).map((c) => c.radius), [1, 1, 1, 2], "Σ (r + 1) = 9: three of the four chunks drop to radius 1");
  assert.deepEqual(chunksFor(3, 0).map((c) => c.radius), [0, -1, -1], "exact matches: one chunk suffices");
  assert.equal(masksWithin(21, 2).length, 1 + 21 + 210);
  assert.equal(new Set(masksWithin(10, 3)).size, 1 + 10 + 45 + 120);
  assert.ok([...masksWithin(10, 3)].every((m) => m < 1024));
});

test("plan: all pairs for a few clips or a large distance, an index at 100 000 clips and distance 8", () => {
  assert.deepEqual(planSearch(20, 80, 8), { kind: "pairs" });
  const big = planSearch(100_000, 400_000, 8);
  assert.equal(big.kind, "index");
  assert.ok(big.kind === "index" && big.chunks.reduce((s, c) => s + c.radius + 1, 0) === 9);
  assert.equal(planSearch(100_000, 400_000, 40).kind, "pairs");
});

test("indexed search = exhaustive oracle: pairs, distances and clusters, at, under and over the threshold", () => {
  for (const max of [0, 1, 2, 5, 8, 13]) {
    const clips = dataset(100 + max, 300, max);
    const expected = oracle(clips, max);
    assert.ok(expected.length >= 20, `max ${max}: the data plants near-duplicates (${expected.length})`);
    assert.ok(expected.some((p) => p[2] === max), `max ${max}: some pair exactly at the threshold`);
    assert.ok(oracle(clips, max + 1).some((p) => p[2] === max + 1), `max ${max}: some pair just over it (left out)`);
    const plans: SearchPlan[] = [{ kind: "pairs" }];
    for (let m = 3; m <= Math.max(3, Math.min(max + 1, 16)); m++) plans.push({ kind: "index", chunks: chunksFor(m, max) });
    for (const plan of plans) {
      const got = nearDuplicates(clips, max, plan);
      const what = `max ${max}, ${plan.kind === "pairs" ? "all pairs" : `${plan.chunks.length} chunks`}`;
      assert.deepEqual(got, expected, what);
      assert.deepEqual(clusters(got), clusters(expected), what);
    }
    assert.deepEqual(nearDuplicates(clips, max), expected, `max ${max}, default plan`);
    // just over the threshold is out, and every pair found at max - 1 is found at max
    if (max > 0) {
      const under = oracle(clips, max - 1);
      assert.ok(under.length < expected.length, `max ${max}: pairs just over max - 1 exist`);
      assert.deepEqual(nearDuplicates(clips, max - 1, { kind: "index", chunks: chunksFor(3, max - 1) }), under);
    }
  }
});

test("a chain A~B~C is one cluster though A and C are 2·max apart", () => {
  const a = 0x0123456789abcdefn;
  const b = a ^ 0xffn; // 8 bits
  const c = b ^ 0xff00n; // 8 more: 16 from a
  const clips = [
    { id: "a", phash: [hex(a)] },
    { id: "b", phash: [hex(b)] },
    { id: "c", phash: [hex(c)] },
    { id: "d", phash: [hex(c ^ 0x1ff0000n)] }, // 9 from c: just over
  ];
  const pairs = nearDuplicates(clips, 8, { kind: "index", chunks: chunksFor(3, 8) });
  assert.deepEqual(pairs, [["a", "b", 8], ["b", "c", 8]]);
  assert.deepEqual(clusters(pairs), [["a", "b", "c"]]);
  assert.deepEqual(pairs, oracle(clips, 8));
});
