// A failing stage: not cached, its dependants skipped, independent branches finish, exit 1 with a
// summary naming the failure and its log; parallelism of independent stages.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
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

test("two independent one-second stages run in parallel; --jobs 1 runs them one at a time", () => {
  // Each stage records when it started and ended; overlap is checked on those stamps rather than
  // on wall time, which a loaded 2-core CI machine makes noisy.
  const stamp = 'date +%s%N > $DFD_OUT/start; sleep 1; date +%s%N > $DFD_OUT/end';
  const dir = project({ "pipeline.yaml": `stages:\n  s1:\n    run: ${stamp}\n  s2:\n    run: ${stamp}\n` });
  const window = (stage: string) => {
    const out = dfd(dir, ["path", stage]).stdout.trim();
    return [Number(readFileSync(join(out, "start"), "utf8")), Number(readFileSync(join(out, "end"), "utf8"))] as const;
  };
  const overlap = () => {
    const [a, b] = [window("s1"), window("s2")];
    return a[0] < b[1] && b[0] < a[1];
  };
  const r = run(dir, ["--jobs", "2"]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(overlap(), "with --jobs 2 the two stages must overlap in time");
  const r1 = run(dir, ["--jobs", "1", "--force"]);
  assert.equal(r1.code, 0);
  assert.ok(!overlap(), "--jobs 1 must run one stage at a time");
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

test("a deps file that vanishes before its stage's key is computed fails that stage only", () => {
  const dir = project({
    "pipeline.yaml": `stages:
  cleanup:
    run: rm victim.txt; echo done > $DFD_OUT/x
  reader:
    run: cat victim.txt > $DFD_OUT/x
    deps: [victim.txt]
    needs: [cleanup]
  other:
    run: echo ok > $DFD_OUT/x
`,
    "victim.txt": "v",
  });
  const r = run(dir);
  assert.equal(r.code, 1);
  assert.deepEqual(r.status, { cleanup: "ran", reader: "failed", other: "ran" });
  assert.match(r.stderr, /dfd: stage reader failed: cannot compute the cache key: .*victim\.txt does not exist/);
});

test("parallel stages that produce identical output share one object", () => {
  const same = "sleep 0.2; echo same > $DFD_OUT/x";
  const dir = project({ "pipeline.yaml": `stages:\n  p1:\n    run: ${same}\n  p2:\n    run: ${same}\n  p3:\n    run: ${same}\n` });
  const r = run(dir, ["--jobs", "3"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.status, { p1: "ran", p2: "ran", p3: "ran" });
  const paths = ["p1", "p2", "p3"].map((s) => dfd(dir, ["path", s]).stdout);
  assert.equal(new Set(paths).size, 1);
  assert.equal(dfd(dir, ["verify"]).code, 0);
});
