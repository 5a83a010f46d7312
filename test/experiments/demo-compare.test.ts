// Issue 6's acceptance check on the real pipeline: two runs of a (small) demo pipeline that differ
// only in the loss, compared in one command — demo/extract/diagnose/split shared, train/evaluate
// different with the loss param named as the first divergence, and the evaluate metrics with deltas;
// then a run on another test split, which compare flags first (issue 11).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { dfd, lastJson, project, run } from "../helpers/cli.js";
import { SMALL_DEMO_PIPELINE } from "../helpers/demo-pipeline.js";

const PIPELINE = SMALL_DEMO_PIPELINE;

test("focal vs bce on the demo pipeline: one compare shows shared data stages, the diverging train, metric deltas", () => {
  const dir = project({ "pipeline.yaml": PIPELINE });
  const a = run(dir);
  assert.equal(a.code, 0, a.stderr);
  const b = run(dir, ["--set", "train.loss.type=bce"]);
  assert.equal(b.code, 0, b.stderr);
  assert.deepEqual(b.status, { demo: "cached", extract: "cached", diagnose: "cached", split: "cached", train: "ran", evaluate: "ran" });

  const c = lastJson(dfd(dir, ["compare", "latest~1", "latest", "--json"]));
  assert.deepEqual(Object.fromEntries(c.stages.map((s: any) => [s.name, s.relation])),
    { demo: "shared", extract: "shared", diagnose: "shared", split: "shared", train: "different", evaluate: "different" });
  assert.equal(c.firstDivergence.stage, "train");
  assert.deepEqual(c.firstDivergence.reasons, ['params.loss.type "focal" → "bce"']);
  assert.deepEqual(c.params, [{ path: "train.loss.type", a: "focal", b: "bce" }]);
  const auc = c.metrics.find((m: any) => m.name === "evaluate.val_acc");
  assert.ok(auc && typeof auc.a === "number" && typeof auc.b === "number", "evaluate's metrics are in both runs");
  assert.equal(auc.delta, auc.b - auc.a);
  assert.deepEqual(c.testSets.map((t: any) => [t.stage, t.same, t.source]), [["evaluate", true, "facts"]], "the same split: the same test set");
  assert.deepEqual(c.warnings, []);

  const md = dfd(dir, ["compare", "latest~1", "latest", "--md"]).stdout;
  assert.match(md, /\| evaluate\.test_acc \| [\d.]+ \| [\d.]+ \| [+-]?[\d.]+ \|/);
  assert.match(md, /\| train\.loss\.type \| focal \| bce \|/);
  const runs = lastJson(dfd(dir, ["runs", "--json"])).runs;
  assert.deepEqual(runs.map((r: any) => r.params["train.loss.type"]), ["bce", "focal"]);
  assert.ok(typeof runs[0].metrics["evaluate.test_acc"] === "number");

  // predict with a run's model: --model latest / latest~1 / an id prefix = that run's train output
  const clip = join(dfd(dir, ["path", "demo"]).stdout.trim(), "fake", readdirSync(join(dfd(dir, ["path", "demo"]).stdout.trim(), "fake")).find((f) => !f.startsWith("."))!);
  const score = (model: string) => {
    const r = dfd(dir, ["predict", "--model", model, clip, "--json", "--backend", "cpu"]);
    assert.equal(r.code, 0, r.stderr);
    return lastJson(r).score as number;
  };
  const bceDir = dfd(dir, ["path", "train", "--set", "train.loss.type=bce"]).stdout.trim();
  assert.equal(score("latest"), score(bceDir));
  assert.equal(score(runs[1].id.slice(0, 19)), score(dfd(dir, ["path", "train"]).stdout.trim()));
  const missing = dfd(dir, ["predict", "--model", "latest~7", clip]);
  assert.equal(missing.code, 2, "a run ref that names no run is bad input");
  assert.match(missing.stderr, /latest~7: only 2 run\(s\) recorded/);
  assert.match(dfd(dir, ["predict", "--model", "no/such/dir", clip]).stderr, /--model no\/such\/dir: no such directory/);

  // Issue 11: a run on another test split (a larger test fraction), compared with the first one:
  // the test sets differ, and the comparison says so before anything else.
  const other = run(dir, ["--set", "split.test=0.5"]);
  assert.equal(other.code, 0, other.stderr);
  const d = lastJson(dfd(dir, ["compare", runs[1].id, "latest", "--json"]));
  const ts = d.testSets[0];
  assert.equal(ts.same, false);
  assert.ok(ts.a.clips < ts.b.clips, `${ts.a.clips} < ${ts.b.clips} test clips`);
  assert.equal(d.warnings.length, 1);
  const text = dfd(dir, ["compare", runs[1].id, "latest"]).stdout;
  assert.match(text.split("\n")[0]!, new RegExp(`^⚠ different test sets: evaluate scored ${ts.a.clips} test clips in A and ${ts.b.clips} test clips in B`));
  assert.match(dfd(dir, ["compare", runs[1].id, "latest", "--md"]).stdout, /> \[!WARNING\]\n> \*\*different test sets\*\*/);
});
