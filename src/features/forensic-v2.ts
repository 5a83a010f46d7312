// forensic-v2: per-frame statistics aimed at generation traces that survive re-encoding and do not
// follow the content, for detectors that must transfer to generators they never saw.
//  - spectra: the azimuthally averaged log power spectrum (relative to the frame's total power, so
//    contrast does not count, the spectral shape does) of luma (32 rings) and of both chroma
//    channels (12 each: 4:2:0 codecs keep little chroma detail, but decoders and up-samplers of
//    latent generators leave their own fall-off there);
//  - the spectrum of a non-linear noise residual (luma minus its 3×3 median: edges and texture
//    mostly cancel, the fine grain a camera or a decoder leaves stays; a linear filter would only
//    add a constant per ring), 16 rings;
//  - periodic peaks of 2×, 3×, 4× and 8× up-sampling (a grid at n/p cycles) against their
//    surroundings, in the luma and the residual spectrum;
//  - co-occurrence of quantised noise residuals (first and second order, horizontal and
//    vertical, truncated to ±2 and merged by sign symmetry: 13 classes each), the steganalysis
//    features (SPAM) that also separate rendered from captured pixels;
//  - residual grain: std and kurtosis of the median residual; cross-channel correlation of the
//    colour channels' Laplacian residuals (demosaicing couples them, rendering does not);
//  - temporal: correlation of the luma Laplacian residual with the neighbouring frame's (sensor
//    noise is independent frame to frame) and the frame-to-frame warp error: 8×8 block matching
//    (±3 pixels), the motion-compensated error and its ratio to the uncompensated one (generated
//    video is often temporally smooth but not consistent).
// Colour means, saturation and brightness (what a scene looks like) are left out on purpose.
// Deterministic: plain float64 maths in a fixed order, rounded once to float32.
import { isPowerOfTwo, powerSpectrumHalf } from "./fft.js";
import type { SyncFeatureExtractor } from "./extractor.js";
import { checkSquareFrame, peakRatio, powerOfTwoSize, radialLayout } from "./forensic.js";

const Y_BINS = 32;
const C_BINS = 12;
const R_BINS = 16;
const PERIODS = [2, 3, 4, 8] as const;
const COOC = 13;
const SEARCH = 3;
const BLOCK = 8;

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}_${String(i).padStart(2, "0")}`);
const NAMES: string[] = [
  ...names("yspec", Y_BINS),
  ...names("cbspec", C_BINS),
  ...names("crspec", C_BINS),
  ...names("rspec", R_BINS),
  ...PERIODS.map((p) => `ypeak_${p}`),
  ...PERIODS.map((p) => `rpeak_${p}`),
  ...names("cooc1", COOC),
  ...names("cooc2", COOC),
  "res_std",
  "res_kurt",
  "lap_corr_rg",
  "lap_corr_gb",
  "lap_corr_rb",
  "tres_corr",
  "warp_err",
  "warp_ratio",
];

interface Rings {
  window: Float64Array;
  /** Ring of each half-plane cell, -1 when unused (DC, outside the Nyquist circle, mirrored half). */
  ring: Int16Array;
  /** Full-plane cells each half-plane cell stands for (2, or 1 on x = 0 and x = n/2). */
  weight: Float64Array;
  count: Float64Array;
}
const ringCache = new Map<string, Rings>();

function rings(n: number, bins: number): Rings {
  const key = `${n}/${bins}`;
  let g = ringCache.get(key);
  if (g) return g;
  // ring k holds radii in (k, k + 1] / bins: the first ring is never empty (v1's floor leaves its
  // first bin to DC alone below 48 pixels)
  const { window, bin: ring, weight, binCount: count } = radialLayout(n, bins, (r) => Math.min(bins - 1, Math.ceil(r * bins) - 1));
  if (count.some((c) => c === 0)) throw new Error(`forensic-v2 needs frames of at least 64×64 (its ${bins}-ring spectrum), got ${n}×${n}: set extract.size: 64 or more`);
  g = { window, ring, weight, count };
  ringCache.set(key, g);
  return g;
}

/** Scratch buffers per frame size, reused: a frame allocates nothing big. */
interface Scratch {
  y: Float64Array; cb: Float64Array; cr: Float64Array; py: Float64Array;
  res: Float64Array; lap: Float64Array; plap: Float64Array;
  fftIn: Float64Array; power: Float64Array; re: Float64Array; im: Float64Array;
}
const scratches = new Map<number, Scratch>();
function scratch(n: number): Scratch {
  let s = scratches.get(n);
  if (!s) {
    const f = () => new Float64Array(n * n);
    s = { y: f(), cb: f(), cr: f(), py: f(), res: f(), lap: f(), plap: f(), fftIn: f(), power: f(), re: f(), im: f() };
    scratches.set(n, s);
  }
  return s;
}

export const forensicV2: SyncFeatureExtractor = {
  name: "forensic-v2",
  dims: NAMES.length,
  names: NAMES,
  sizeError: powerOfTwoSize("forensic-v2"),
  frame(rgb, w, h, prev) {
    checkSquareFrame("forensic-v2", rgb, w, h, prev);
    const n = w;
    const N = n * n;
    const s = scratch(n);
    const out = new Float64Array(NAMES.length);
    let o = 0;

    // luma and chroma on [0, 255]
    for (let i = 0, j = 0; i < N; i++, j += 3) {
      const r = rgb[j]!, g = rgb[j + 1]!, b = rgb[j + 2]!;
      s.y[i] = 0.299 * r + 0.587 * g + 0.114 * b;
      s.cb[i] = -0.168736 * r - 0.331264 * g + 0.5 * b;
      s.cr[i] = 0.5 * r - 0.418688 * g - 0.081312 * b;
      if (prev) s.py[i] = 0.299 * prev[j]! + 0.587 * prev[j + 1]! + 0.114 * prev[j + 2]!;
    }
    const ySpec = spectrum(s.y, n, Y_BINS, s);
    out.set(ySpec.rings, o);
    o += Y_BINS;
    const yPeaks = PERIODS.map((p) => gridPeak(s.power, n, p));
    out.set(spectrum(s.cb, n, C_BINS, s).rings, o);
    o += C_BINS;
    out.set(spectrum(s.cr, n, C_BINS, s).rings, o);
    o += C_BINS;

    medianResidual(s.y, n, s.res);
    out.set(spectrum(s.res, n, R_BINS, s).rings, o);
    o += R_BINS;
    const rPeaks = PERIODS.map((p) => gridPeak(s.power, n, p));
    for (const v of yPeaks) out[o++] = v;
    for (const v of rPeaks) out[o++] = v;

    cooccurrence(s.y, n, 1, 1, out, o);
    o += COOC;
    cooccurrence(s.y, n, 2, 2, out, o);
    o += COOC;

    // residual grain (interior pixels, where the median residual is defined)
    let m1 = 0, m2 = 0, m3 = 0, m4 = 0, cnt = 0;
    for (let yy = 1; yy < n - 1; yy++)
      for (let x = 1; x < n - 1; x++) {
        const v = s.res[yy * n + x]!;
        const v2 = v * v;
        m1 += v; m2 += v2; m3 += v2 * v; m4 += v2 * v2;
        cnt++;
      }
    m1 /= cnt; m2 /= cnt; m3 /= cnt; m4 /= cnt;
    const variance = Math.max(0, m2 - m1 * m1);
    const c4 = m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * m1 ** 4;
    out[o++] = 0.5 * Math.log(variance + 1e-6);
    out[o++] = variance > 1e-12 ? Math.log(Math.max(1e-3, c4 / (variance * variance))) : 0;

    // cross-channel Laplacian residual correlations
    const [rg, gb, rb] = channelCorrelations(rgb, n);
    out[o++] = rg;
    out[o++] = gb;
    out[o++] = rb;

    if (prev) {
      laplacian(s.y, n, s.lap);
      laplacian(s.py, n, s.plap);
      out[o++] = correlation(s.lap, s.plap, n);
      const warp = warpError(s.y, s.py, n);
      out[o++] = Math.log(warp.compensated + 1e-3);
      out[o++] = (warp.compensated + 0.05) / (warp.plain + 0.05);
    } else o += 3;
    return Float32Array.from(out);
  },
};

/** Log ring powers of the windowed, mean-removed image relative to its mean power; leaves the
 * half-plane power spectrum in s.power. */
function spectrum(img: Float64Array, n: number, bins: number, s: Scratch): { rings: Float64Array } {
  const g = rings(n, bins);
  const N = n * n;
  let mean = 0;
  for (let i = 0; i < N; i++) mean += img[i]!;
  mean /= N;
  for (let i = 0; i < N; i++) s.fftIn[i] = (img[i]! - mean) * g.window[i]!;
  powerSpectrumHalf(s.fftIn, n, s.power, s.re, s.im);
  const acc = new Float64Array(bins);
  let total = 0, totalCount = 0;
  for (let i = 0; i < N; i++) {
    const k = g.ring[i]!;
    if (k < 0) continue;
    const wp = g.weight[i]! * s.power[i]!;
    acc[k]! += wp;
    total += wp;
    totalCount += g.weight[i]!;
  }
  const logTotal = Math.log(total / totalCount + 1e-9);
  const out = new Float64Array(bins);
  for (let k = 0; k < bins; k++) out[k] = Math.log(acc[k]! / g.count[k]! + 1e-9) - logTotal;
  return { rings: out };
}

/** The up-sampling grid of period p: log power at (n/p, 0), (0, n/p), (n/p, n/p) against the
 * ring two cells around each (forensic-v1's peakRatio). */
function gridPeak(power: Float64Array, n: number, p: number): number {
  const f = Math.round(n / p);
  return peakRatio(power, n, [[f, 0], [0, f], [f, f]]);
}

/** out = img − median3×3(img) on interior pixels, 0 on the border. */
function medianResidual(img: Float64Array, n: number, out: Float64Array): void {
  out.fill(0);
  const v = new Float64Array(9);
  for (let y = 1; y < n - 1; y++)
    for (let x = 1; x < n - 1; x++) {
      const i = y * n + x;
      v[0] = img[i - n - 1]!; v[1] = img[i - n]!; v[2] = img[i - n + 1]!;
      v[3] = img[i - 1]!; v[4] = img[i]!; v[5] = img[i + 1]!;
      v[6] = img[i + n - 1]!; v[7] = img[i + n]!; v[8] = img[i + n + 1]!;
      out[i] = img[i]! - median9(v);
    }
}

/** Median of 9 values by the classic 19-exchange network (Paeth); reorders `p`. */
export function median9(p: Float64Array): number {
  for (let k = 0; k < MEDIAN_NET.length; k += 2) {
    const a = MEDIAN_NET[k]!, b = MEDIAN_NET[k + 1]!;
    const x = p[a]!, y = p[b]!;
    if (x > y) {
      p[a] = y;
      p[b] = x;
    }
  }
  return p[4]!;
}
const MEDIAN_NET = Int8Array.from([1, 2, 4, 5, 7, 8, 0, 1, 3, 4, 6, 7, 1, 2, 4, 5, 7, 8, 0, 3, 5, 8, 4, 7, 3, 6, 1, 4, 2, 5, 4, 7, 4, 2, 6, 4, 4, 2]);

/** Sign-symmetric class of a pair of residuals quantised to -2..2: (a, b) and (−a, −b) share one
 * of 13 classes. */
const PAIR_CLASS = (() => {
  const cls = new Int8Array(25).fill(-1);
  let next = 0;
  for (let a = -2; a <= 2; a++)
    for (let b = -2; b <= 2; b++) {
      const i = (a + 2) * 5 + (b + 2);
      const mirror = (-a + 2) * 5 + (-b + 2);
      if (cls[mirror]! >= 0) cls[i] = cls[mirror]!;
      else cls[i] = next++;
    }
  return cls;
})();

/** Co-occurrence of adjacent quantised residuals of order 1 (x[i+1] − x[i]) or 2
 * (x[i−1] − 2x[i] + x[i+1]) along rows and along columns, divided by `q` and truncated to ±2:
 * 13 class frequencies written at out[o…]. */
function cooccurrence(img: Float64Array, n: number, order: 1 | 2, q: number, out: Float64Array, o: number): void {
  const hist = new Float64Array(COOC);
  let total = 0;
  for (let dir = 0; dir < 2; dir++) {
    const step = dir === 0 ? 1 : n;
    const across = dir === 0 ? n : 1;
    for (let line = 0; line < n; line++) {
      // residuals at positions 1..n-2 along the line, then pairs of neighbours
      let prevQ = 99;
      for (let t = 1; t < n - 1; t++) {
        const i = line * across + t * step;
        const r = order === 1 ? img[i + step]! - img[i]! : img[i - step]! - 2 * img[i]! + img[i + step]!;
        let v = Math.round(r / q);
        v = v < -2 ? -2 : v > 2 ? 2 : v;
        if (prevQ !== 99) {
          hist[PAIR_CLASS[(prevQ + 2) * 5 + (v + 2)]!]!++;
          total++;
        }
        prevQ = v;
      }
    }
  }
  for (let k = 0; k < COOC; k++) out[o + k] = hist[k]! / total;
}

/** 4-neighbour Laplacian on interior pixels, 0 on the border. */
function laplacian(img: Float64Array, n: number, out: Float64Array): void {
  out.fill(0);
  for (let y = 1; y < n - 1; y++)
    for (let x = 1; x < n - 1; x++) {
      const i = y * n + x;
      out[i] = 4 * img[i]! - img[i - 1]! - img[i + 1]! - img[i - n]! - img[i + n]!;
    }
}

/** Pearson correlation of two images' interior pixels (0 when either is flat). */
function correlation(a: Float64Array, b: Float64Array, n: number): number {
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, cnt = 0;
  for (let y = 1; y < n - 1; y++)
    for (let x = 1; x < n - 1; x++) {
      const i = y * n + x;
      const u = a[i]!, v = b[i]!;
      sa += u; sb += v; saa += u * u; sbb += v * v; sab += u * v;
      cnt++;
    }
  const va = saa / cnt - (sa / cnt) ** 2;
  const vb = sbb / cnt - (sb / cnt) ** 2;
  return va > 1e-12 && vb > 1e-12 ? (sab / cnt - (sa / cnt) * (sb / cnt)) / Math.sqrt(va * vb) : 0;
}

/** Correlations of the R–G, G–B and R–B Laplacian residuals. */
function channelCorrelations(rgb: Uint8Array, n: number): [number, number, number] {
  const sum = new Float64Array(3), sq = new Float64Array(3), cross = new Float64Array(3);
  let cnt = 0;
  const row = 3 * n;
  for (let y = 1; y < n - 1; y++)
    for (let x = 1; x < n - 1; x++) {
      const j = 3 * (y * n + x);
      const l0 = 4 * rgb[j]! - rgb[j - 3]! - rgb[j + 3]! - rgb[j - row]! - rgb[j + row]!;
      const l1 = 4 * rgb[j + 1]! - rgb[j - 2]! - rgb[j + 4]! - rgb[j + 1 - row]! - rgb[j + 1 + row]!;
      const l2 = 4 * rgb[j + 2]! - rgb[j - 1]! - rgb[j + 5]! - rgb[j + 2 - row]! - rgb[j + 2 + row]!;
      sum[0]! += l0; sum[1]! += l1; sum[2]! += l2;
      sq[0]! += l0 * l0; sq[1]! += l1 * l1; sq[2]! += l2 * l2;
      cross[0]! += l0 * l1; cross[1]! += l1 * l2; cross[2]! += l0 * l2;
      cnt++;
    }
  const corr = (a: number, b: number, c: number) => {
    const va = sq[a]! / cnt - (sum[a]! / cnt) ** 2;
    const vb = sq[b]! / cnt - (sum[b]! / cnt) ** 2;
    return va > 1e-9 && vb > 1e-9 ? (cross[c]! / cnt - (sum[a]! / cnt) * (sum[b]! / cnt)) / Math.sqrt(va * vb) : 0;
  };
  return [corr(0, 1, 0), corr(1, 2, 1), corr(0, 2, 2)];
}

/** Mean absolute luma error between a frame and its neighbour, without motion compensation and
 * with the best integer shift (±SEARCH) per BLOCK×BLOCK block (interior blocks only). */
function warpError(cur: Float64Array, prev: Float64Array, n: number): { plain: number; compensated: number } {
  let plain = 0, compensated = 0, pixels = 0;
  for (let by = SEARCH; by + BLOCK + SEARCH <= n; by += BLOCK)
    for (let bx = SEARCH; bx + BLOCK + SEARCH <= n; bx += BLOCK) {
      const still = blockSad(cur, prev, n, bx, by, 0, 0, Infinity);
      let best = still;
      for (let dy = -SEARCH; dy <= SEARCH; dy++)
        for (let dx = -SEARCH; dx <= SEARCH; dx++) {
          if (dx === 0 && dy === 0) continue;
          const sad = blockSad(cur, prev, n, bx, by, dx, dy, best);
          if (sad < best) best = sad;
        }
      plain += still;
      compensated += best;
      pixels += BLOCK * BLOCK;
    }
  return { plain: plain / pixels, compensated: compensated / pixels };
}

/** Sum of absolute differences between the BLOCK×BLOCK block of `cur` at (bx, by) and `prev`'s at
 * (bx + dx, by + dy); stops once it reaches `bound`. */
function blockSad(cur: Float64Array, prev: Float64Array, n: number, bx: number, by: number, dx: number, dy: number, bound: number): number {
  let sad = 0;
  for (let y = 0; y < BLOCK && sad < bound; y++) {
    const a = (by + y) * n + bx;
    const b = (by + y + dy) * n + bx + dx;
    for (let x = 0; x < BLOCK; x++) {
      const d = cur[a + x]! - prev[b + x]!;
      sad += d < 0 ? -d : d;
    }
  }
  return sad;
}
