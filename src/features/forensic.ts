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

/** b / 255 per byte value b, and the terms of the luma formulas (0.299 · (b / 255) for a frame,
 * 0.299 · b for its neighbour): exactly the doubles the arithmetic gives, read from a table. */
const INV255 = Float64Array.from({ length: 256 }, (_, b) => b / 255);
const LUMA_R = INV255.map((x) => 0.299 * x);
const LUMA_G = INV255.map((x) => 0.587 * x);
const LUMA_B = INV255.map((x) => 0.114 * x);
const PLUMA_R = Float64Array.from({ length: 256 }, (_, b) => 0.299 * b);
const PLUMA_G = Float64Array.from({ length: 256 }, (_, b) => 0.587 * b);
const PLUMA_B = Float64Array.from({ length: 256 }, (_, b) => 0.114 * b);

interface Geometry {
  /** The Hann window's n factors (radialLayout). */
  window: Float64Array;
  /** Radial bin of each half-plane cell (x ≤ n/2), -1 when unused. */
  bin: Int16Array;
  /** How many cells of the full plane each half-plane cell stands for (2, or 1 on x = 0, n/2). */
  weight: Float64Array;
  binCount: Float64Array;
  /** The half-plane cells with a bin, in index order, with their bin and weight, and their total
   * weight (summed in that order). */
  cells: Int32Array;
  cellBin: Int16Array;
  cellWeight: Float64Array;
  totalCount: number;
  /** The cells of the high band (bin ≥ SPEC_BINS / 2), in index order, with their weight and total. */
  hiCells: Int32Array;
  hiWeight: Float64Array;
  hiCount: number;
}
const geometries = new Map<number, Geometry>();

/** Scratch buffers reused across frames (per size): a frame allocates nothing big, which keeps the
 * garbage collector out of the hot loop (it tripled the cost per frame in worker threads). */
interface Scratch {
  grey: Float64Array;
  /** The neighbour's grey frame (its own formula): the previous call's `nextGrey` when the
   * neighbour is that frame (a clip's frames come in order, so it usually is), else computed. */
  prevGrey: Float64Array;
  /** This frame's grey by the neighbour's formula (colourPass writes it), for the next call. */
  nextGrey: Float64Array;
  /** The previous call's frame bytes (lastGrey is its grey when `prev` has these very bytes). */
  lastRgb: Uint8Array;
  hasLast: boolean;
  power: Float64Array;
  ring: Float64Array;
}
const scratches = new Map<number, Scratch>();
function scratch(n: number): Scratch {
  let s = scratches.get(n);
  if (s) return s;
  const N = n * n;
  s = {
    grey: new Float64Array(N), prevGrey: new Float64Array(N), nextGrey: new Float64Array(N),
    lastRgb: new Uint8Array(3 * N), hasLast: false, power: new Float64Array(N),
    ring: new Float64Array(SPEC_BINS),
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
  const all = bin.reduce<number[]>((list, k, i) => (k >= 0 ? (list.push(i), list) : list), []);
  const hi = all.filter((i) => bin[i]! >= SPEC_BINS / 2);
  let totalCount = 0;
  for (const i of all) totalCount += weight[i]!;
  let hiCount = 0;
  for (const i of hi) hiCount += weight[i]!;
  g = {
    window, bin, weight, binCount,
    cells: Int32Array.from(all), cellBin: Int16Array.from(all, (i) => bin[i]!), cellWeight: Float64Array.from(all, (i) => weight[i]!), totalCount,
    hiCells: Int32Array.from(hi), hiWeight: Float64Array.from(hi, (i) => weight[i]!), hiCount,
  };
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
    const [sr, sg, sb, qr, qg, qb, sat, sat2, greySum] = colourPass(rgb, N, grey, ws.nextGrey);
    // the neighbour's grey: the previous call's when `prev` is that frame (same bytes), else afresh
    const pg = ws.prevGrey;
    const [dSum, dSq, dAbs] = !prev ? [0, 0, 0] : ws.hasLast && sameBytes(prev, ws.lastRgb) ? differencePass(N, grey, pg) : neighbourPass(prev, N, grey, pg);

    // spectrum of the windowed, mean-removed grey frame
    const greyMean = greySum / N;
    const power = ws.power;
    powerSpectrumHalf(grey, n, power, { mean: greyMean, window: geo.window });
    const ring = ws.ring.fill(0);
    let total = 0;
    const { cells, cellBin, cellWeight } = geo;
    for (let c = 0; c < cells.length; c++) {
      const wp = cellWeight[c]! * power[cells[c]!]!;
      ring[cellBin[c]!]! += wp;
      total += wp;
    }
    const logTotal = Math.log(total / geo.totalCount / N + 1e-12);
    for (let k = 0; k < SPEC_BINS; k++) out[o++] = Math.log(ring[k]! / geo.binCount[k]! / N + 1e-12) - logTotal;
    // periodic peaks (the azimuthal average smears them out): the strongest high-frequency cell
    // against the high band's mean, and the cells where 2× and 4× up-sampling put their grid
    // artefacts (half and quarter of the sampling rate) against their surroundings
    let hiMax = 0, hiSum = 0;
    const { hiCells, hiWeight } = geo;
    for (let c = 0; c < hiCells.length; c++) {
      const pw = power[hiCells[c]!]!;
      if (pw > hiMax) hiMax = pw;
      hiSum += hiWeight[c]! * pw;
    }
    out[o++] = Math.log((hiMax + 1e-12) / (hiSum / Math.max(1, geo.hiCount) + 1e-12));
    out[o++] = peakRatio(power, n, [[n / 2, 0], [0, n / 2], [n / 2, n / 2]]);
    out[o++] = peakRatio(power, n, [[n / 4, 0], [0, n / 4], [n / 4, n / 4], [n / 4, -n / 4]]);

    // pass 2 (interior pixels): Laplacian residuals per channel and of the grey frames, second-order
    // residuals, gradients; running raw moments so nothing is stored
    const M = (n - 2) * (n - 2);
    const [r1, r2, r3, r4, g1, g2, g3, g4, b1, b2, b3, b4, crg, cgb] = channelResiduals(rgb, n);
    const [h1, h2, v1, v2, grad] = greyResiduals(grey, n);
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
      const [la1, la2, lb1, lb2, lab, ldiff] = temporalResiduals(grey, pg, n);
      const mean = dSum / N;
      const variance = Math.max(0, dSq / N - mean * mean);
      out[o++] = dAbs / N;
      out[o++] = Math.sqrt(variance);
      out[o++] = mean;
      const va = la2 / M - (la1 / M) ** 2;
      const vb = lb2 / M - (lb1 / M) ** 2;
      out[o++] = va > 1e-20 && vb > 1e-20 ? (lab / M - (la1 / M) * (lb1 / M)) / Math.sqrt(va * vb) : 0;
      out[o++] = Math.log(differenceBlockEnergy(grey, pg, n, 8, mean) + 1e-8);
      out[o++] = Math.log(variance + 1e-8);
      out[o++] = Math.log(ldiff / M + 1e-8);
    } else {
      o += 7;
    }
    // this frame (and its grey by the neighbour's formula) for the next call
    [ws.prevGrey, ws.nextGrey] = [ws.nextGrey, ws.prevGrey];
    ws.lastRgb.set(rgb);
    ws.hasLast = true;
    return Float32Array.from(out);
  },
};

// The passes over a frame's pixels, one small function each (a loop with few live values compiles
// to much better code than one loop updating thirty sums). Each returns its sums; every sum adds
// the same terms in the same order as a single pass would, so the doubles are the same.

type Sums<N extends number, T extends number[] = []> = T["length"] extends N ? T : Sums<N, [...T, number]>;

/** Σr, Σg, Σb, Σr², Σg², Σb², Σsat, Σsat², Σgrey over the frame ([0, 1] values), the grey frame,
 * and in `asNeighbour` the grey by the neighbour's formula (neighbourPass's). Per byte value, the
 * very doubles the formulas make (b / 255, 0.299 · (b / 255), ...) are looked up instead of
 * divided; max and min compare bytes (b / 255 keeps their order). */
function colourPass(rgb: Uint8Array, N: number, grey: Float64Array, asNeighbour: Float64Array): Sums<9> {
  let sr = 0, sg = 0, sb = 0, qr = 0, qg = 0, qb = 0, sat = 0, sat2 = 0, greySum = 0;
  for (let i = 0, j = 0; i < N; i++, j += 3) {
    const R = rgb[j]!, G = rgb[j + 1]!, B = rgb[j + 2]!;
    const r = INV255[R]!, g = INV255[G]!, b = INV255[B]!;
    // 0.299 · r + 0.587 · g + 0.114 · b
    const v = LUMA_R[R]! + LUMA_G[G]! + LUMA_B[B]!;
    grey[i] = v;
    asNeighbour[i] = (PLUMA_R[R]! + PLUMA_G[G]! + PLUMA_B[B]!) / 255;
    greySum += v;
    sr += r; sg += g; sb += b;
    qr += r * r; qg += g * g; qb += b * b;
    // saturation (max - min) / max of the [0, 1] values, 0 for black (divided here: a 256×256
    // table of the same doubles is 512 KiB of cache misses)
    const mx = Math.max(R, G, B);
    const s = mx === 0 ? 0 : (INV255[mx]! - INV255[Math.min(R, G, B)]!) / INV255[mx]!;
    sat += s;
    sat2 += s * s;
  }
  return [sr, sg, sb, qr, qg, qb, sat, sat2, greySum];
}

/** The neighbour's grey frame (its own formula: (0.299 · R + 0.587 · G + 0.114 · B) / 255) and
 * Σd, Σd², Σ|d| of the difference d = grey - neighbour's grey. */
function neighbourPass(prev: Uint8Array, N: number, grey: Float64Array, pg: Float64Array): Sums<3> {
  let dSum = 0, dSq = 0, dAbs = 0;
  for (let i = 0, j = 0; i < N; i++, j += 3) {
    const pv = (PLUMA_R[prev[j]!]! + PLUMA_G[prev[j + 1]!]! + PLUMA_B[prev[j + 2]!]!) / 255;
    pg[i] = pv;
    const d = grey[i]! - pv;
    dSum += d; dSq += d * d; dAbs += Math.abs(d);
  }
  return [dSum, dSq, dAbs];
}

/** Σd, Σd², Σ|d| of d = grey - pg (neighbourPass's sums, the neighbour's grey already in pg). */
function differencePass(N: number, grey: Float64Array, pg: Float64Array): Sums<3> {
  let dSum = 0, dSq = 0, dAbs = 0;
  for (let i = 0; i < N; i++) {
    const d = grey[i]! - pg[i]!;
    dSum += d; dSq += d * d; dAbs += Math.abs(d);
  }
  return [dSum, dSq, dAbs];
}

/** Two frames with the same bytes (a memcmp: microseconds, against a pass over the pixels). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Interior pixels, per channel r, g, b: Σl, Σl², Σl³, Σl⁴ of the Laplacian l (in [0, 1] units),
 * then Σl_r·l_g and Σl_g·l_b. */
function channelResiduals(rgb: Uint8Array, n: number): Sums<14> {
  let r1 = 0, r2 = 0, r3 = 0, r4 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0;
  let crg = 0, cgb = 0;
  const row = 3 * n;
  const k = 1 / 255;
  for (let y = 1; y < n - 1; y++) {
    // left and centre pixels carried along the row: one new pixel read per step, not three
    let j = 3 * (y * n + 1);
    let lR = rgb[j - 3]!, lG = rgb[j - 2]!, lB = rgb[j - 1]!;
    let cR = rgb[j]!, cG = rgb[j + 1]!, cB = rgb[j + 2]!;
    for (const end = 3 * (y * n + n - 1); j < end; j += 3) {
      const rR = rgb[j + 3]!, rG = rgb[j + 4]!, rB = rgb[j + 5]!;
      const lr = (4 * cR - lR - rR - rgb[j - row]! - rgb[j + row]!) * k;
      const lg = (4 * cG - lG - rG - rgb[j + 1 - row]! - rgb[j + 1 + row]!) * k;
      const lb = (4 * cB - lB - rB - rgb[j + 2 - row]! - rgb[j + 2 + row]!) * k;
      lR = cR; lG = cG; lB = cB;
      cR = rR; cG = rG; cB = rB;
      const rr = lr * lr, gg = lg * lg, bb = lb * lb;
      r1 += lr; r2 += rr; r3 += rr * lr; r4 += rr * rr;
      g1 += lg; g2 += gg; g3 += gg * lg; g4 += gg * gg;
      b1 += lb; b2 += bb; b3 += bb * lb; b4 += bb * bb;
      crg += lr * lg;
      cgb += lg * lb;
    }
  }
  return [r1, r2, r3, r4, g1, g2, g3, g4, b1, b2, b3, b4, crg, cgb];
}

/** Interior pixels of the grey frame: Σh, Σh², Σv, Σv² of the second-order horizontal and vertical
 * residuals, and Σ(|right - centre| + |down - centre|). */
function greyResiduals(grey: Float64Array, n: number): Sums<5> {
  let h1 = 0, h2 = 0, v1 = 0, v2 = 0, grad = 0;
  for (let y = 1; y < n - 1; y++) {
    let i = y * n + 1;
    let gl = grey[i - 1]!, gc = grey[i]!;
    for (const end = y * n + n - 1; i < end; i++) {
      const gr = grey[i + 1]!, gu = grey[i - n]!, gd = grey[i + n]!;
      const hh = gl - 2 * gc + gr;
      const vv = gu - 2 * gc + gd;
      h1 += hh; h2 += hh * hh; v1 += vv; v2 += vv * vv;
      grad += Math.abs(gr - gc) + Math.abs(gd - gc);
      gl = gc;
      gc = gr;
    }
  }
  return [h1, h2, v1, v2, grad];
}

/** Interior pixels: Σa, Σa², Σb, Σb², Σab, Σ(a - b)² of the Laplacians a, b of the grey frame and
 * of its neighbour's. */
function temporalResiduals(grey: Float64Array, pg: Float64Array, n: number): Sums<6> {
  let la1 = 0, la2 = 0, lb1 = 0, lb2 = 0, lab = 0, ldiff = 0;
  for (let y = 1; y < n - 1; y++) {
    let i = y * n + 1;
    let al = grey[i - 1]!, ac = grey[i]!, bl = pg[i - 1]!, bc = pg[i]!;
    for (const end = y * n + n - 1; i < end; i++) {
      const ar = grey[i + 1]!, br = pg[i + 1]!;
      const a = 4 * ac - al - ar - grey[i - n]! - grey[i + n]!;
      const b = 4 * bc - bl - br - pg[i - n]! - pg[i + n]!;
      al = ac; ac = ar; bl = bc; bc = br;
      la1 += a; la2 += a * a; lb1 += b; lb2 += b * b; lab += a * b; ldiff += (a - b) * (a - b);
    }
  }
  return [la1, la2, lb1, lb2, lab, ldiff];
}

/** The Hann window of an n×n frame (its n factors: pixel (x, y) is weighted window[x] · window[y],
 * powerSpectrumHalf's `windowed`) and, per half-plane spectrum cell (x ≤ n/2), its radial bin
 * (`binOf(r)` for radius r in (0, 1] of Nyquist; -1 outside, at DC, or in the mirrored half), the
 * cells of the full plane it stands for (2, or 1 on x = 0 and x = n/2), and each bin's count. */
export function radialLayout(n: number, bins: number, binOf: (r: number) => number): { window: Float64Array; bin: Int16Array; weight: Float64Array; binCount: Float64Array } {
  const window = Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
  const bin = new Int16Array(n * n).fill(-1);
  const weight = new Float64Array(n * n);
  const binCount = new Float64Array(bins);
  for (let y = 0; y < n; y++) {
    const fy = y < n / 2 ? y : y - n;
    for (let x = 0; x < n; x++) {
      const i = y * n + x;
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

/** Mean squared block average of (d - mean) over b×b blocks, d = grey - pg: the low-frequency
 * part of the frame difference. */
function differenceBlockEnergy(grey: Float64Array, pg: Float64Array, n: number, b: number, mean: number): number {
  let e = 0;
  let count = 0;
  for (let by = 0; by + b <= n; by += b)
    for (let bx = 0; bx + b <= n; bx += b) {
      let s = 0;
      for (let y = by; y < by + b; y++) for (let x = bx; x < bx + b; x++) s += grey[y * n + x]! - pg[y * n + x]!;
      const m = s / (b * b) - mean;
      e += m * m;
      count++;
    }
  return count ? e / count : 0;
}
