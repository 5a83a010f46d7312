// In-place iterative radix-2 FFT and a 2-D transform over square power-of-two images. Plain
// Float64Array maths: deterministic, no dependencies. The 2-D power spectrum gives exactly the
// doubles fft1 gives row by row and column by column (extract's features, hence trained models,
// depend on every bit), ~0.12 ms for 128×128 in V8.
const tables = new Map<number, { cos: Float64Array; sin: Float64Array; rev: Uint32Array }>();

function table(n: number) {
  let t = tables.get(n);
  if (t) return t;
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let i = 0; i < n / 2; i++) {
    cos[i] = Math.cos((2 * Math.PI * i) / n);
    sin[i] = -Math.sin((2 * Math.PI * i) / n);
  }
  const rev = new Uint32Array(n);
  const bits = Math.log2(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  t = { cos, sin, rev };
  tables.set(n, t);
  return t;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0;
}

/** Forward FFT of (re, im), length n (a power of two), in place. */
export function fft1(re: Float64Array, im: Float64Array, n: number): void {
  const { cos, sin, rev } = table(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i]!;
    if (j > i) {
      let t = re[i]!;
      re[i] = re[j]!;
      re[j] = t;
      t = im[i]!;
      im[i] = im[j]!;
      im[j] = t;
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step]!;
        const wi = sin[k * step]!;
        const a = start + k;
        const b = a + half;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

/** The 2-D transform's plan for one size: per radix-2 stage, its twiddles in butterfly order (the
 * very values fft1 reads, cos/sin[k·n/size]), and scratch for the row and column passes. */
interface Plan2 {
  rev: Uint32Array;
  stages: { half: number; wr: Float64Array; wi: Float64Array }[];
  /** Row pass: n/2 complex rows (row 2p + i·row 2p+1), stored frequency-major: [x · n/2 + p]. */
  zr: Float64Array;
  zi: Float64Array;
  /** Column pass: the n/2 + 1 half-plane columns, stored row-major: [y · (n/2 + 1) + x]. */
  cr: Float64Array;
  ci: Float64Array;
}
const plans = new Map<number, Plan2>();

function plan2(n: number): Plan2 {
  let p = plans.get(n);
  if (p) return p;
  const { cos, sin, rev } = table(n);
  const stages: Plan2["stages"] = [];
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    stages.push({ half, wr: Float64Array.from({ length: half }, (_, k) => cos[k * step]!), wi: Float64Array.from({ length: half }, (_, k) => sin[k * step]!) });
  }
  const h = n / 2;
  p = { rev, stages, zr: new Float64Array(n * h), zi: new Float64Array(n * h), cr: new Float64Array(n * (h + 1)), ci: new Float64Array(n * (h + 1)) };
  plans.set(n, p);
  return p;
}

/** Radix-2 butterflies of `lanes` independent transforms of length n at once: element t of
 * transform l is at [t · lanes + l] (already in bit-reversed order). Each transform gets exactly
 * fft1's butterflies (same twiddles, same operations), so the results are the same doubles; running
 * the transforms side by side keeps the inner loop contiguous with fixed twiddles, and two stages
 * are done per pass over the data (a stage's butterflies are independent of each other, so their
 * order does not matter). The butterflies with twiddle 1 (k = 0) skip the multiplication: it only
 * changes the sign of a zero, never a magnitude, and the power spectrum squares it away. */
function butterflies(re: Float64Array, im: Float64Array, n: number, lanes: number, stages: Plan2["stages"]): void {
  let s = 0;
  for (; s + 1 < stages.length; s += 2) twoStages(re, im, n, lanes, stages[s]!, stages[s + 1]!);
  if (s < stages.length) oneStage(re, im, n, lanes, stages[s]!);
}

type Stage = Plan2["stages"][number];

function oneStage(re: Float64Array, im: Float64Array, n: number, lanes: number, { half, wr: twr, wi: twi }: Stage): void {
  const size = half << 1;
  for (let start = 0; start < n; start += size) {
    for (let k = 0; k < half; k++) {
      const wr = twr[k]!;
      const wi = twi[k]!;
      const a0 = (start + k) * lanes;
      const b0 = a0 + half * lanes;
      for (let l = 0; l < lanes; l++) {
        const a = a0 + l;
        const b = b0 + l;
        const br = re[b]!;
        const bi = im[b]!;
        const xr = k === 0 ? br : br * wr - bi * wi;
        const xi = k === 0 ? bi : br * wi + bi * wr;
        const ar = re[a]!;
        const ai = im[a]!;
        re[b] = ar - xr;
        im[b] = ai - xi;
        re[a] = ar + xr;
        im[a] = ai + xi;
      }
    }
  }
}

/** Stage s (half h) and stage s + 1 (half 2h) in one pass: per group of 4h elements and k < h, the
 * four elements a, b = a + h, c = a + 2h, d = a + 3h get stage s's butterflies (a, b) and (c, d)
 * (twiddle k), then stage s + 1's (a, c) (twiddle k) and (b, d) (twiddle k + h). */
function twoStages(re: Float64Array, im: Float64Array, n: number, lanes: number, s1: Stage, s2: Stage): void {
  const h = s1.half;
  const step = h * lanes;
  for (let start = 0; start < n; start += 4 * h) {
    for (let k = 0; k < h; k++) {
      const a0 = (start + k) * lanes;
      const w3r = s2.wr[k + h]!;
      const w3i = s2.wi[k + h]!;
      if (k === 0) {
        for (let l = 0; l < lanes; l++) {
          const a = a0 + l, b = a + step, c = b + step, d = c + step;
          const ar = re[a]!, ai = im[a]!, br = re[b]!, bi = im[b]!, cr = re[c]!, ci = im[c]!, dr = re[d]!, di = im[d]!;
          const a1r = ar + br, a1i = ai + bi, b1r = ar - br, b1i = ai - bi;
          const c1r = cr + dr, c1i = ci + di, d1r = cr - dr, d1i = ci - di;
          const vr = d1r * w3r - d1i * w3i, vi = d1r * w3i + d1i * w3r;
          re[a] = a1r + c1r; im[a] = a1i + c1i;
          re[c] = a1r - c1r; im[c] = a1i - c1i;
          re[b] = b1r + vr; im[b] = b1i + vi;
          re[d] = b1r - vr; im[d] = b1i - vi;
        }
        continue;
      }
      const w1r = s1.wr[k]!;
      const w1i = s1.wi[k]!;
      const w2r = s2.wr[k]!;
      const w2i = s2.wi[k]!;
      for (let l = 0; l < lanes; l++) {
        const a = a0 + l, b = a + step, c = b + step, d = c + step;
        const ar = re[a]!, ai = im[a]!, br = re[b]!, bi = im[b]!, cr = re[c]!, ci = im[c]!, dr = re[d]!, di = im[d]!;
        const xr = br * w1r - bi * w1i, xi = br * w1i + bi * w1r;
        const a1r = ar + xr, a1i = ai + xi, b1r = ar - xr, b1i = ai - xi;
        const yr = dr * w1r - di * w1i, yi = dr * w1i + di * w1r;
        const c1r = cr + yr, c1i = ci + yi, d1r = cr - yr, d1i = ci - yi;
        const ur = c1r * w2r - c1i * w2i, ui = c1r * w2i + c1i * w2r;
        const vr = d1r * w3r - d1i * w3i, vi = d1r * w3i + d1i * w3r;
        re[a] = a1r + ur; im[a] = a1i + ui;
        re[c] = a1r - ur; im[c] = a1i - ui;
        re[b] = b1r + vr; im[b] = b1i + vi;
        re[d] = b1r - vr; im[d] = b1i - vi;
      }
    }
  }
}

/** Power spectrum |F|² of a real n×n image (row-major) on the half plane the other half mirrors
 * (|F(u, v)| = |F(-u, -v)| for real input): `power[y·n + x]` is written for x in [0, n/2] only.
 * With `windowed`, the image transformed is (img[y·n + x] - mean) · (window[x] · window[y]): a
 * separable window given by its n factors (an n×n table would be read column-wise here, a cache
 * miss per pixel, for the same doubles).
 * The same doubles as fft1 over the rows (two real rows per complex transform), then over the
 * columns 0..n/2 (test/video/units.test.ts checks it against that reference); the transforms of a
 * pass run side by side (butterflies). */
export function powerSpectrumHalf(img: Float64Array, n: number, power: Float64Array, windowed?: { mean: number; window: Float64Array }): void {
  const { rev, stages, zr, zi, cr, ci } = plan2(n);
  const h = n / 2;
  const W = h + 1;
  // rows, two at a time: one complex FFT of (row 2p) + i·(row 2p+1) gives both real rows' spectra
  // (the image is read row by row; the writes, n apart, stay within a few KiB of cache lines)
  if (windowed) {
    const { mean, window } = windowed;
    for (let p = 0; p < h; p++) {
      const a0 = 2 * p * n;
      const wa = window[2 * p]!;
      const wb = window[2 * p + 1]!;
      for (let x = 0; x < n; x++) {
        const d = rev[x]! * h + p;
        const wx = window[x]!;
        zr[d] = (img[a0 + x]! - mean) * (wx * wa);
        zi[d] = (img[a0 + n + x]! - mean) * (wx * wb);
      }
    }
  } else {
    for (let p = 0; p < h; p++) {
      const a0 = 2 * p * n;
      for (let x = 0; x < n; x++) {
        const d = rev[x]! * h + p;
        zr[d] = img[a0 + x]!;
        zi[d] = img[a0 + n + x]!;
      }
    }
  }
  butterflies(zr, zi, n, h, stages);
  // A_k = (Z_k + conj(Z_{n-k})) / 2,  B_k = (Z_k - conj(Z_{n-k})) / 2i, written to the column
  // pass's rows in bit-reversed order
  for (let p = 0; p < h; p++) {
    const ra = rev[2 * p]! * W;
    const rb = rev[2 * p + 1]! * W;
    for (let k = 0; k <= h; k++) {
      const j = (n - k) & (n - 1);
      const zR = zr[k * h + p]!, zI = zi[k * h + p]!, cR = zr[j * h + p]!, cI = -zi[j * h + p]!;
      cr[ra + k] = (zR + cR) / 2;
      ci[ra + k] = (zI + cI) / 2;
      cr[rb + k] = (zI - cI) / 2;
      ci[rb + k] = -(zR - cR) / 2;
    }
  }
  // columns 0..n/2
  butterflies(cr, ci, n, W, stages);
  for (let y = 0; y < n; y++)
    for (let x = 0; x <= h; x++) {
      const r = cr[y * W + x]!;
      const i = ci[y * W + x]!;
      power[y * n + x] = r * r + i * i;
    }
}
