// In-place iterative radix-2 FFT and a 2-D transform over square power-of-two images. Plain
// Float64Array maths: deterministic, no dependencies, ~1 ms for 128×128 in V8.
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

/** Power spectrum |F|² of a real n×n image (row-major) on the half plane the other half mirrors
 * (|F(u, v)| = |F(-u, -v)| for real input): `power[y·n + x]` is written for x in [0, n/2] only. */
export function powerSpectrumHalf(
  img: Float64Array,
  n: number,
  power: Float64Array,
  re: Float64Array = new Float64Array(n * n),
  im: Float64Array = new Float64Array(n * n),
): void {
  const rowRe = new Float64Array(n);
  const rowIm = new Float64Array(n);
  // rows, two at a time: one complex FFT of (row a) + i·(row b) gives both real rows' spectra
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
      // A_k = (Z_k + conj(Z_{n-k})) / 2,  B_k = (Z_k - conj(Z_{n-k})) / 2i
      re[a + k] = (zr + cr) / 2;
      im[a + k] = (zi + ci) / 2;
      re[b + k] = (zi - ci) / 2;
      im[b + k] = -(zr - cr) / 2;
    }
  }
  // columns 0..n/2 only
  for (let x = 0; x <= n / 2; x++) {
    for (let y = 0; y < n; y++) {
      rowRe[y] = re[y * n + x]!;
      rowIm[y] = im[y * n + x]!;
    }
    fft1(rowRe, rowIm, n);
    for (let y = 0; y < n; y++) power[y * n + x] = rowRe[y]! * rowRe[y]! + rowIm[y]! * rowIm[y]!;
  }
}
