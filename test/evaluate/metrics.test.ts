// evaluate's maths against hand-computed cases, through the code path the stage uses (setMetrics).
import { test } from "node:test";
import assert from "node:assert/strict";
import { bootstrapAucCi, perGroup, perSource, setMetrics, thresholdReport, type Scored } from "../../src/lib/metrics.js";

const close = (a: number | null, b: number, msg?: string) => {
  assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${msg ?? ""} expected ${b}, got ${a}`);
};

// scores      0.9 0.8 0.4 | 0.4 0.3 0.1      (one fake/real tie at 0.4)
// labels      f   f   f   | r   r   r
// sources     a   a   b   | cam cam cam
const items: Scored[] = [
  { score: 0.9, label: 1, source: "a" },
  { score: 0.8, label: 1, source: "a" },
  { score: 0.4, label: 1, source: "b" },
  { score: 0.4, label: 0, source: "cam" },
  { score: 0.3, label: 0, source: "cam" },
  { score: 0.1, label: 0, source: "cam" },
];

test("setMetrics: hand-computed AUC with a tie, AP, and both thresholds", () => {
  const m = setMetrics(items, { threshold: 0.4 });
  assert.equal(m.n, 6);
  assert.equal(m.fake, 3);
  assert.equal(m.real, 3);
  // pairs won by fakes: 0.9 → 3, 0.8 → 3, 0.4 → 0.5 (tie) + 1 + 1  ⇒ 8.5 / 9
  close(m.auc, 8.5 / 9, "auc");
  // precision at recall steps 1/3 (1), 2/3 (1), 1 (3 of the 4 at ≥ 0.4) ⇒ AP = 1/3 + 1/3 + 1/4
  close(m.pr_auc, 1 / 3 + 1 / 3 + 1 / 4, "pr_auc");
  // threshold 0.4 (score >= t is fake): tp 3, fp 1 (the real at 0.4), tn 2, fn 0
  assert.deepEqual(m.at_threshold.confusion, { tp: 3, fp: 1, tn: 2, fn: 0 });
  close(m.at_threshold.accuracy, 5 / 6);
  close(m.at_threshold.precision, 3 / 4);
  close(m.at_threshold.recall, 1);
  close(m.at_threshold.specificity, 2 / 3);
  close(m.at_threshold.f1, (2 * 0.75 * 1) / 1.75);
  // threshold 0.5: tp 2, fp 0, tn 3, fn 1
  assert.deepEqual(m.at_0_5.confusion, { tp: 2, fp: 0, tn: 3, fn: 1 });
  close(m.at_0_5.precision, 1);
  close(m.at_0_5.recall, 2 / 3);
  close(m.at_0_5.f1, 0.8);
  close(m.mean_score.fake, 2.1 / 3);
  close(m.mean_score.real, 0.8 / 3);
  assert.deepEqual(m.notes, []);
  assert.equal(m.auc_ci95, null, "no bootstrap asked for");
});

test("perSource: recall of each source's own class and mean score", () => {
  const ps = perSource(items, 0.4);
  assert.deepEqual(Object.keys(ps), ["a", "b", "cam"]);
  assert.equal(ps.a!.recall, 1);
  close(ps.a!.mean_score, 0.85);
  assert.equal(ps.b!.fake_recall, 1, "0.4 >= threshold 0.4 counts as caught");
  assert.equal(ps.b!.real_recall, null);
  // reals 0.4 (flagged), 0.3 and 0.1 (passed)
  close(ps.cam!.recall, 2 / 3);
  close(ps.cam!.real_recall, 2 / 3);
  assert.equal(ps.cam!.fake_recall, null);
  // a mixed source reports both rates; clips without a source are "(none)"
  const mixed = perSource(
    [
      { score: 0.9, label: 1, source: null },
      { score: 0.2, label: 1, source: null },
      { score: 0.1, label: 0, source: null },
    ],
    0.5,
  );
  const { mean_score, ...counts } = mixed["(none)"]!;
  assert.deepEqual(counts, { n: 3, real: 1, fake: 2, recall: 2 / 3, fake_recall: 0.5, real_recall: 1, auc: 1, auc_vs_other: null });
  close(mean_score, 0.4);
});

test("perSource AUC: within a mixed source; a one-class source against every clip of the other class", () => {
  const ps = perSource(items, 0.4);
  // class-pure sources have no AUC of their own
  assert.equal(ps.a!.auc, null);
  // a's fakes (0.9, 0.8) against the reals (0.4, 0.3, 0.1): all above
  assert.equal(ps.a!.auc_vs_other, 1);
  // b's fake 0.4 against reals 0.4 (tie), 0.3, 0.1: (0.5 + 1 + 1) / 3
  close(ps.b!.auc_vs_other, 2.5 / 3);
  // cam's reals against every fake = the split's AUC here
  close(ps.cam!.auc_vs_other, 8.5 / 9);
  // no clip of the other class in the split: undefined
  assert.equal(perSource(items.filter((i) => i.label === 1), 0.5).a!.auc_vs_other, null);
});

test("perGroup: AUC within content groups where a group holds both classes", () => {
  const g = perGroup([
    { score: 0.9, label: 1, source: "gen", group: "g1" },
    { score: 0.2, label: 0, source: "cam", group: "g1" },
    { score: 0.3, label: 1, source: "gen", group: "g2" },
    { score: 0.6, label: 0, source: "cam", group: "g2" },
    { score: 0.5, label: 1, source: "gen", group: "g3" },
    { score: 0.5, label: 1, source: "gen", group: null },
  ]);
  assert.deepEqual(g, { groups: 3, one_class: 1, mean_auc: 0.5, auc: { g1: 1, g2: 0 } });
  assert.equal(perGroup(items), null, "no groups: null");
});

test("setMetrics: one-class and empty sets give nulls and notes, never NaN", () => {
  const onlyFake = setMetrics(items.filter((i) => i.label === 1), { threshold: 0.5, bootstrap: 100 });
  assert.equal(onlyFake.auc, null);
  assert.equal(onlyFake.auc_ci95, null);
  assert.equal(onlyFake.at_threshold.specificity, null, "no reals: true-negative rate undefined");
  close(onlyFake.at_threshold.recall, 2 / 3);
  assert.match(onlyFake.notes.join(" "), /only fake clips.*ROC-AUC is undefined/);

  const onlyReal = setMetrics(items.filter((i) => i.label === 0), { threshold: 0.5 });
  assert.equal(onlyReal.auc, null);
  assert.equal(onlyReal.pr_auc, null);
  assert.equal(onlyReal.at_threshold.recall, null);
  assert.equal(onlyReal.at_threshold.precision, null, "nothing flagged: precision undefined");
  assert.equal(onlyReal.at_threshold.f1, null);
  close(onlyReal.at_threshold.accuracy, 1);
  assert.match(onlyReal.notes.join(" "), /no fake clips/);

  const empty = setMetrics([], { threshold: 0.5, bootstrap: 10 });
  assert.equal(empty.n, 0);
  assert.equal(empty.at_threshold.accuracy, null);
  assert.deepEqual(empty.per_source, {});
  assert.match(empty.notes.join(" "), /no clips/);
  // the whole object survives JSON without NaN turning into something surprising
  const json = JSON.stringify([onlyFake, onlyReal, empty]);
  assert.ok(!json.includes("NaN"));
  assert.deepEqual(JSON.parse(json)[2].auc, null);
});

test("thresholdReport: precision undefined when nothing is flagged", () => {
  const t = thresholdReport([0.1, 0.2], [1, 0], 0.5);
  assert.deepEqual(t.confusion, { tp: 0, fp: 0, tn: 1, fn: 1 });
  assert.equal(t.precision, null);
  assert.equal(t.recall, 0);
  assert.equal(t.f1, 0, "fakes present but none caught: F1 0, not undefined");
});

test("bootstrapAucCi: seeded, brackets the AUC, degenerate cases", () => {
  const s = items.map((i) => i.score);
  const l = items.map((i) => i.label);
  const a = bootstrapAucCi(s, l, 500, 7);
  const b = bootstrapAucCi(s, l, 500, 7);
  assert.deepEqual(a, b, "same seed, same interval");
  assert.ok(a && a[0] <= 8.5 / 9 && 8.5 / 9 <= a[1] && a[0] >= 0 && a[1] <= 1, `interval ${a}`);
  // a perfectly separated set stays perfect in every resample
  assert.deepEqual(bootstrapAucCi([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], 200, 1), [1, 1]);
  assert.equal(bootstrapAucCi([0.1, 0.2], [1, 1], 200, 1), null);
  // through setMetrics: only when asked
  const m = setMetrics(items, { threshold: 0.4, bootstrap: 500, seed: 7 });
  assert.deepEqual(m.auc_ci95, a);
});
