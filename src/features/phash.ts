// dHash: 64-bit difference hash of a 9×8 grey thumbnail (bit = left pixel brighter than its right
// neighbour), as 16 hex digits. Near-duplicate clips have hashes a small Hamming distance apart.
export function dhash(thumb: Uint8Array, w = 9, h = 8): string {
  if (thumb.length !== w * h) throw new Error(`dhash: expected ${w * h} pixels, got ${thumb.length}`);
  let hex = "";
  let nibble = 0;
  let bits = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w - 1; x++) {
      nibble = (nibble << 1) | (thumb[y * w + x]! > thumb[y * w + x + 1]! ? 1 : 0);
      if (++bits === 4) {
        hex += nibble.toString(16);
        nibble = 0;
        bits = 0;
      }
    }
  return hex;
}

/** Hamming distance between two dHash hex strings. */
export function hamming(a: string, b: string): number {
  let d = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    let x = parseInt(a[i]!, 16) ^ parseInt(b[i]!, 16);
    while (x) {
      d += x & 1;
      x >>= 1;
    }
  }
  return d + 4 * Math.abs(a.length - b.length);
}
