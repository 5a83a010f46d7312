// The built-in feature extractors' output is pinned bit for bit: trained models depend on every
// bit of their features, so a faster implementation must give the same floats. The hashes were
// made by the implementation that trained the existing models (one pass per frame, fft1 row by
// row); a change of the features themselves is a new extractor name (forensic-v3), not an edit.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { EXTRACTORS } from "../../src/features/builtins.js";

/** A frame with smooth gradients, seeded noise and flat bands (black, white, near-flat grey). */
function frame(n: number, seed: number): Uint8Array {
  const f = new Uint8Array(n * n * 3);
  let s = seed >>> 0;
  for (let i = 0; i < n * n; i++) {
    const x = i % n, y = Math.floor(i / n);
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const noise = ((s >>> 16) % 61) - 30;
    const base = 128 + 90 * Math.sin(x / (3 + seed)) * Math.cos(y / 5);
    for (let c = 0; c < 3; c++) {
      let v = Math.round(base + (noise * (c + 1)) / 2 + c * 20);
      if (x < n / 8) v = 0;
      else if (y < n / 8) v = 255;
      else if (x > n - n / 8) v = 100 + (y % 3);
      f[3 * i + c] = Math.max(0, Math.min(255, v));
    }
  }
  return f;
}

const PINNED: Record<string, Record<number, string>> = {
  "forensic-v1": {
    64: "95addd1a649d26c928af6110d1186aea6d85a13da4554e53a0af361a7c6859b6",
    128: "e5ef0e1b539f2f8864a92ee293e2186817f3015cf7f8d301cee2e0f3d62407bf",
    256: "4ef23cb4860a47213761da2f9a1f0c32d995b12a7bff2d0b714116bafcedba66",
  },
  "forensic-v2": {
    64: "8169f75063666758d55dd35254c9e1cc66708e23bd3bffb51d563c4fe29411ee",
    128: "5a36363164572a0a447d8bfa2fcf73e454b2fdbc502a4ef2a44f29eaf49ed2f0",
    256: "64310e60c69b2799b83f8547470f3a24e145d02142782da9f1795a1d26451063",
  },
};

for (const [name, sizes] of Object.entries(PINNED))
  test(`${name}: the same floats as the implementation models were trained with`, () => {
    const e = EXTRACTORS[name]!;
    for (const [size, want] of Object.entries(sizes)) {
      const n = Number(size);
      const a = frame(n, 1), b = frame(n, 2);
      const h = createHash("sha256");
      // no neighbour, a neighbour, and the same frames the other way round (scratch reuse)
      for (const out of [e.frame(a, n, n), e.frame(b, n, n, a), e.frame(a, n, n, b)] as Float32Array[])
        h.update(Buffer.from(out.buffer, out.byteOffset, out.byteLength));
      assert.equal(h.digest("hex"), want, `${name} at ${n}×${n}`);
    }
  });

// forensic-v1 reuses the previous call's grey frame when `prev` has that frame's bytes (frames
// come in order): the floats must not depend on it, nor on a caller reusing its buffers.
test("forensic-v1: a neighbour gives the same floats whether it was the previous frame or not", () => {
  const e = EXTRACTORS["forensic-v1"]!;
  const n = 64;
  const [a, b, c] = [frame(n, 1), frame(n, 2), frame(n, 3)];
  const bytes = (x: Float32Array | Promise<Float32Array>) => Buffer.from((x as Float32Array).buffer).toString("hex");
  e.frame(a, n, n);
  const afterPrev = bytes(e.frame(b, n, n, a)); // a was the previous frame
  e.frame(c, n, n);
  const afterOther = bytes(e.frame(b, n, n, a)); // c was
  assert.equal(afterOther, afterPrev);
  // the previous frame's buffer refilled with other pixels is a different neighbour
  const reused = Uint8Array.from(a);
  e.frame(reused, n, n);
  reused.set(c);
  assert.equal(bytes(e.frame(b, n, n, reused)), bytes((e.frame(a, n, n), e.frame(b, n, n, c))));
  assert.notEqual(bytes(e.frame(b, n, n, reused)), afterPrev);
});
