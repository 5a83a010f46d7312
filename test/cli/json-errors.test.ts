// With --json, a failure before any result (a bad pipeline.yaml, an unknown run) still ends stdout
// with one JSON object, so CI scripts that read the last line always get one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dfd, lastJson, project, run } from "../helpers/cli.js";

test("run --json on a bad pipeline.yaml: exit 2, stderr rendered, last stdout line a JSON object with line:col", () => {
  const dir = project({ "pipeline.yaml": "stages:\n  a:\n    run: echo hi\n    needz: [b]\n" });
  const r = dfd(dir, ["run", "--json"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /pipeline\.yaml:4:5: /);
  const j = lastJson(r);
  assert.equal(j.status, "failed");
  assert.equal(j.exitCode, 2);
  assert.equal(j.run, null);
  assert.deepEqual(j.stages, []);
  assert.equal(j.diagnostics.length, 1);
  assert.deepEqual([j.diagnostics[0].line, j.diagnostics[0].col], [4, 5]);
  assert.match(j.diagnostics[0].file, /pipeline\.yaml$/);
  assert.match(j.error, /needz/);
  const s = lastJson(dfd(dir, ["status", "--json"]));
  assert.equal(s.status, "failed");
  assert.deepEqual(s.stages, []);
});

test("compare --json with an unknown run: bad input, exit 2 and a JSON error line; without --json stdout stays empty", () => {
  const dir = project({ "pipeline.yaml": "stages:\n  a:\n    run: echo hi > $DFD_OUT/x\n" });
  assert.equal(run(dir).code, 0);
  const r = dfd(dir, ["compare", "nope", "latest", "--json"]);
  assert.equal(r.code, 2);
  assert.deepEqual(lastJson(r), { status: "failed", exitCode: 2, error: "nope: no such run (see `dfd runs`; use an id, a unique prefix, latest or latest~N)", diagnostics: [] });
  const plain = dfd(dir, ["compare", "nope", "latest"]);
  assert.equal(plain.stdout, "");
  assert.equal(plain.code, 2);
  assert.match(plain.stderr, /^nope: no such run/);
});
