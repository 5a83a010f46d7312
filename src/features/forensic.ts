// "forensic-v1": per-frame statistics that carry generator traces without downloaded weights.
//  - spectrum: azimuthally averaged log power spectrum of the (Hann-windowed) grey frame, relative
//    to the frame's total power, so contrast does not matter but the spectral shape does —
//    up-sampling and diffusion decoders leave a high-frequency fall-off or periodic peaks there,
//    and the peaks themselves (at half and quarter of the sampling rate) against their surroundings;
//  - noise residuals: a Laplacian high-pass per channel (std, kurtosis), second-order horizontal and
//    vertical residuals, and the correlation of residuals across channels (camera demosaicing
//    couples them; rendered frames do not);
//  - colour: per-channel mean/std and saturation;
//  - temporal: the difference to the neighbouring decoded frame (magnitude, signed brightness
//    change = flicker, its energy in a low band (8×8 block means), overall and in a high band
//    (Laplacian)) and the correlation of the noise residual between the two frames (sensor noise
//    is independent frame to frame).
// The spectrum is computed on the half plane only (a real image's spectrum is symmetric) and the
// temporal bands in the pixel domain: one half FFT per frame keeps features cheaper than decoding.
// Everything is computed on [0, 1] pixel values in float64 and rounded once to float32. The
// pixel-domain statistics come from one fused pass of running sums (raw moments), so a frame costs
// one half-plane FFT plus two passes over its pixels.
import { isPowerOfTwo, powerSpectrumHalf } from "./fft.js";
import type { SyncFeatureExtractor } from "./extractor.js";

const SPEC_BINS = 24;
const CH = ["r", "g", "b"] as const;

const NAMES: string[] = [
  ...Array.from({ length: SPEC_BINS }, (_, i) => `spec_${String(i).padStart(2, "0")}`),
  "peak_hi",
  "peak_nyq",
  "peak_quarter",
  ...CH.map((c) => `lap_std_${c}`),
  ...CH.map((c) => `lap_kurt_${c}`),
  "res2_std_h",
  "res2_std_v",
  "res_corr_rg",
  "res_corr_gb",
  "grad_mean",
  ...CH.map((c) => `mean_${c}`),
  ...CH.map((c) => `std_${c}`),
  "sat_mean",
  "sat_std",
  "tdiff_abs",
  "tdiff_std",
  "tdiff_mean",
  "tres_corr",
  "tband_low",
  "tband_all",
  "tband_high",
];

interface Geometry {
  window: Float64Array;
  /** Radial bin of each half-plane cell (x ≤ n/2), -1 when unused. */
  bin: Int16Array;
  /** How many cells of the full plane each half-plane cell stands for (2, or 1 on x = 0, n/2). */
  weight: Float64Array;
  binCount: Float64Array;
}
const geometries = new Map<number, Geometry>();

/** Scratch buffers reused across frames (per size): a frame allocates nothing big, which keeps the
 * garbage collector out of the hot loop (it tripled the cost per frame in worker threads). */
interface Scratch {
  grey: Float64Array;
  prevGrey: Float64Array;
  power: Float64Array;
  fftIn: Float64Array;
  re: Float64Array;
  im: Float64Array;
}
const scratches = new Map<number, Scratch>();
function scratch(n: number): Scratch {
  let s = scratches.get(n);
  if (s) return s;
  const N = n * n;
  s = {
    grey: new Float64Array(N), prevGrey: new Float64Array(N), power: new Float64Array(N),
    fftIn: new Float64Array(N), re: new Float64Array(N), im: new Float64Array(N),
  };
  scratches.set(n, s);
  return s;
}

/** Hann window and, per half-plane spectrum cell, its radial bin (SPEC_BINS over radius 0..1 of
 * Nyquist; -1 outside, at DC, or in the mirrored half) and weight. */
function geometry(n: number): Geometry {
  let g = geometries.get(n);
  if (g) return g;
  const { window, bin, weight, binCount } = radialLayout(n, SPEC_BINS, (r) => Math.min(SPEC_BINS - 1, Math.floor(r * SPEC_BINS)));
  // A bin without cells would give 0/0 = NaN features: below 48 pixels the bins are narrower than
  // one pixel ring. Say so instead of writing NaN into every clip.
  const empty = binCount.findIndex((c) => c === 0);
  if (empty >= 0) throw new Error(`forensic-v1 needs frames of at least 64×64 (the ${SPEC_BINS}-bin radial spectrum), got ${n}×${n}: set extract.size: 64 or more`);
  g = { window, bin, weight, binCount };
  geometries.set(n, g);
  return g;
}

export const forensicV1: SyncFeatureExtractor = {
  name: "forensic-v1",
  dims: NAMES.length,
  names: NAMES,
  sizeError: powerOfTwoSize("forensic-v1"),
  frame(rgb, w, h, prev) {
    checkSquareFrame("forensic-v1", rgb, w, h, prev);
    const n = w;
    const N = n * n;
    const geo = geometry(n);
    const ws = scratch(n);
    const out = new Float64Array(NAMES.length);
    let o = 0;

    // pass 1: grey levels (current and neighbour), colour statistics, frame difference
    const grey = ws.grey;
    const pg = ws.prevGrey;
    let sr = 0, sg = 0, sb = 0, qr = 0, qg = 0, qb = 0, sat = 0, sat2 = 0, greySum = 0;
    let dSum = 0, dSq = 0, dAbs = 0;
    for (let i = 0, j = 0; i < N; i++, j += 3) {
      const r = rgb[j]! / 255, g = rgb[j + 1]! / 255, b = rgb[j + 2]! / 255;
      const v = 0.299 * r + 0.587 * g + 0.114 * b;
      grey[i] = v;
      greySum += v;
      sr += r; sg += g; sb += b;
      qr += r * r; qg += g * g; qb += b * b;
      const mx = r > g ? (r > b ? r : b) : g > b ? g : b;
      const mn = r < g ? (r < b ? r : b) : g < b ? g : b;
      const s = mx > 0 ? (mx - mn) / mx : 0;
      sat += s;
      sat2 += s * s;
      if (prev) {
        const pv = (0.299 * prev[j]! + 0.587 * prev[j + 1]! + 0.114 * prev[j + 2]!) / 255;
        pg[i] = pv;
        const d = v - pv;
        dSum += d; dSq += d * d; dAbs += d < 0 ? -d : d;
      }
    }

    // spectrum of the windowed, mean-removed grey frame
    const greyMean = greySum / N;
    const x = ws.fftIn;
    for (let i = 0; i < N; i++) x[i] = (grey[i]! - greyMean) * geo.window[i]!;
    const power = ws.power;
    powerSpectrumHalf(x, n, power, ws.re, ws.im);
    const ring = new Float64Array(SPEC_BINS);
    let total = 0;
    let totalCount = 0;
    for (let i = 0; i < N; i++) {
      const k = geo.bin[i]!;
      if (k < 0) continue;
      const wp = geo.weight[i]! * power[i]!;
      ring[k]! += wp;
      total += wp;
      totalCount += geo.weight[i]!;
    }
    const logTotal = Math.log(total / totalCount / N + 1e-12);
    for (let k = 0; k < SPEC_BINS; k++) out[o++] = Math.log(ring[k]! / geo.binCount[k]! / N + 1e-12) - logTotal;
    // periodic peaks (the azimuthal average smears them out): the strongest high-frequency cell
    // against the high band's mean, and the cells where 2× and 4× up-sampling put their grid
    // artefacts (half and quarter of the sampling rate) against their surroundings
    let hiMax = 0, hiSum = 0, hiCount = 0;
    for (let i = 0; i < N; i++) {
      if (geo.bin[i]! < SPEC_BINS / 2) continue;
      const pw = power[i]!;
      if (pw > hiMax) hiMax = pw;
      hiSum += geo.weight[i]! * pw;
      hiCount += geo.weight[i]!;
    }
    out[o++] = Math.log((hiMax + 1e-12) / (hiSum / Math.max(1, hiCount) + 1e-12));
    out[o++] = peakRatio(power, n, [[n / 2, 0], [0, n / 2], [n / 2, n / 2]]);
    out[o++] = peakRatio(power, n, [[n / 4, 0], [0, n / 4], [n / 4, n / 4], [n / 4, -n / 4]]);

    // pass 2 (interior pixels): Laplacian residuals per channel and of the grey frames, second-order
    // residuals, gradients; running raw moments so nothing is stored
    // per channel r, g, b: Σl, Σl², Σl³, Σl⁴ (scalars, not an array: stores in the hot loop cost)
    let r1 = 0, r2 = 0, r3 = 0, r4 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0;
    let crg = 0, cgb = 0;
    let h1 = 0, h2 = 0, v1 = 0, v2 = 0, grad = 0;
    let la1 = 0, la2 = 0, lb1 = 0, lb2 = 0, lab = 0, ldiff = 0;
    const M = (n - 2) * (n - 2);
    const row = 3 * n;
    const k = 1 / 255;
    for (let y = 1; y < n - 1; y++) {
      for (let xx = 1; xx < n - 1; xx++) {
        const i = y * n + xx;
        const j = 3 * i;
        const lr = (4 * rgb[j]! - rgb[j - 3]! - rgb[j + 3]! - rgb[j - row]! - rgb[j + row]!) * k;
        const lg = (4 * rgb[j + 1]! - rgb[j - 2]! - rgb[j + 4]! - rgb[j + 1 - row]! - rgb[j + 1 + row]!) * k;
        const lb = (4 * rgb[j + 2]! - rgb[j - 1]! - rgb[j + 5]! - rgb[j + 2 - row]! - rgb[j + 2 + row]!) * k;
        const rr = lr * lr, gg = lg * lg, bb = lb * lb;
        r1 += lr; r2 += rr; r3 += rr * lr; r4 += rr * rr;
        g1 += lg; g2 += gg; g3 += gg * lg; g4 += gg * gg;
        b1 += lb; b2 += bb; b3 += bb * lb; b4 += bb * bb;
        crg += lr * lg;
        cgb += lg * lb;
        const gc = grey[i]!, gl = grey[i - 1]!, gr = grey[i + 1]!, gu = grey[i - n]!, gd = grey[i + n]!;
        const hh = gl - 2 * gc + gr;
        const vv = gu - 2 * gc + gd;
        h1 += hh; h2 += hh * hh; v1 += vv; v2 += vv * vv;
        grad += Math.abs(gr - gc) + Math.abs(gd - gc);
        if (prev) {
          const a = 4 * gc - gl - gr - gu - gd;
          const pc = pg[i]!;
          const b = 4 * pc - pg[i - 1]! - pg[i + 1]! - pg[i - n]! - pg[i + n]!;
          la1 += a; la2 += a * a; lb1 += b; lb2 += b * b; lab += a * b; ldiff += (a - b) * (a - b);
        }
      }
    }
    const stats = [
      rawMoments(r1 / M, r2 / M, r3 / M, r4 / M),
      rawMoments(g1 / M, g2 / M, g3 / M, g4 / M),
      rawMoments(b1 / M, b2 / M, b3 / M, b4 / M),
    ];
    for (const st of stats) out[o++] = st.std;
    for (const st of stats) out[o++] = st.kurt;
    out[o++] = Math.sqrt(Math.max(0, h2 / M - (h1 / M) ** 2));
    out[o++] = Math.sqrt(Math.max(0, v2 / M - (v1 / M) ** 2));
    out[o++] = corr(crg / M, stats[0]!, stats[1]!);
    out[o++] = corr(cgb / M, stats[1]!, stats[2]!);
    out[o++] = grad / M;

    // colour
    for (const sc of [sr, sg, sb]) out[o++] = sc / N;
    const qs = [qr, qg, qb];
    [sr, sg, sb].forEach((sc, c) => (out[o++] = Math.sqrt(Math.max(0, qs[c]! / N - (sc / N) ** 2))));
    out[o++] = sat / N;
    out[o++] = Math.sqrt(Math.max(0, sat2 / N - (sat / N) ** 2));

    // temporal, against the neighbouring decoded frame
    if (prev) {
      const mean = dSum / N;
      const variance = Math.max(0, dSq / N - mean * mean);
      out[o++] = dAbs / N;
      out[o++] = Math.sqrt(variance);
      out[o++] = mean;
      const va = la2 / M - (la1 / M) ** 2;
      const vb = lb2 / M - (lb1 / M) ** 2;
      out[o++] = va > 1e-20 && vb > 1e-20 ? (lab / M - (la1 / M) * (lb1 / M)) / Math.sqrt(va * vb) : 0;
      for (let i = 0; i < N; i++) x[i] = grey[i]! - pg[i]!;
      out[o++] = Math.log(blockEnergy(x, n, 8, mean) + 1e-8);
      out[o++] = Math.log(variance + 1e-8);
      out[o++] = Math.log(ldiff / M + 1e-8);
    } else {
      o += 7;
    }
    return Float32Array.from(out);
  },
};

/** Hann window of an n×n frame and, per half-plane spectrum cell (x ≤ n/2), its radial bin
 * (`binOf(r)` for radius r in (0, 1] of Nyquist; -1 outside, at DC, or in the mirrored half), the
 * cells of the full plane it stands for (2, or 1 on x = 0 and x = n/2), and each bin's count. */
export function radialLayout(n: number, bins: number, binOf: (r: number) => number): { window: Float64Array; bin: Int16Array; weight: Float64Array; binCount: Float64Array } {
  const w1 = Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
  const window = new Float64Array(n * n);
  const bin = new Int16Array(n * n).fill(-1);
  const weight = new Float64Array(n * n);
  const binCount = new Float64Array(bins);
  for (let y = 0; y < n; y++) {
    const fy = y < n / 2 ? y : y - n;
    for (let x = 0; x < n; x++) {
      const i = y * n + x;
      window[i] = w1[x]! * w1[y]!;
      if (x > n / 2) continue;
      const r = Math.sqrt(x * x + fy * fy) / (n / 2);
      if (r === 0 || r > 1) continue;
      const k = binOf(r);
      bin[i] = k;
      weight[i] = x === 0 || x === n / 2 ? 1 : 2;
      binCount[k]! += weight[i]!;
    }
  }
  return { window, bin, weight, binCount };
}

/** sizeError of an extractor that needs power-of-two frames. */
export function powerOfTwoSize(name: string): (size: number) => string | undefined {
  return (size) => (isPowerOfTwo(size) ? undefined : `${name} needs size to be a power of two (64, 128, 256...), got ${size}`);
}

/** The checks a square power-of-two extractor makes on its input (forensic-v1, forensic-v2). */
export function checkSquareFrame(name: string, rgb: Uint8Array, w: number, h: number, prev: Uint8Array | undefined): void {
  if (w !== h || !isPowerOfTwo(w)) throw new Error(`${name} needs square power-of-two frames, got ${w}×${h}`);
  if (rgb.length !== w * h * 3) throw new Error(`frame has ${rgb.length} bytes, expected ${w * h * 3}`);
  if (prev && prev.length !== rgb.length) throw new Error(`previous frame has ${prev.length} bytes, expected ${rgb.length}`);
}

/** Power at frequency (fx, fy) from the half-plane spectrum (real input: P(f) = P(-f)). */
function powerAt(power: Float64Array, n: number, fx: number, fy: number): number {
  let x = ((fx % n) + n) % n;
  let y = ((fy % n) + n) % n;
  if (x > n / 2) {
    x = (n - x) % n;
    y = (n - y) % n;
  }
  return power[y * n + x]!;
}

/** log(mean power at `cells` / mean power of the cells two steps around them): spectral leakage of
 * the Hann window spreads a peak over ±1 cell, so the reference ring is at distance 2. */
export function peakRatio(power: Float64Array, n: number, cells: number[][]): number {
  let peak = 0;
  let around = 0;
  let count = 0;
  for (const [fx, fy] of cells) {
    peak += powerAt(power, n, fx!, fy!);
    for (let dy = -2; dy <= 2; dy++)
      for (let dx = -2; dx <= 2; dx++) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) !== 2) continue;
        around += powerAt(power, n, fx! + dx, fy! + dy);
        count++;
      }
  }
  return Math.log((peak / cells.length + 1e-12) / (around / count + 1e-12));
}

interface Moments {
  mean: number;
  std: number;
  kurt: number;
}

/** Mean, std and excess kurtosis from the raw moments E[x], E[x²], E[x³], E[x⁴]. */
function rawMoments(e1: number, e2: number, e3: number, e4: number): Moments {
  const m2 = Math.max(0, e2 - e1 * e1);
  const m4 = e4 - 4 * e1 * e3 + 6 * e1 * e1 * e2 - 3 * e1 ** 4;
  return { mean: e1, std: Math.sqrt(m2), kurt: m2 > 1e-20 ? m4 / (m2 * m2) - 3 : 0 };
}

/** Correlation from E[xy] and the two variables' moments. */
function corr(exy: number, a: Moments, b: Moments): number {
  return a.std > 1e-10 && b.std > 1e-10 ? (exy - a.mean * b.mean) / (a.std * b.std) : 0;
}

/** Mean squared block average of (d - mean) over b×b blocks: the low-frequency part of d. */
function blockEnergy(d: Float64Array, n: number, b: number, mean: number): number {
  let e = 0;
  let count = 0;
  for (let by = 0; by + b <= n; by += b)
    for (let bx = 0; bx + b <= n; bx += b) {
      let s = 0;
      for (let y = by; y < by + b; y++) for (let x = bx; x < bx + b; x++) s += d[y * n + x]!;
      const m = s / (b * b) - mean;
      e += m * m;
      count++;
    }
  return count ? e / count : 0;
}
