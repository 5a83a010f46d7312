// Small pure pieces of extract: frame sampling, dHash, the FFT against a direct DFT.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fft1, powerSpectrumHalf } from "../../src/features/fft.js";
import { forensicV1 } from "../../src/features/forensic.js";
import { dhash, hamming } from "../../src/features/phash.js";
import { sampleIndices, spreadIndices } from "../../src/features/sample.js";

test("sampleIndices: all, capped uniform, exact count with repeats", () => {
  assert.deepEqual(sampleIndices(5, { frames: null, max_frames: null }), [0, 1, 2, 3, 4]);
  assert.deepEqual(sampleIndices(5, { frames: null, max_frames: 8 }), [0, 1, 2, 3, 4]);
  assert.deepEqual(sampleIndices(10, { frames: null, max_frames: 5 }), [1, 3, 5, 7, 9]);
  assert.deepEqual(sampleIndices(4, { frames: 8, max_frames: 2 }), [0, 0, 1, 1, 2, 2, 3, 3]);
  assert.deepEqual(sampleIndices(0, { frames: 8, max_frames: null }), []);
  assert.deepEqual(spreadIndices(100, 4), [12, 37, 62, 87]);
  assert.deepEqual(spreadIndices(2, 4), [0, 1]);
});

test("dHash: 16 hex digits, bit = left brighter than right; Hamming distance", () => {
  const flat = new Uint8Array(72).fill(9);
  assert.equal(dhash(flat), "0000000000000000");
  const falling = Uint8Array.from({ length: 72 }, (_, i) => 100 - (i % 9));
  assert.equal(dhash(falling), "ffffffffffffffff");
  assert.equal(hamming("ffffffffffffffff", "0000000000000000"), 64);
  assert.equal(hamming("00000000000000f1", "0000000000000000"), 5);
});

test("fft1 matches a direct DFT", () => {
  const n = 16;
  const x = Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) + (i % 3));
  const re = Float64Array.from(x);
  const im = new Float64Array(n);
  fft1(re, im, n);
  for (let k = 0; k < n; k++) {
    let r = 0, m = 0;
    for (let t = 0; t < n; t++) {
      r += x[t]! * Math.cos((-2 * Math.PI * k * t) / n);
      m += x[t]! * Math.sin((-2 * Math.PI * k * t) / n);
    }
    assert.ok(Math.abs(re[k]! - r) < 1e-9 && Math.abs(im[k]! - m) < 1e-9, `bin ${k}`);
  }
});

test("powerSpectrumHalf matches a direct 2-D DFT on the half plane", () => {
  const n = 8;
  const img = Float64Array.from({ length: n * n }, (_, i) => Math.cos(i * 0.7) + ((i * 31) % 7) / 7);
  const power = new Float64Array(n * n);
  powerSpectrumHalf(img, n, power);
  for (let v = 0; v < n; v++)
    for (let u = 0; u <= n / 2; u++) {
      let r = 0, m = 0;
      for (let y = 0; y < n; y++)
        for (let x = 0; x < n; x++) {
          const a = (-2 * Math.PI * (u * x + v * y)) / n;
          r += img[y * n + x]! * Math.cos(a);
          m += img[y * n + x]! * Math.sin(a);
        }
      assert.ok(Math.abs(power[v * n + u]! - (r * r + m * m)) < 1e-8, `(${u}, ${v})`);
    }
});

test("forensic-v1: names match dims, smooth frames have a steeper spectrum than noisy ones", () => {
  assert.equal(forensicV1.names.length, forensicV1.dims);
  assert.equal(forensicV1.dims, 53);
  const n = 64; // the smallest size whose 24 spectrum bins all have cells
  const smooth = new Uint8Array(n * n * 3);
  const noisy = new Uint8Array(n * n * 3);
  let s = 1;
  for (let i = 0; i < n * n; i++) {
    const v = 128 + Math.round(60 * Math.sin((i % n) / 5) * Math.cos(Math.floor(i / n) / 7));
    s = (s * 1103515245 + 12345) >>> 0;
    const noise = ((s >>> 16) % 41) - 20;
    for (let c = 0; c < 3; c++) {
      smooth[3 * i + c] = v;
      noisy[3 * i + c] = Math.max(0, Math.min(255, v + noise));
    }
  }
  const a = forensicV1.frame(smooth, n, n);
  const b = forensicV1.frame(noisy, n, n, smooth);
  const hi = forensicV1.names.indexOf("spec_23");
  assert.ok(a[hi]! < b[hi]! - 3, `high-frequency power: smooth ${a[hi]} vs noisy ${b[hi]}`);
  const lap = forensicV1.names.indexOf("lap_std_g");
  assert.ok(a[lap]! < b[lap]!);
  // no previous frame → temporal features are 0; with one they are not
  const t = forensicV1.names.indexOf("tdiff_abs");
  assert.equal(a[t], 0);
  assert.ok(b[t]! > 0);
  assert.throws(() => forensicV1.frame(smooth, 30, 30), /square power-of-two/);
});

test("forensic-v1: a 2-pixel grid (2× up-sampling artefact) shows as a Nyquist peak", () => {
  const n = 64;
  const plain = new Uint8Array(n * n * 3);
  const grid = new Uint8Array(n * n * 3);
  let s = 7;
  for (let i = 0; i < n * n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const v = 100 + ((s >>> 16) % 40);
    const x = i % n, y = Math.floor(i / n);
    for (let c = 0; c < 3; c++) {
      plain[3 * i + c] = v;
      grid[3 * i + c] = v + (x % 2 === 0 && y % 2 === 0 ? 30 : 0);
    }
  }
  const nyq = forensicV1.names.indexOf("peak_nyq");
  const a = forensicV1.frame(plain, n, n)[nyq]!;
  const b = forensicV1.frame(grid, n, n)[nyq]!;
  assert.ok(b > a + 2, `peak_nyq: plain ${a}, grid ${b}`);
});

/** The reference powerSpectrumHalf: fft1 over each pair of rows (row a + i·row b), then over the
 * columns 0..n/2, one transform at a time (the code before the transforms ran side by side). */
function powerSpectrumReference(img: Float64Array, n: number): Float64Array {
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  const power = new Float64Array(n * n);
  const rowRe = new Float64Array(n);
  const rowIm = new Float64Array(n);
  for (let y = 0; y < n; y += 2) {
    const a = y * n;
    const b = a + n;
    for (let x = 0; x < n; x++) {
      rowRe[x] = img[a + x]!;
      rowIm[x] = img[b + x]!;
    }
    fft1(rowRe, rowIm, n);
    for (let k = 0; k <= n / 2; k++) {
      const j = (n - k) & (n - 1);
      const zr = rowRe[k]!, zi = rowIm[k]!, cr = rowRe[j]!, ci = -rowIm[j]!;
      re[a + k] = (zr + cr) / 2;
      im[a + k] = (zi + ci) / 2;
      re[b + k] = (zi - ci) / 2;
      im[b + k] = -(zr - cr) / 2;
    }
  }
  for (let x = 0; x <= n / 2; x++) {
    for (let y = 0; y < n; y++) {
      rowRe[y] = re[y * n + x]!;
      rowIm[y] = im[y * n + x]!;
    }
    fft1(rowRe, rowIm, n);
    for (let y = 0; y < n; y++) power[y * n + x] = rowRe[y]! * rowRe[y]! + rowIm[y]! * rowIm[y]!;
  }
  return power;
}

test("powerSpectrumHalf gives exactly fft1's doubles (rows, then columns), windowed or not", () => {
  for (const n of [2, 4, 8, 16, 32, 64, 128, 256]) {
    // zeros (signed too), flat runs and varied values: every butterfly path, incl. twiddle 1
    const img = Float64Array.from({ length: n * n }, (_, i) => (i % 5 === 0 ? (i % 2 ? -0 : 0) : i % 7 === 0 ? 1 : Math.sin(i * 0.37) * 3 + ((i * 31) % 11) / 11));
    // a separable window, by its n factors: pixel (x, y) is weighted window[x] · window[y]
    const window = Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n) + i / (7 * n));
    const mean = 0.25;
    const windowed = img.map((v, i) => (v - mean) * (window[i % n]! * window[Math.floor(i / n)]!));
    for (const [input, opts] of [[img, undefined], [windowed, { mean, window }]] as const) {
      const power = new Float64Array(n * n);
      powerSpectrumHalf(opts ? img : input, n, power, opts);
      const ref = powerSpectrumReference(input, n);
      for (let y = 0; y < n; y++)
        for (let x = 0; x <= n / 2; x++)
          assert.ok(Object.is(power[y * n + x], ref[y * n + x]), `n ${n}${opts ? " windowed" : ""} (${x}, ${y}): ${power[y * n + x]} vs ${ref[y * n + x]}`);
    }
  }
});
