// Cache hits and misses for every key component a shell stage has, early cut-off, and the
// reasons printed for each miss (real CLI, real SQLite, temp dir).
import assert from "node:assert/strict";
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { dfd, lastJson, project, run, writeFiles } from "../helpers/cli.js";

const PIPELINE = `stages:
  prep:
    run: cat inputs/*.txt > $DFD_OUT/all.txt
    deps: [inputs]
  count:
    run: wc -l < $DFD_INPUT_PREP/all.txt > $DFD_OUT/n.txt; cp $DFD_PARAMS $DFD_OUT/params.json
    needs: [prep]
    params:
      lr: 0.001
      loss: {type: focal}
  other:
    run: echo independent > $DFD_OUT/o.txt
`;

function fresh() {
  return project({ "pipeline.yaml": PIPELINE, "inputs/a.txt": "alpha\n", "inputs/b.txt": "beta\n" });
}

test("first run runs everything, the second is fully cached", () => {
  const dir = fresh();
  const a = run(dir);
  assert.equal(a.code, 0, a.stderr);
  assert.deepEqual(a.status, { prep: "ran", count: "ran", other: "ran" });
  assert.deepEqual(a.reasons.prep, ["no cached output"]);
  const b = run(dir);
  assert.deepEqual(b.status, { prep: "cached", count: "cached", other: "cached" });
  assert.deepEqual(a.json.stages.map((s) => s.key), b.json.stages.map((s) => s.key));
});

test("a changed param re-runs that stage only, reason old → new (nested too)", () => {
  const dir = fresh();
  run(dir);
  writeFileSync(join(dir, "pipeline.yaml"), PIPELINE.replace("lr: 0.001", "lr: 0.0003").replace("type: focal", "type: bce"));
  const r = run(dir);
  assert.deepEqual(r.status, { prep: "cached", count: "ran", other: "cached" });
  assert.deepEqual(r.reasons.count, ["params.loss.type \"focal\" → \"bce\"", "params.lr 0.001 → 0.0003"]);
});

test("a changed command re-runs the stage, reason names the command", () => {
  const dir = fresh();
  run(dir);
  writeFileSync(join(dir, "pipeline.yaml"), PIPELINE.replace("echo independent", "echo independent!"));
  const r = run(dir);
  assert.equal(r.status.other, "ran");
  assert.match(r.reasons.other![0]!, /^params.command "echo independent > \$DFD_OUT\/o.txt" → "echo independent! > \$DFD_OUT\/o.txt"$/);
});

test("a changed, added or removed dep file is named with short hashes; downstream sees the upstream output changed", () => {
  const dir = fresh();
  run(dir);
  appendFileSync(join(dir, "inputs/a.txt"), "more\n");
  writeFiles(dir, { "inputs/c.txt": "gamma\n" });
  const r = run(dir);
  assert.equal(r.status.prep, "ran");
  assert.equal(r.reasons.prep!.length, 2);
  assert.match(r.reasons.prep![0]!, /^input inputs\/a\.txt changed \([0-9a-f]{8} → [0-9a-f]{8}\)$/);
  assert.equal(r.reasons.prep![1], "input inputs/c.txt added");
  assert.equal(r.status.count, "ran");
  assert.match(r.reasons.count![0]!, /^upstream prep output changed \([0-9a-f]{8} → [0-9a-f]{8}\)$/);
  assert.equal(r.status.other, "cached");
});

test("early cut-off: an upstream re-run with identical output leaves downstream cached", () => {
  const dir = fresh();
  run(dir);
  // Same output, different command: prep re-runs, its output hash is unchanged.
  writeFileSync(join(dir, "pipeline.yaml"), PIPELINE.replace("cat inputs/*.txt >", "cat inputs/a.txt inputs/b.txt >"));
  const r = run(dir);
  assert.equal(r.status.prep, "ran");
  assert.equal(r.status.count, "cached");
});

test("touching a dep without changing it does not re-run anything", () => {
  const dir = fresh();
  run(dir);
  writeFileSync(join(dir, "inputs/a.txt"), "alpha\n"); // new mtime, same content
  const r = run(dir);
  assert.deepEqual(r.status, { prep: "cached", count: "cached", other: "cached" });
});

test("changing the data set re-runs a shell stage that reads $DFD_DATA and only that one", () => {
  const dir = project({
    "pipeline.yaml": `data: clips
stages:
  list:
    run: ls "$DFD_DATA" > $DFD_OUT/list.txt
  static:
    run: echo static > $DFD_OUT/s.txt
`,
    "clips/real/a.txt": "a",
  });
  run(dir);
  writeFiles(dir, { "clips/fake/b.txt": "b" });
  const r = run(dir);
  assert.deepEqual(r.status, { list: "ran", static: "cached" });
  assert.deepEqual(r.reasons.list, ["data clips/fake/b.txt added"]);
});

test("status and why explain a stale stage as values; why names the run that produced a fresh one", () => {
  const dir = fresh();
  const first = run(dir);
  writeFileSync(join(dir, "pipeline.yaml"), PIPELINE.replace("lr: 0.001", "lr: 0.01"));
  const st = dfd(dir, ["status", "--json"]);
  assert.equal(st.code, 0, st.stderr);
  assert.deepEqual(lastJson(st), {
    stages: [
      { name: "prep", state: "fresh", reasons: [] },
      { name: "count", state: "stale", reasons: ["params.lr 0.001 → 0.01"] },
      { name: "other", state: "fresh", reasons: [] },
    ],
  });
  const why = dfd(dir, ["why", "count"]);
  assert.match(why.stdout, /^count: stale\n {2}params\.lr 0\.001 → 0\.01\n/);
  const whyPrep = dfd(dir, ["why", "prep"]);
  assert.match(whyPrep.stdout, new RegExp(`prep: fresh — cached output [0-9a-f]{8} produced by run ${first.json.run} at `));
  const path = dfd(dir, ["path", "prep"]);
  assert.equal(path.code, 0);
  assert.match(path.stdout.trim(), /artifacts\/objects\/[0-9a-f]{64}$/);
  const stalePath = dfd(dir, ["path", "count"]);
  assert.equal(stalePath.code, 1);
  assert.match(stalePath.stderr, /stage count has no current cached output \(stale: params\.lr 0\.001 → 0\.01\)/);
});

test("status shows a stale upstream's dependants as stale without running anything", () => {
  const dir = fresh();
  run(dir);
  appendFileSync(join(dir, "inputs/b.txt"), "x\n");
  const st = lastJson(dfd(dir, ["status", "--json"]));
  assert.equal(st.stages[0].state, "stale");
  assert.deepEqual(st.stages[1], { name: "count", state: "stale", reasons: ["upstream prep will re-run"] });
  // Nothing ran: a real run still sees prep stale.
  assert.equal(run(dir).status.prep, "ran");
});

test("dag prints the graph marked by status in text, mermaid and dot", () => {
  const dir = fresh();
  run(dir, ["--until", "prep"]);
  const text = dfd(dir, ["dag"]);
  assert.equal(text.stdout, "✓ prep (shell) fresh\n✗ count (shell) stale ← prep\n✗ other (shell) stale\n");
  const mermaid = dfd(dir, ["dag", "--format", "mermaid"]).stdout;
  assert.match(mermaid, /^graph TD\n/);
  assert.match(mermaid, / {2}prep --> count\n/);
  assert.match(mermaid, /count\["count \(shell\)"\]:::stale/);
  const dot = dfd(dir, ["dag", "--format", "dot"]).stdout;
  assert.match(dot, /"prep" -> "count";/);
  assert.match(dot, /"prep" \[label="prep\\nshell · fresh", fillcolor=palegreen\];/);
});

test("DFD_ARTIFACTS moves the cache; the pipeline's own artifacts/ stays untouched", () => {
  const dir = fresh();
  const elsewhere = join(dir, "elsewhere");
  const env = { DFD_ARTIFACTS: elsewhere };
  assert.equal(run(dir, [], env).status.prep, "ran");
  assert.equal(run(dir, [], env).status.prep, "cached");
  assert.ok(existsSync(join(elsewhere, "cache.sqlite")));
  assert.equal(existsSync(join(dir, "artifacts")), false);
  assert.match(dfd(dir, ["path", "prep"], env).stdout, new RegExp(`^${elsewhere}/objects/[0-9a-f]{64}\\n$`));
});
