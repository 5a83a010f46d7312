// The threshold rule and the training-run sanity findings (issue 11).
import { test } from "node:test";
import assert from "node:assert/strict";
import { chooseThreshold, trainingFindings } from "../../src/model/threshold.js";

const labels = (real: number, fake: number) => [...Array(real).fill(0), ...Array(fake).fill(1)];

test("threshold: F1-optimal on val with ≥ 10 clips per class, else 0.5 by a stated rule", () => {
  const l = labels(10, 10);
  const scores = l.map((y, i) => (y ? 0.6 + i / 100 : 0.1 + i / 100));
  const tuned = chooseThreshold(scores, l);
  assert.equal(tuned.source, "val-f1");
  assert.equal(tuned.threshold, Math.min(...scores.filter((_, i) => l[i] === 1)));
  const small = chooseThreshold([0.1, 0.9, 0.2, 0.8], [0, 1, 0, 1]);
  assert.deepEqual(small, { threshold: 0.5, source: "default-small-val", note: "0.5: val has 2 real / 2 fake clips, fewer than 10 per class to tune on" });
  assert.equal(chooseThreshold([], []).source, "default-no-val");
  assert.equal(chooseThreshold([0.3, 0.4], [1, 1]).source, "default-no-val");
});

test("findings: epoch-1 model with rising val loss, an extreme threshold, a small val set", () => {
  const rising = [0.4, 0.5, 0.55, 0.6, 0.7].map((v, i) => ({ epoch: i + 1, val_loss: v }));
  const th = { threshold: 0.9996, source: "val-f1" as const, note: "F1-optimal on val" };
  const f = trainingFindings({ epochs: rising, bestEpoch: 1, threshold: th, valReal: 12, valFake: 12, lr: 0.001 });
  assert.deepEqual(f.map((x) => x.id), ["train:best-epoch-1", "train:threshold-extreme"]);
  assert.match(f[0]!.reason, /kept the epoch-1 weights: validation loss rose from 0\.4000 at epoch 1 to 0\.7000 at epoch 5/);
  assert.match(f[0]!.advice!, /lower lr \(now 0\.001\)/);
  assert.match(f[1]!.reason, /threshold tuned on val is 1\.00, outside \[0\.05, 0\.95\]/);
  assert.match(trainingFindings({ epochs: [], bestEpoch: null, threshold: { ...th, threshold: 0.031 }, valReal: 12, valFake: 12 })[0]!.reason, /is 0\.031, outside/);
  // best epoch 1 but val loss flat or falling later: no finding; a best epoch after 1: none either
  assert.deepEqual(trainingFindings({ epochs: [0.4, 0.4, 0.39].map((v, i) => ({ epoch: i + 1, val_loss: v })), bestEpoch: 1, threshold: { ...th, threshold: 0.5 }, valReal: 12, valFake: 12 }), []);
  assert.deepEqual(trainingFindings({ epochs: rising, bestEpoch: 3, threshold: { ...th, threshold: 0.5 }, valReal: 12, valFake: 12 }), []);
  const small = trainingFindings({ epochs: [], bestEpoch: null, threshold: chooseThreshold([0.1, 0.9], [0, 1]), valReal: 1, valFake: 1 });
  assert.deepEqual(small.map((x) => x.id), ["train:small-val"]);
  assert.match(small[0]!.reason, /1 real \/ 1 fake clips \(fewer than 10 per class\): the threshold is 0\.5 by rule, not tuned$/);
});
