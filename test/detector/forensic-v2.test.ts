// forensic-v2 on frames made here: deterministic, finite, named, and each family of features
// responds to what it is meant to see (an up-sampling grid, a shifted frame, independent noise).
import assert from "node:assert/strict";
import { test } from "node:test";
import { forensicV2, median9 } from "../../src/features/forensic-v2.js";
import { EXTRACTORS } from "../../src/features/builtins.js";
import { BUILTIN_EXTRACTORS, loadExtractor } from "../../src/features/registry.js";

const N = 64;

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** A smooth scene (gradients and a disc) plus seeded noise of amplitude `noise`, shifted by (dx, dy). */
function scene(seed: number, noise: number, dx = 0, dy = 0, n = N): Uint8Array {
  const r = seeded(seed);
  const out = new Uint8Array(n * n * 3);
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) {
      const sx = x - dx, sy = y - dy;
      const disc = (sx - n / 2) ** 2 + (sy - n / 2) ** 2 < (n / 4) ** 2 ? 60 : 0;
      for (let c = 0; c < 3; c++) {
        const v = 40 + sx * 1.5 + sy * (c + 1) * 0.7 + disc + noise * (r() - 0.5);
        out[3 * (y * n + x) + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  return out;
}

const at = (name: string) => forensicV2.names.indexOf(name);

test("forensic-v2: registered, one name per dim, finite, deterministic to the bit", async () => {
  assert.equal(EXTRACTORS["forensic-v2"], forensicV2);
  // the registry names the built-ins without loading them: the two lists must agree
  assert.deepEqual(Object.keys(EXTRACTORS), BUILTIN_EXTRACTORS);
  assert.equal(await loadExtractor("forensic-v2", "/"), forensicV2);
  assert.equal(forensicV2.names.length, forensicV2.dims);
  assert.equal(new Set(forensicV2.names).size, forensicV2.dims);
  const a = scene(1, 20), b = scene(2, 20, 1, 0);
  const f1 = forensicV2.frame(a, N, N, b);
  const f2 = forensicV2.frame(Uint8Array.from(a), N, N, Uint8Array.from(b));
  assert.equal(f1.length, forensicV2.dims);
  assert.ok(f1.every(Number.isFinite));
  assert.deepEqual(Buffer.from(f1.buffer), Buffer.from(f2.buffer));
  // scratch buffers of another size in between change nothing
  forensicV2.frame(scene(3, 20, 0, 0, 128), 128, 128, scene(4, 20, 0, 0, 128));
  assert.deepEqual(Buffer.from(forensicV2.frame(a, N, N, b).buffer), Buffer.from(f1.buffer));
  // no neighbour: the temporal features are 0
  const lone = forensicV2.frame(a, N, N);
  for (const k of ["tres_corr", "warp_err", "warp_ratio"]) assert.equal(lone[at(k)], 0);
  assert.throws(() => forensicV2.frame(new Uint8Array(64 * 32 * 3), 64, 32), /square power-of-two/);
  assert.throws(() => forensicV2.frame(new Uint8Array(32 * 32 * 3), 32, 32), /at least 64×64/);
});

test("forensic-v2: median9 is the median, co-occurrences are frequencies", () => {
  const r = seeded(9);
  for (let t = 0; t < 2000; t++) {
    const v = Float64Array.from({ length: 9 }, () => Math.floor(r() * 7));
    const sorted = [...v].sort((x, y) => x - y);
    assert.equal(median9(v), sorted[4]);
  }
  const f = forensicV2.frame(scene(5, 30), N, N, scene(6, 30));
  for (const fam of ["cooc1", "cooc2"]) {
    const sum = forensicV2.names.reduce((s, n, i) => (n.startsWith(fam) ? s + f[i]! : s), 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, `${fam} sums to ${sum}`);
  }
});

test("forensic-v2: a transposed-convolution checkerboard shows as a period-2 peak; up-sampling as a spectral fall-off", () => {
  const base = scene(7, 30);
  const checker = Uint8Array.from(base, (v, i) => {
    const p = i / 3 | 0, x = p % N, y = (p / N) | 0;
    return Math.max(0, Math.min(255, v + ((x & 1) ? 3 : -3) + ((y & 1) ? 3 : -3)));
  });
  const plain = forensicV2.frame(base, N, N);
  const grid = forensicV2.frame(checker, N, N);
  for (const k of ["ypeak_2", "rpeak_2"]) assert.ok(grid[at(k)]! > plain[at(k)]! + 1, `${k} ${grid[at(k)]} vs ${plain[at(k)]}`);
  // 2× nearest-neighbour up-sampling of a noisy frame: its hold filter empties the top rings
  const small = scene(7, 60, 0, 0, N / 2);
  const up = new Uint8Array(N * N * 3);
  for (let y = 0; y < N; y++)
    for (let x = 0; x < N; x++)
      for (let c = 0; c < 3; c++) up[3 * (y * N + x) + c] = small[3 * ((y >> 1) * (N / 2) + (x >> 1)) + c]!;
  const native = forensicV2.frame(scene(7, 60), N, N);
  const upsampled = forensicV2.frame(up, N, N);
  assert.ok(upsampled[at("yspec_31")]! < native[at("yspec_31")]! - 1, `yspec_31 ${upsampled[at("yspec_31")]} vs ${native[at("yspec_31")]}`);
});

test("forensic-v2: warp error and temporal noise correlation", () => {
  const cur = scene(8, 6);
  // the same scene moved by 2 pixels, fresh noise: block matching finds the motion
  const moved = forensicV2.frame(cur, N, N, scene(9, 6, -2, 1));
  assert.ok(moved[at("warp_ratio")]! < 0.6, `warp_ratio ${moved[at("warp_ratio")]}`);
  // the identical frame: no error at all, residuals perfectly correlated
  const same = forensicV2.frame(cur, N, N, Uint8Array.from(cur));
  assert.ok(same[at("warp_err")]! < -6);
  assert.ok(Math.abs(same[at("tres_corr")]! - 1) < 1e-6);
  // independent noise on a static scene: residual correlation well below 1
  const fresh = forensicV2.frame(scene(10, 40), N, N, scene(11, 40));
  assert.ok(fresh[at("tres_corr")]! < 0.5, `tres_corr ${fresh[at("tres_corr")]}`);
});
