// The logic behind `dfd runs` and `dfd compare` on hand-made records: re-run folding, the params
// that really vary, integer metrics, different test sets.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compareRuns } from "../../src/experiments/compare.js";
import { numberColumn, renderComparisonMarkdown, renderComparisonText } from "../../src/experiments/render.js";
import { isRerunOf, runsView, varyingParams } from "../../src/experiments/runs.js";
import { digestOf, type RunRecord, type StageRecord } from "../../src/runner/records.js";

const stage = (name: string, key: string | null, params: Record<string, unknown>, extra: Partial<StageRecord> = {}): StageRecord => ({
  name, kind: name, key, status: "ran", reasons: [], seconds: 1, params: params as StageRecord["params"],
  outputHash: key && `out-${key}`, summary: null, ...extra,
});
let clock = Date.parse("2026-12-01T00:00:00Z");
const run = (id: string, stages: StageRecord[], extra: Partial<RunRecord> = {}): RunRecord => ({
  id, pid: 1, startedAt: new Date((clock += 60_000)).toISOString(), finishedAt: new Date(clock + 1000).toISOString(),
  pipeline: { file: "pipeline.yaml", sha256: "p" }, overrides: [], data: null, status: "ok", stages, ...extra,
});
const cached = (s: StageRecord): StageRecord => ({ ...s, status: "cached" });

// The pipeline of issue 12: extract → diagnose → split → train → evaluate.
const EVAL = { threshold: 0.5, bootstrap: 1000, strips: 10, batch: 32, report: true, seed: 1 };
const full = (loss: string, keys: string) => [
  stage("extract", "e1", { fps: 4 }), stage("diagnose", "d1", { duplicate_distance: 6 }), stage("split", "s1", { seed: 1 }),
  stage("train", `t-${keys}`, { loss: { type: loss, gamma: 2 }, epochs: 20 }), stage("evaluate", `v-${keys}`, EVAL),
];

test("varying params: a stage that did not run (--until) does not make its params vary; the real change is named first", () => {
  const a = run("a", full("focal", "1"));
  const b = run("b", full("bce", "2"), { overrides: ["train.loss.type=bce"] });
  const untilDiagnose = run("c", full("bce", "2").slice(0, 2).map(cached), { overrides: ["train.loss.type=bce"] });
  const skipped = run("d", [...full("focal", "1").slice(0, 3).map(cached), stage("train", null, { loss: { type: "focal", gamma: 2 }, epochs: 20 }, { status: "failed" }),
    stage("evaluate", null, { ...EVAL, bootstrap: 5 }, { status: "skipped" })]);
  assert.deepEqual(varyingParams([untilDiagnose, b, a].map(digestOf)), ["train.loss.type"]);
  assert.deepEqual(varyingParams([skipped, untilDiagnose, b, a].map(digestOf)), ["train.loss.type"], "a skipped stage's params were not used");
  // A param the stage did not have before (added to the kind) is a difference; overrides rank first.
  const added = run("e", full("focal", "3").map((s) => (s.name === "evaluate" ? { ...s, params: { ...EVAL, pooling: "attention" } } : s)));
  assert.deepEqual(varyingParams([added, b, a].map(digestOf)), ["train.loss.type", "evaluate.pooling"]);
});

test("runsView: chains of fully cached re-runs fold into the first run; switching back to an older experiment does not", () => {
  const a = run("a", full("focal", "1"));
  const a2 = run("a2", full("focal", "1").map(cached));
  const a3 = run("a3", full("focal", "1").map(cached));
  const b = run("b", full("bce", "2"), { overrides: ["train.loss.type=bce"] });
  const back = run("back", full("focal", "1").map(cached)); // all cached, but not what the run before computed
  const partial = run("partial", full("focal", "1").slice(0, 3).map(cached)); // --until split after `back`
  const failed = run("failed", full("focal", "1").map(cached), { status: "failed" });
  const view = runsView([failed, partial, back, b, a3, a2, a].map(digestOf));
  assert.deepEqual(view.runs.map((r) => r.rerunOf ?? null), [null, "back", null, null, "a", "a", null]);
  assert.deepEqual(view.experiments.map((r) => r.id), ["failed", "back", "b", "a"]);
  assert.deepEqual(view.experiments.find((r) => r.id === "a")!.reruns, ["a3", "a2"]);
  assert.deepEqual(view.experiments.find((r) => r.id === "back")!.reruns, ["partial"]);
  // The oldest listed run folds when the run before it (not listed) is what it repeats.
  const window = runsView([a3, a2].map(digestOf), digestOf(a));
  assert.deepEqual(window.runs.map((r) => r.rerunOf ?? null), ["a", "a"]);
  assert.equal(window.experiments.length, 0);
  assert.equal(isRerunOf(digestOf(a2), undefined), false);
});

test("compare: integer-valued metrics print as integers, others with 4 decimals", async () => {
  const withMetrics = (id: string, epochs: number, auc: number) =>
    run(id, [stage("train", `t${id}`, {}, { summary: { metrics: { best_epoch: epochs, val_auc: auc } } })]);
  const c = await compareRuns(withMetrics("a", 12, 1), withMetrics("b", 20, 0.95));
  const text = renderComparisonText(c);
  assert.match(text, /train\.best_epoch\s+12\s+20\s+\+8\n/);
  assert.match(text, /train\.val_auc\s+1\.0000\s+0\.9500\s+-0\.0500\n/);
  assert.doesNotMatch(text, /\+8\.0000/);
  assert.deepEqual(numberColumn([3, undefined, 0]), ["3", "—", "0"]);
  assert.deepEqual(numberColumn([0.5, 2]), ["0.5000", "2.0000"]);
});

test("compare: different test sets are said prominently in text, --md and --json; the same set is said too", async () => {
  const evaluate = (id: string, facts: Record<string, string | number>, auc: number) =>
    run(id, [stage("evaluate", `v${id}`, {}, { summary: { metrics: { test_auc: auc }, facts } })]);
  const a = evaluate("a", { test_clips: 17, test_set: "aaaa" }, 0.8);
  const b = evaluate("b", { test_clips: 25, test_set: "bbbb" }, 0.9);
  const c = await compareRuns(a, b);
  assert.deepEqual(c.testSets, [{ stage: "evaluate", a: { clips: 17, set: "aaaa" }, b: { clips: 25, set: "bbbb" }, same: false, source: "facts" }]);
  assert.equal(c.warnings.length, 1);
  assert.match(c.warnings[0]!, /^different test sets: evaluate scored 17 test clips in A and 25 test clips in B/);
  const text = renderComparisonText(c);
  assert.match(text.split("\n")[0]!, /^⚠ different test sets: evaluate scored 17 test clips in A and 25 test clips in B/, "the first line");
  assert.match(text, /evaluate\.test_auc †/);
  const md = renderComparisonMarkdown(c);
  assert.match(md, /> \[!WARNING\]\n> \*\*different test sets\*\*: evaluate scored 17/);
  // Same count, different clips.
  const sameCount = await compareRuns(a, evaluate("c", { test_clips: 17, test_set: "cccc" }, 0.9));
  assert.match(sameCount.warnings[0]!, /17 test clips in A and 17 test clips in B \(not the same clips\)/);
  // The same set: no warning, one reassuring line.
  const same = await compareRuns(a, evaluate("d", { test_clips: 17, test_set: "aaaa" }, 0.85));
  assert.deepEqual(same.warnings, []);
  assert.match(renderComparisonText(same), /test set: evaluate scored the same 17 clips in both runs/);
});

test("compare: records without test-set facts fall back to evaluate's clip counts in its summary lines", async () => {
  const evaluate = (id: string, fake: number, real: number) => run(id, [stage("evaluate", `v${id}`, {}, {
    summary: { metrics: { test_auc: 0.8 }, lines: [`test: AUC 0.800 [0.700–0.900] · acc 0.750 · F1 0.700 · ${fake} fake / ${real} real`, "val: no clips"] },
  })]);
  const c = await compareRuns(evaluate("a", 9, 8), evaluate("b", 12, 13));
  assert.deepEqual(c.testSets, [{ stage: "evaluate", a: { clips: 17, set: null }, b: { clips: 25, set: null }, same: false, source: "summary lines" }]);
  assert.equal(c.warnings.length, 1);
  // Equal counts, identity unknown: no warning (and no claim that they are the same).
  const unknown = await compareRuns(evaluate("a", 9, 8), evaluate("b", 8, 9));
  assert.equal(unknown.testSets[0]!.same, null);
  assert.deepEqual(unknown.warnings, []);
  assert.doesNotMatch(renderComparisonText(unknown), /test set/);
});
