// forensic-v1's radial spectrum has 24 bins: frames under 64×64 would leave bins empty (NaN
// features). The extractor refuses them by name, and pipeline.yaml's size param starts at 64.
import { test } from "node:test";
import assert from "node:assert/strict";
import { forensicV1 } from "../../src/features/forensic.js";
import { extractParams } from "../../stages/extract/params.js";

test("forensic-v1 refuses frames too small for its spectrum instead of writing NaN", () => {
  assert.throws(() => forensicV1.frame(new Uint8Array(32 * 32 * 3), 32, 32), /at least 64×64 .* got 32×32: set extract\.size: 64 or more/);
  const ok = forensicV1.frame(new Uint8Array(64 * 64 * 3).map((_, i) => (i * 37) % 251), 64, 64);
  assert.equal(ok.length, forensicV1.dims);
  assert.ok(Array.from(ok).every(Number.isFinite), "every feature finite at 64×64");
});

test("extract's size param starts at 64", () => {
  assert.equal(extractParams.size!.type === "number" && extractParams.size!.min, 64);
});
