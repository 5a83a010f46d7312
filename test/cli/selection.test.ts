// --from / --until / --only / --force / --dry-run on a chain a → b → c plus an independent d.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { dfd, project, run } from "../helpers/cli.js";

const PIPELINE = `stages:
  a:
    run: echo a > $DFD_OUT/a
  b:
    run: cat $DFD_INPUT_A/a > $DFD_OUT/b
    needs: [a]
  c:
    run: cat $DFD_INPUT_B/b > $DFD_OUT/c
    needs: [b]
  d:
    run: echo d > $DFD_OUT/d
`;
const fresh = () => project({ "pipeline.yaml": PIPELINE });

test("--until runs a stage and what it needs, nothing else", () => {
  const dir = fresh();
  const r = run(dir, ["--until", "b"]);
  assert.deepEqual(r.status, { a: "ran", b: "ran" });
});

test("--from forces a stage and everything downstream, leaves the rest cached", () => {
  const dir = fresh();
  run(dir);
  const r = run(dir, ["--from", "b"]);
  assert.deepEqual(r.status, { a: "cached", b: "ran", c: "ran", d: "cached" });
  assert.deepEqual(r.reasons.b, ["forced (--from b)"]);
  assert.deepEqual(r.reasons.c, ["forced (--from b)"]);
});

test("--only runs just the named stages, using cached inputs", () => {
  const dir = fresh();
  run(dir);
  const r = run(dir, ["--only", "c", "--force"]);
  assert.deepEqual(r.status, { a: "cached", b: "cached", c: "ran" });
});

test("--only with an upstream that has no cached output skips, saying why", () => {
  const dir = fresh();
  const r = run(dir, ["--only", "c"]);
  assert.equal(r.code, 0);
  assert.equal(r.status.c, "skipped");
  assert.deepEqual(r.status, { a: "skipped", b: "skipped", c: "skipped" });
  assert.deepEqual(r.reasons.a, ["not selected and has no valid cached output (no cached output)"]);
  assert.deepEqual(r.reasons.b, ["upstream a was skipped"]);
  assert.deepEqual(r.reasons.c, ["upstream b was skipped"]);
});

test("--force with names forces those; without names forces all", () => {
  const dir = fresh();
  run(dir);
  const forced = run(dir, ["--force", "a"]);
  assert.deepEqual(forced.status, { a: "ran", b: "cached", c: "cached", d: "cached" });
  assert.deepEqual(forced.reasons.a, ["forced (--force)"]);
  assert.deepEqual(run(dir, ["--force"]).status, { a: "ran", b: "ran", c: "ran", d: "ran" });
  assert.deepEqual(run(dir, ["--force", "b,d"]).status, { a: "cached", b: "ran", c: "cached", d: "ran" });
  // A variadic flag followed by the pipeline file: the file is still the pipeline.
  assert.deepEqual(run(dir, ["--force", "pipeline.yaml"]).status, { a: "ran", b: "ran", c: "ran", d: "ran" });
  assert.deepEqual(run(dir, ["--only", "d", "pipeline.yaml"]).status, { d: "cached" });
});

test("--dry-run executes nothing and says what would run and why", () => {
  const dir = fresh();
  run(dir);
  writeFileSync(join(dir, "pipeline.yaml"), PIPELINE.replace("echo a", "echo A"));
  const r = dfd(dir, ["run", "--dry-run"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `dry run: nothing is executed
a: would run
    params.command "echo a > $DFD_OUT/a" → "echo A > $DFD_OUT/a"
b: would run
    upstream a will re-run
c: would run
    upstream b will re-run
d: cached
`);
  assert.equal(run(dir).status.a, "ran");
});

test("an unknown stage in --from/--until/--only/--force is exit 2 with did-you-mean", () => {
  const dir = fresh();
  const r = dfd(dir, ["run", "--from", "bb"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--from: no stage "bb" in .*pipeline\.yaml \(did you mean "b"\?\); stages: a, b, c, d/);
});
