// Two runs at once (the second waits for the first), a stale lock from a dead process, kill -9 in
// the middle of a stage (nothing corrupt, the next run re-runs it, verify clean) and Ctrl-C
// (the stage's whole process tree is killed, exit 130, nothing cached).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Records } from "../../src/runner/records.js";
import { LocalStore } from "../../src/runner/local-store.js";
import { dfd, lastJson, project, run, start, until } from "../helpers/cli.js";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("a second run waits for the first (naming its PID) and then proceeds", async () => {
  // The first run's stage holds until the test removes `hold`, so the order never depends on timing.
  const dir = project({ "pipeline.yaml": "stages:\n  slow:\n    run: while [ -f hold ]; do sleep 0.05; done; echo x > $DFD_OUT/x\n", hold: "" });
  const a = start(dir, ["run", "--json"]);
  await until(() => existsSync(join(dir, "artifacts", "lock")), 20_000, "the first run's lock");
  const b = start(dir, ["run", "--json"]);
  await until(() => b.stderr().includes("waiting for PID"), 20_000, "the second run to wait");
  assert.match(b.stderr(), new RegExp(`dfd: waiting for PID ${a.child.pid} \\(dfd run started \\d{4}-\\d\\d-\\d\\dT`));
  rmSync(join(dir, "hold"));
  const [ra, rb] = await Promise.all([a.done, b.done]);
  assert.equal(ra.code, 0, ra.stderr);
  assert.equal(rb.code, 0, rb.stderr);
  assert.equal(lastJson(ra).stages[0].status, "ran");
  assert.equal(lastJson(rb).stages[0].status, "cached");
});

test("a lock left by a dead process is taken over", () => {
  const dir = project({ "pipeline.yaml": "stages:\n  one:\n    run: echo x > $DFD_OUT/x\n" });
  const dead = spawnSync("true").pid!;
  mkdirSync(join(dir, "artifacts"), { recursive: true });
  writeFileSync(join(dir, "artifacts", "lock"), JSON.stringify({ pid: dead, startedAt: "2026-01-01T00:00:00.000Z" }));
  const r = run(dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`taking over a stale lock from PID ${dead} \\(not running\\)`));
  assert.equal(existsSync(join(dir, "artifacts", "lock")), false, "the lock is released at the end");
});

const SLOW = `stages:
  quick:
    run: echo q > $DFD_OUT/q
  slow:
    run: echo $$ > pid.txt; echo partial > $DFD_OUT/part; if [ -f hold ]; then sleep 60; fi; echo done > $DFD_OUT/x
    needs: [quick]
`;

test("kill -9 in the middle of a stage: no corrupt entry; the next run takes the lock, re-runs the stage; verify is clean", async () => {
  const dir = project({ "pipeline.yaml": SLOW, hold: "" });
  const a = start(dir, ["run"]);
  await until(() => existsSync(join(dir, "pid.txt")) && readFileSync(join(dir, "pid.txt"), "utf8").trim() !== "", 20_000, "the slow stage to start");
  const shPid = Number(readFileSync(join(dir, "pid.txt"), "utf8"));
  a.child.kill("SIGKILL");
  await a.done;
  // The stage's own process group outlives a SIGKILLed dfd; clean it up like an OS reboot would.
  try { process.kill(-shPid, "SIGKILL"); } catch { /* gone */ }
  rmSync(join(dir, "hold"));
  rmSync(join(dir, "pid.txt"));

  const st = lastJson(dfd(dir, ["status", "--json"]));
  assert.deepEqual(st.stages.map((s: { state: string }) => s.state), ["fresh", "stale"]);
  const r = run(dir);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.status, { quick: "cached", slow: "ran" });
  assert.match(r.stderr, /taking over a stale lock from PID \d+/);
  assert.deepEqual(readdirSync(join(dir, "artifacts", "tmp")), [], "leftover work dirs are cleaned");
  const v = dfd(dir, ["verify"]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /verified 2 objects: all intact/);
  const store = await LocalStore.open(join(dir, "artifacts"));
  try {
    const runs = await store.runs.list();
    assert.deepEqual(runs.map((x) => x.status), ["ok", "interrupted"]);
    assert.deepEqual(runs[1]!.stages.map((s) => [s.name, s.status]), [["quick", "ran"]]);
  } finally {
    await store.close();
  }
});

test("Ctrl-C (SIGINT) kills the stage's whole process tree, caches nothing from it, exits 130", async () => {
  const dir = project({ "pipeline.yaml": SLOW, hold: "" });
  const a = start(dir, ["run", "--json"]);
  await until(() => existsSync(join(dir, "pid.txt")) && readFileSync(join(dir, "pid.txt"), "utf8").trim() !== "", 20_000, "the slow stage to start");
  const shPid = Number(readFileSync(join(dir, "pid.txt"), "utf8"));
  a.child.kill("SIGINT");
  const r = await a.done;
  assert.equal(r.code, 130, r.stderr);
  const json = lastJson(r);
  assert.equal(json.status, "interrupted");
  assert.deepEqual(json.stages.map((s: { status: string }) => s.status), ["ran", "failed"]);
  await until(() => !alive(shPid), 5000, "the stage's shell to be killed");
  rmSync(join(dir, "hold"));
  assert.equal(run(dir).status.slow, "ran");
});
