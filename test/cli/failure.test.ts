// A failing stage: not cached, its dependants skipped, independent branches finish, exit 1 with a
// summary naming the failure and its log; parallelism of independent stages.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { dfd, project, run } from "../helpers/cli.js";

const PIPELINE = `stages:
  bad:
    run: 'echo working; echo "boom: the model exploded" >&2; exit 3'
  after:
    run: echo never > $DFD_OUT/x
    needs: [bad]
  side:
    run: sleep 0.3; echo fine > $DFD_OUT/x
`;

test("a failing stage fails the run (exit 1), skips its dependants, lets independent stages finish", () => {
  const dir = project({ "pipeline.yaml": PIPELINE });
  const r = run(dir);
  assert.equal(r.code, 1);
  assert.equal(r.json.status, "failed");
  assert.deepEqual(r.status, { bad: "failed", after: "skipped", side: "ran" });
  assert.deepEqual(r.reasons.after, ["upstream bad failed"]);
  // The summary names the failure, the stderr tail and the log file.
  const m = /dfd: stage bad failed: command exited with code 3: .* \(log: (\S+bad\.log)\)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.ok(existsSync(m[1]!));
  const log = readFileSync(m[1]!, "utf8");
  assert.match(log, /working\nboom: the model exploded\n/);
  const plain = dfd(dir, ["run"]);
  assert.match(plain.stdout, /bad +failed +\d+\.\d +command exited with code 3: echo working.*\n {6}\| working\n {6}\| boom: the model exploded\n {4}log: \S+bad\.log\n/);
  // A failed stage is not cached: the next run tries it again; side stays cached.
  const again = run(dir);
  assert.deepEqual(again.status, { bad: "failed", after: "skipped", side: "cached" });
});

test("two independent one-second stages run in parallel (about one second, not two)", () => {
  const dir = project({
    "pipeline.yaml": `stages:
  s1:
    run: sleep 1; echo 1 > $DFD_OUT/x
  s2:
    run: sleep 1; echo 2 > $DFD_OUT/x
`,
  });
  const t0 = Date.now();
  const r = run(dir, ["--jobs", "2"]);
  const wall = (Date.now() - t0) / 1000;
  assert.equal(r.code, 0, r.stderr);
  assert.ok(wall < 1.8, `two 1 s stages took ${wall} s with --jobs 2: not parallel`);
  // --jobs 1 serializes them.
  const t1 = Date.now();
  const r1 = run(dir, ["--jobs", "1", "--force"]);
  assert.equal(r1.code, 0);
  assert.ok((Date.now() - t1) / 1000 >= 2, "--jobs 1 must run one stage at a time");
});

test("--json: the last stdout line is exactly the documented object", () => {
  const dir = project({ "pipeline.yaml": "stages:\n  one:\n    run: echo hi > $DFD_OUT/x\n" });
  const r = run(dir);
  assert.deepEqual(Object.keys(r.json), ["run", "status", "stages"]);
  assert.match(r.json.run!, /^\d{8}-\d{6}-[0-9a-f]{6}$/);
  assert.equal(r.json.status, "ok");
  assert.equal(r.json.stages.length, 1);
  const s = r.json.stages[0]!;
  assert.deepEqual(Object.keys(s), ["name", "status", "key", "reasons", "seconds"]);
  assert.equal(s.name, "one");
  assert.equal(s.status, "ran");
  assert.match(s.key!, /^[0-9a-f]{64}$/);
  assert.deepEqual(s.reasons, ["no cached output"]);
  assert.equal(typeof s.seconds, "number");
  const st = dfd(dir, ["status", "--json"]);
  assert.deepEqual(JSON.parse(st.stdout.trim().split("\n").pop()!), { stages: [{ name: "one", state: "fresh", reasons: [] }] });
});
