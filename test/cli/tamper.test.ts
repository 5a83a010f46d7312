// A tampered or missing artifact: caught by `dfd verify`, treated as a miss by `dfd run` (which
// says so) and repaired by that re-run.
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { dfd, project, run } from "../helpers/cli.js";

const PIPELINE = `stages:
  make:
    run: echo data > $DFD_OUT/data.txt
  use:
    run: cat $DFD_INPUT_MAKE/data.txt > $DFD_OUT/copy.txt
    needs: [make]
`;

test("a modified artifact is reported by verify and re-made by run", () => {
  const dir = project({ "pipeline.yaml": PIPELINE });
  run(dir);
  const out = dfd(dir, ["path", "make"]).stdout.trim();
  appendFileSync(join(out, "data.txt"), "evil\n");
  const v = dfd(dir, ["verify"]);
  assert.equal(v.code, 1);
  assert.match(v.stdout, new RegExp(`✗ ${out}: content does not match its address \\(modified\\); output of make — the next dfd run that needs it re-runs it\\n`));
  const r = run(dir);
  assert.deepEqual(r.status, { make: "ran", use: "cached" });
  assert.match(r.reasons.make![0]!, /^cached output [0-9a-f]{8} is modified \(tampered or corrupt\)$/);
  assert.equal(readFileSync(join(out, "data.txt"), "utf8"), "data\n");
  assert.equal(dfd(dir, ["verify"]).code, 0);
});

test("verify re-reads everything: it catches an edit that kept size and mtime", () => {
  const dir = project({ "pipeline.yaml": PIPELINE });
  run(dir);
  const file = join(dfd(dir, ["path", "make"]).stdout.trim(), "data.txt");
  const s = statSync(file);
  writeFileSync(file, "DATA\n");
  utimesSync(file, s.atime, s.mtime);
  assert.equal(dfd(dir, ["verify"]).code, 1);
});

test("a deleted artifact is a miss with a reason; verify names the dangling entry", () => {
  const dir = project({ "pipeline.yaml": PIPELINE });
  run(dir);
  const out = dfd(dir, ["path", "use"]).stdout.trim();
  rmSync(out, { recursive: true });
  const v = dfd(dir, ["verify", "--json"]);
  assert.equal(v.code, 1);
  assert.match(v.stderr, /✗ cache entry for use \(run \d{8}-\d{6}-[0-9a-f]{6}\) points at missing object [0-9a-f]{8}/);
  assert.equal(JSON.parse(v.stdout.trim().split("\n").pop()!).missing[0].stage, "use");
  const r = run(dir);
  assert.deepEqual(r.status, { make: "cached", use: "ran" });
  assert.match(r.reasons.use![0]!, /^cached output [0-9a-f]{8} is missing$/);
  assert.equal(dfd(dir, ["verify"]).code, 0);
});
