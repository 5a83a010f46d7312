// "forensic-v1": per-frame statistics that carry generator traces without downloaded weights.
//  - spectrum: azimuthally averaged log power spectrum of the (Hann-windowed) grey frame, relative
//    to the frame's total power, so contrast does not matter but the spectral shape does —
//    up-sampling and diffusion decoders leave a high-frequency fall-off or periodic peaks there;
//  - noise residuals: a Laplacian high-pass per channel (std, kurtosis), second-order horizontal and
//    vertical residuals, and the correlation of residuals across channels (camera demosaicing
//    couples them; rendered frames do not);
//  - colour: per-channel mean/std and saturation;
//  - temporal: the difference to the neighbouring decoded frame (magnitude, signed brightness
//    change = flicker, spectrum of the difference in three bands) and the correlation of the
//    noise residual between the two frames (sensor noise is independent frame to frame).
// Everything is computed on [0, 1] pixel values in float64 and rounded once to float32.
import { isPowerOfTwo, powerSpectrum2d } from "./fft.js";
import type { FeatureExtractor } from "./types.js";

const SPEC_BINS = 24;
const CH = ["r", "g", "b"] as const;

const NAMES: string[] = [
  ...Array.from({ length: SPEC_BINS }, (_, i) => `spec_${String(i).padStart(2, "0")}`),
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
  "tspec_low",
  "tspec_mid",
  "tspec_high",
];

interface Geometry {
  window: Float64Array;
  bin: Int16Array;
  binCount: Float64Array;
  band: Int8Array;
  bandCount: Float64Array;
}
const geometries = new Map<number, Geometry>();

/** Hann window and, per spectrum cell, its radial bin (SPEC_BINS over radius 0..1 of Nyquist; -1
 * outside or at DC) and band (0 low < 1/4, 1 mid < 1/2, 2 high ≤ 1). */
function geometry(n: number): Geometry {
  let g = geometries.get(n);
  if (g) return g;
  const w1 = Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
  const window = new Float64Array(n * n);
  const bin = new Int16Array(n * n).fill(-1);
  const band = new Int8Array(n * n).fill(-1);
  const binCount = new Float64Array(SPEC_BINS);
  const bandCount = new Float64Array(3);
  for (let y = 0; y < n; y++) {
    const fy = y < n / 2 ? y : y - n;
    for (let x = 0; x < n; x++) {
      const fx = x < n / 2 ? x : x - n;
      const i = y * n + x;
      window[i] = w1[x]! * w1[y]!;
      const r = Math.sqrt(fx * fx + fy * fy) / (n / 2);
      if (r === 0 || r > 1) continue;
      const k = Math.min(SPEC_BINS - 1, Math.floor(r * SPEC_BINS));
      bin[i] = k;
      binCount[k]!++;
      const b = r < 0.25 ? 0 : r < 0.5 ? 1 : 2;
      band[i] = b;
      bandCount[b]!++;
    }
  }
  g = { window, bin, binCount, band, bandCount };
  geometries.set(n, g);
  return g;
}

export const forensicV1: FeatureExtractor = {
  name: "forensic-v1",
  dims: NAMES.length,
  names: NAMES,
  frame(rgb, w, h, prev) {
    if (w !== h || !isPowerOfTwo(w)) throw new Error(`forensic-v1 needs square power-of-two frames, got ${w}×${h}`);
    if (rgb.length !== w * h * 3) throw new Error(`frame has ${rgb.length} bytes, expected ${w * h * 3}`);
    const n = w;
    const N = n * n;
    const out = new Float64Array(NAMES.length);
    let o = 0;
    const geo = geometry(n);

    const grey = greyOf(rgb, N);
    // spectrum of the windowed, mean-removed grey frame
    const power = spectrum(grey, n, geo);
    const ring = new Float64Array(SPEC_BINS);
    let total = 0;
    let totalCount = 0;
    for (let i = 0; i < N; i++) {
      const k = geo.bin[i]!;
      if (k < 0) continue;
      ring[k]! += power[i]!;
      total += power[i]!;
      totalCount++;
    }
    const logTotal = Math.log(total / totalCount + 1e-12);
    for (let k = 0; k < SPEC_BINS; k++) out[o++] = Math.log(ring[k]! / geo.binCount[k]! + 1e-12) - logTotal;

    // Laplacian residual per channel
    const laps = [0, 1, 2].map((c) => laplacian(rgb, n, c, 3));
    for (const l of laps) out[o++] = moments(l).std;
    for (const l of laps) out[o++] = moments(l).kurt;
    const [h2, v2] = secondOrder(grey, n);
    out[o++] = h2;
    out[o++] = v2;
    out[o++] = correlation(laps[0]!, laps[1]!);
    out[o++] = correlation(laps[1]!, laps[2]!);
    out[o++] = gradientMean(grey, n);

    // colour
    const mean = [0, 0, 0];
    const sq = [0, 0, 0];
    let satSum = 0;
    let satSq = 0;
    for (let i = 0; i < N; i++) {
      const r = rgb[3 * i]! / 255;
      const g = rgb[3 * i + 1]! / 255;
      const b = rgb[3 * i + 2]! / 255;
      mean[0]! += r;
      mean[1]! += g;
      mean[2]! += b;
      sq[0]! += r * r;
      sq[1]! += g * g;
      sq[2]! += b * b;
      const mx = Math.max(r, g, b);
      const s = mx > 0 ? (mx - Math.min(r, g, b)) / mx : 0;
      satSum += s;
      satSq += s * s;
    }
    for (let c = 0; c < 3; c++) out[o++] = mean[c]! / N;
    for (let c = 0; c < 3; c++) out[o++] = Math.sqrt(Math.max(0, sq[c]! / N - (mean[c]! / N) ** 2));
    out[o++] = satSum / N;
    out[o++] = Math.sqrt(Math.max(0, satSq / N - (satSum / N) ** 2));

    // temporal, against the neighbouring decoded frame
    if (prev) {
      if (prev.length !== rgb.length) throw new Error(`previous frame has ${prev.length} bytes, expected ${rgb.length}`);
      const pg = greyOf(prev, N);
      const d = new Float64Array(N);
      for (let i = 0; i < N; i++) d[i] = grey[i]! - pg[i]!;
      const m = moments(d);
      let abs = 0;
      for (let i = 0; i < N; i++) abs += Math.abs(d[i]!);
      out[o++] = abs / N;
      out[o++] = m.std;
      out[o++] = m.mean;
      out[o++] = correlation(laplacianGrey(grey, n), laplacianGrey(pg, n));
      const dp = spectrum(d, n, geo);
      const bands = new Float64Array(3);
      for (let i = 0; i < N; i++) if (geo.band[i]! >= 0) bands[geo.band[i]!]! += dp[i]!;
      for (let b = 0; b < 3; b++) out[o++] = Math.log(bands[b]! / geo.bandCount[b]! + 1e-8);
    } else {
      o += 7;
    }
    return Float32Array.from(out);
  },
};

function greyOf(rgb: Uint8Array, N: number): Float64Array {
  const g = new Float64Array(N);
  for (let i = 0; i < N; i++) g[i] = (0.299 * rgb[3 * i]! + 0.587 * rgb[3 * i + 1]! + 0.114 * rgb[3 * i + 2]!) / 255;
  return g;
}

/** Power spectrum of the windowed, mean-removed image, normalised by the pixel count. */
function spectrum(img: Float64Array, n: number, geo: Geometry): Float64Array {
  const N = n * n;
  let mean = 0;
  for (let i = 0; i < N; i++) mean += img[i]!;
  mean /= N;
  const x = new Float64Array(N);
  for (let i = 0; i < N; i++) x[i] = (img[i]! - mean) * geo.window[i]!;
  const p = new Float64Array(N);
  powerSpectrum2d(x, n, p);
  for (let i = 0; i < N; i++) p[i]! /= N;
  return p;
}

/** 4-neighbour Laplacian of one channel of interleaved data, interior pixels only. */
function laplacian(px: Uint8Array, n: number, c: number, stride: number): Float64Array {
  const out = new Float64Array((n - 2) * (n - 2));
  let k = 0;
  for (let y = 1; y < n - 1; y++)
    for (let x = 1; x < n - 1; x++) {
      const i = (y * n + x) * stride + c;
      out[k++] = (4 * px[i]! - px[i - stride]! - px[i + stride]! - px[i - n * stride]! - px[i + n * stride]!) / 255;
    }
  return out;
}

function laplacianGrey(g: Float64Array, n: number): Float64Array {
  const out = new Float64Array((n - 2) * (n - 2));
  let k = 0;
  for (let y = 1; y < n - 1; y++)
    for (let x = 1; x < n - 1; x++) {
      const i = y * n + x;
      out[k++] = 4 * g[i]! - g[i - 1]! - g[i + 1]! - g[i - n]! - g[i + n]!;
    }
  return out;
}

/** Std of the [1, -2, 1] residual along rows and along columns. */
function secondOrder(g: Float64Array, n: number): [number, number] {
  let sh = 0, sh2 = 0, sv = 0, sv2 = 0, c = 0;
  for (let y = 1; y < n - 1; y++)
    for (let x = 1; x < n - 1; x++) {
      const i = y * n + x;
      const h = g[i - 1]! - 2 * g[i]! + g[i + 1]!;
      const v = g[i - n]! - 2 * g[i]! + g[i + n]!;
      sh += h; sh2 += h * h; sv += v; sv2 += v * v; c++;
    }
  return [Math.sqrt(Math.max(0, sh2 / c - (sh / c) ** 2)), Math.sqrt(Math.max(0, sv2 / c - (sv / c) ** 2))];
}

function gradientMean(g: Float64Array, n: number): number {
  let s = 0;
  for (let y = 0; y < n - 1; y++)
    for (let x = 0; x < n - 1; x++) {
      const i = y * n + x;
      s += Math.abs(g[i + 1]! - g[i]!) + Math.abs(g[i + n]! - g[i]!);
    }
  return s / ((n - 1) * (n - 1));
}

function moments(a: Float64Array): { mean: number; std: number; kurt: number } {
  const len = a.length;
  let m = 0;
  for (let i = 0; i < len; i++) m += a[i]!;
  m /= len;
  let m2 = 0, m4 = 0;
  for (let i = 0; i < len; i++) {
    const d = a[i]! - m;
    const d2 = d * d;
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= len;
  m4 /= len;
  return { mean: m, std: Math.sqrt(m2), kurt: m2 > 1e-20 ? m4 / (m2 * m2) - 3 : 0 };
}

function correlation(a: Float64Array, b: Float64Array): number {
  const len = a.length;
  let sa = 0, sb = 0;
  for (let i = 0; i < len; i++) { sa += a[i]!; sb += b[i]!; }
  const ma = sa / len, mb = sb / len;
  let cov = 0, va = 0, vb = 0;
  for (let i = 0; i < len; i++) {
    const x = a[i]! - ma, y = b[i]! - mb;
    cov += x * y; va += x * x; vb += y * y;
  }
  return va > 1e-20 && vb > 1e-20 ? cov / Math.sqrt(va * vb) : 0;
}
