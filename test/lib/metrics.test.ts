import { test } from "node:test";
import assert from "node:assert/strict";
import { rocAuc, separationAuc, prAuc, atThreshold, f1OptimalThreshold, curves } from "../../src/lib/metrics.js";

test("rocAuc: perfect, inverted and useless rankings", () => {
  assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  assert.equal(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
  assert.equal(separationAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 1);
  assert.equal(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5);
});

test("rocAuc: ties count one half (hand-computed)", () => {
  // pairs (pos, neg): pos {0.4, 0.8}, neg {0.4, 0.1, 0.9}
  // 0.4 vs 0.4 tie .5, 0.4>0.1 1, 0.4<0.9 0 ; 0.8>0.4 1, 0.8>0.1 1, 0.8<0.9 0 => 3.5/6
  assert.equal(rocAuc([0.4, 0.8, 0.4, 0.1, 0.9], [1, 1, 0, 0, 0]), 3.5 / 6);
  // frame counts: fakes all 8, reals 32..92 -> perfect separation
  assert.equal(separationAuc([8, 8, 8, 32, 50, 92], [1, 1, 1, 0, 0, 0]), 1);
});

test("rocAuc: NaN with one class", () => {
  assert.ok(Number.isNaN(rocAuc([1, 2], [1, 1])));
});

test("prAuc: average precision (hand-computed)", () => {
  // sorted desc: 0.9(1) 0.8(0) 0.7(1) 0.1(0): AP = 0.5*1 + 0.5*(2/3)
  assert.ok(Math.abs(prAuc([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0]) - (0.5 + 1 / 3)) < 1e-12);
  assert.equal(prAuc([0.9, 0.1], [1, 0]), 1);
});

test("atThreshold and F1-optimal threshold", () => {
  const m = atThreshold([0.9, 0.6, 0.4, 0.2], [1, 0, 1, 0], 0.5);
  assert.deepEqual(m.confusion, { tp: 1, fp: 1, tn: 1, fn: 1 });
  assert.equal(m.accuracy, 0.5);
  assert.equal(m.f1, 0.5);
  assert.equal(f1OptimalThreshold([0.9, 0.8, 0.3, 0.2], [1, 1, 0, 0]), 0.8);
});

test("curves start at the origin and end at (1,1)", () => {
  const c = curves([0.9, 0.5, 0.5, 0.1], [1, 0, 1, 0]);
  assert.deepEqual([c[0]!.fpr, c[0]!.tpr], [0, 0]);
  assert.deepEqual([c.at(-1)!.fpr, c.at(-1)!.tpr], [1, 1]);
  assert.equal(c.length, 4); // origin + 3 distinct scores
});
