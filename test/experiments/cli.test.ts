// dfd runs / compare / gc through the real CLI on shell-stage pipelines (real SQLite store).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { LocalStore } from "../../src/runner/local-store.js";
import { dfd, lastJson, project, run, start, until } from "../helpers/cli.js";

// prep ~ extract (shared), model ~ train (its param differs between experiments), score ~ evaluate.
// Shell stages report no metrics: metric deltas are covered by the unit tests and the demo
// pipeline test.
const PIPE = `stages:
  prep:
    run: echo prepared > $DFD_OUT/data.txt
  model:
    run: cat $DFD_INPUT_PREP/data.txt > $DFD_OUT/m.txt; cat $DFD_PARAMS >> $DFD_OUT/m.txt; head -c 20000 /dev/urandom > $DFD_OUT/weights.bin
    needs: [prep]
    params:
      loss: focal
      lr: 0.001
  score:
    run: cat $DFD_INPUT_MODEL/m.txt > $DFD_OUT/s.txt
    needs: [model]
`;

const objects = (dir: string) => readdirSync(join(dir, "artifacts", "objects")).sort();

test("runs lists ok and failed runs newest first, with the params that vary", () => {
  const dir = project({ "pipeline.yaml": PIPE });
  assert.equal(run(dir).code, 0);
  assert.equal(run(dir, ["--set", "model.loss=bce"]).code, 0);
  const third = dfd(dir, ["run", "--set", "model.lr=oops", "--json"]);
  assert.equal(third.code, 0, third.stderr);
  const failing = project({ "pipeline.yaml": "stages:\n  boom:\n    run: echo nope >&2; exit 3\n" });
  assert.equal(dfd(failing, ["run"]).code, 1);
  const fr = lastJson(dfd(failing, ["runs", "--json"]));
  assert.equal(fr.runs.length, 1);
  assert.equal(fr.runs[0].status, "failed");
  assert.deepEqual(fr.runs[0].failed, ["boom"]);

  const r = lastJson(dfd(dir, ["runs", "--json"]));
  assert.equal(r.runs.length, 3);
  assert.deepEqual(r.runs.map((x: any) => x.overrides), [["model.lr=oops"], ["model.loss=bce"], []]);
  assert.deepEqual(Object.keys(r.runs[0].params).sort(), ["model.loss", "model.lr"]);
  assert.equal(r.runs[1].params["model.loss"], "bce");
  assert.equal(r.runs[1].cached, 1, "prep was a cache hit in the second run");
  const text = dfd(dir, ["runs", "--limit", "2"]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /model\.loss/);
  assert.equal(text.stdout.trim().split("\n").length, 4, "header, rule, two runs");
  const zero = dfd(dir, ["runs", "--limit", "0"]);
  assert.equal(zero.code, 2, "bad usage exits 2");
  assert.match(zero.stderr, /--limit 0: expected a whole number/);
});

test("before any run: runs lists nothing (exit 0), compare is bad input (exit 2)", () => {
  const dir = project({ "pipeline.yaml": PIPE });
  const runs = dfd(dir, ["runs"]);
  assert.equal(runs.code, 0, runs.stderr);
  assert.equal(runs.stdout, "no runs recorded yet\n");
  assert.deepEqual(lastJson(dfd(dir, ["runs", "--json"])), { runs: [], varyingParams: [] });
  const c = dfd(dir, ["compare", "latest~1", "latest"]);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /latest~1: no runs recorded yet/);
});

test("runs: a fully cached re-run folds into the run it repeats; params of stages that did not run do not vary", () => {
  const dir = project({ "pipeline.yaml": PIPE });
  assert.equal(run(dir, ["--until", "prep"]).code, 0); // model and score not run: their params are not "varying"
  const focal = run(dir);
  assert.equal(focal.status.model, "ran");
  const again = run(dir);
  assert.deepEqual(again.status, { prep: "cached", model: "cached", score: "cached" });
  const bce = run(dir, ["--set", "model.loss=bce"]);
  const j = lastJson(dfd(dir, ["runs", "--json"]));
  assert.deepEqual(j.varyingParams, ["model.loss"], "only the param that changed between runs that ran its stage");
  assert.equal(j.runs.length, 4, "--json lists every run");
  assert.deepEqual(j.runs.map((r: any) => r.rerunOf ?? null), [null, focal.json.run, null, null]);
  assert.deepEqual(j.runs[2].reruns, [again.json.run]);
  assert.deepEqual(j.runs.map((r: any) => r.params["model.loss"] ?? null), ["bce", "focal", "focal", null]);

  const text = dfd(dir, ["runs"]);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split("\n");
  assert.match(lines[0]!, /^run\s+started\s+status\s+s\s+ran\/cached\s+model\.loss\s+--set$/);
  assert.equal(lines.length, 2 + 3 + 1, "header, rule, three experiments, one note");
  assert.match(lines[2]!, new RegExp(`^${bce.json.run}\\s.*\\sbce\\s+model\\.loss=bce`));
  assert.match(lines[3]!, new RegExp(`^${focal.json.run}\\s.*\\sfocal\\s+\\(\\+1 cached re-run\\)$`));
  assert.doesNotMatch(text.stdout, new RegExp(again.json.run!));
  assert.match(lines[5]!, /^1 fully cached re-run \(nothing changed since the run before\) folded into the run it repeats; --json lists every run$/);
});

test("compare: shared prep, different model (first divergence names the param), prefixes and latest~N", () => {
  const dir = project({ "pipeline.yaml": PIPE });
  const a = run(dir);
  const b = run(dir, ["--set", "model.loss=bce"]);
  assert.equal(b.status.prep, "cached");
  const c = lastJson(dfd(dir, ["compare", "latest~1", "latest", "--json"]));
  assert.equal(c.a.id, a.json.run);
  assert.equal(c.b.id, b.json.run);
  assert.deepEqual(c.stages.map((s: any) => [s.name, s.relation]), [["prep", "shared"], ["model", "different"], ["score", "different"]]);
  assert.deepEqual(c.params, [{ path: "model.loss", a: "focal", b: "bce" }]);
  assert.equal(c.firstDivergence.stage, "model");
  assert.deepEqual(c.firstDivergence.reasons, ['params.loss "focal" → "bce"']);
  assert.deepEqual(c.b.overrides, ["model.loss=bce"]);

  const prefixA = a.json.run!.slice(0, a.json.run!.length - 3);
  const byPrefix = dfd(dir, ["compare", a.json.run!, b.json.run!.slice(0, 19)]);
  assert.equal(byPrefix.code, 0, byPrefix.stderr);
  assert.match(byPrefix.stdout, /first divergence: model\n  - params\.loss "focal" → "bce"/);
  assert.match(byPrefix.stdout, /prep\s+shell\s+= shared/);
  const md = dfd(dir, ["compare", "latest~1", "latest", "--md"]);
  assert.match(md.stdout, /^### dfd compare/);
  assert.match(md.stdout, /\| model\.loss \| focal \| bce \|/);
  assert.match(md.stdout, /\*\*First divergence: `model`\*\*/);
  const amb = dfd(dir, ["compare", prefixA.slice(0, 4), "latest"]);
  assert.equal(amb.code, 2, "a ref that names no single run is bad input");
  assert.match(amb.stderr, /ambiguous run id prefix/);
  const nope = dfd(dir, ["compare", "nope", "latest"]);
  assert.equal(nope.code, 2);
  assert.match(nope.stderr, /nope: no such run/);
  assert.match(dfd(dir, ["compare", "latest~5", "latest"]).stderr, /latest~5: only 2 run\(s\) recorded/);
  assert.equal(dfd(dir, ["compare", "latest", "latest", "--json", "--md"]).code, 2);
});

test("gc: dry run deletes nothing; gc never deletes what the latest run references and frees the rest", async () => {
  const dir = project({ "pipeline.yaml": PIPE });
  for (const loss of ["a", "b", "c"]) assert.equal(run(dir, ["--set", `model.loss=${loss}`]).code, 0);
  const before = objects(dir);
  assert.equal(before.length, 1 + 3 + 3, "prep once, model and score three times");

  const dry = lastJson(dfd(dir, ["gc", "--keep-last", "1", "--dry-run", "--json"]));
  assert.equal(dry.dryRun, true);
  assert.equal(dry.removed.length, 4);
  assert.ok(dry.freedBytes > 2 * 20000, "two model outputs of 20 kB and two small score outputs");
  assert.deepEqual(objects(dir), before, "dry run deleted nothing");

  const latest = lastJson(dfd(dir, ["runs", "--json"])).runs[0].id;
  const gc = dfd(dir, ["gc", "--keep-last", "1"]);
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, /freed \d+(\.\d)? KiB in 4 outputs/);
  assert.equal(objects(dir).length, 3);
  // the state table forgets the removed objects' files (and keeps the others')
  const store = await LocalStore.open(join(dir, "artifacts"));
  try {
    const rows = await store.statePaths(`${join(dir, "artifacts", "objects")}/`);
    const left = new Set(rows.map((r) => r.slice(join(dir, "artifacts", "objects").length + 1).split("/")[0]));
    assert.deepEqual([...left].sort(), objects(dir));
  } finally {
    await store.close();
  }
  // The latest run is fully cached and intact; the older experiment re-runs its model stage.
  const again = run(dir, ["--set", "model.loss=c"]);
  assert.deepEqual(again.status, { prep: "cached", model: "cached", score: "cached" });
  assert.notEqual(again.json.run, latest);
  assert.equal(dfd(dir, ["verify"]).code, 0);
  const old = run(dir, ["--set", "model.loss=a"]);
  assert.equal(old.status.prep, "cached");
  assert.equal(old.status.model, "ran");
  assert.deepEqual(old.reasons.model, ['params.loss "c" → "a"'], "explained against the last key; its output was collected");
});

test("gc --max-size keeps the store under a size, oldest first; --older-than spares recent outputs", () => {
  const dir = project({ "pipeline.yaml": PIPE });
  for (const loss of ["a", "b", "c"]) assert.equal(run(dir, ["--set", `model.loss=${loss}`]).code, 0);
  const recent = lastJson(dfd(dir, ["gc", "--keep-last", "1", "--older-than", "1h", "--json"]));
  assert.equal(recent.removed.length, 0, "nothing is an hour old");
  const sized = lastJson(dfd(dir, ["gc", "--keep-last", "1", "--max-size", String(recentTotal(recent) - 1), "--json"]));
  assert.equal(sized.removed.length, 1, "one output (the oldest) is enough to get under the size");
  assert.deepEqual(sized.removed[0].stages, ["model"]);
  assert.match(dfd(dir, ["gc", "--max-size", "lots"]).stderr, /--max-size "lots": expected a size/);
});

const recentTotal = (j: { totalBytes: number }) => j.totalBytes;

test("a run killed mid-stage leaves a record shown as interrupted; compare and gc still work", async () => {
  const dir = project({
    "pipeline.yaml": PIPE.replace("run: cat $DFD_INPUT_MODEL/m.txt > $DFD_OUT/s.txt", "run: echo $$ > pid.txt; sleep 30"),
  });
  const r = start(dir, ["run"]);
  await until(() => existsSync(join(dir, "pid.txt")) && readFileSync(join(dir, "pid.txt"), "utf8").trim() !== "", 30_000, "the score stage to start");
  r.child.kill("SIGKILL");
  await r.done;
  try { process.kill(Number(readFileSync(join(dir, "pid.txt"), "utf8")), "SIGKILL"); } catch { /* already gone */ }
  const runs = lastJson(dfd(dir, ["runs", "--json"])).runs;
  assert.equal(runs.length, 1);
  assert.equal(runs[0].status, "interrupted");
  assert.equal(runs[0].ran, 2, "prep and model had finished and are in the record");
  const gc = lastJson(dfd(dir, ["gc", "--keep-last", "1", "--json"]));
  assert.equal(gc.removed.length, 0, "what the interrupted run produced is kept");
});
