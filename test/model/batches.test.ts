// Batch packing and standardisation: windows, masks, train-set statistics.
import assert from "node:assert/strict";
import { test } from "node:test";
import { computeNormalization, packBatch, placeClip, standardize } from "../../src/model/batches.js";

test("packBatch puts each clip's window at its offset and masks the rest", () => {
  const a = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), rows: 3, cols: 2 };
  const b = { data: Float32Array.from([7, 8]), rows: 1, cols: 2 };
  const p = packBatch([a, b], 4, [placeClip(3, 4), { start: 0, offset: 3, count: 1 }]);
  assert.deepEqual(Array.from(p.mask), [1, 1, 1, 0, 0, 0, 0, 1]);
  assert.deepEqual(Array.from(p.x), [1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 7, 8]);
  // a long clip is cropped to its centred window
  const long = { data: Float32Array.from({ length: 12 }, (_, i) => i), rows: 6, cols: 2 };
  const q = packBatch([long], 2, [placeClip(6, 2)]);
  assert.deepEqual(Array.from(q.x), [4, 5, 6, 7]);
});

test("normalisation uses every train frame; constant features stay unscaled", () => {
  const m = { data: Float32Array.from([1, 5, 3, 5, 5, 5]), rows: 3, cols: 2 };
  const n = computeNormalization([m]);
  assert.deepEqual(n.mean, [3, 5]);
  assert.ok(Math.abs(n.std[0]! - 2) < 1e-5);
  assert.equal(n.std[1], 1);
  assert.deepEqual(Array.from(standardize(m, n).data).map((v) => +v.toFixed(4)), [-1, 0, 0, 0, 1, 0]);
});
