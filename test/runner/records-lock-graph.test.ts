// Run records API (real SQLite), the lock's timeout, and graph selection.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { findCycle, select, topoOrder } from "../../src/runner/graph.js";
import { acquireLock } from "../../src/runner/lock.js";
import { newRunId, Records, type RunRecord } from "../../src/runner/records.js";
import { LocalStore } from "../../src/runner/local-store.js";
import { project } from "../helpers/cli.js";

const record = (id: string, startedAt: string, pid = process.pid): RunRecord => ({
  id, pid, startedAt, finishedAt: null, pipeline: { file: "/p.yaml", sha256: "0".repeat(64) }, overrides: [], data: null, status: "running", stages: [],
});

test("records: put/get/list newest first/latest/resolve (id, prefix, latest~N); a dead process's running record reads interrupted", async () => {
  const dir = project({});
  const store = await LocalStore.open(join(dir, "artifacts"));
  try {
    const recs = store.runs;
    await assert.rejects(recs.resolve("latest"), /no runs recorded yet: `dfd run` first/);
    const dead = spawnSync("true").pid!;
    await recs.put({ ...record("20260101-000000-aaaaaa", "2026-01-01T00:00:00.000Z", dead) });
    await recs.put({ ...record("20260102-000000-bbbbbb", "2026-01-02T00:00:00.000Z"), status: "ok" });
    await recs.put(record("20260102-000000-bbbccc", "2026-01-02T00:00:00.500Z"));
    assert.deepEqual((await recs.list()).map((r) => r.id), ["20260102-000000-bbbccc", "20260102-000000-bbbbbb", "20260101-000000-aaaaaa"]);
    assert.equal((await recs.latest())!.id, "20260102-000000-bbbccc");
    assert.equal((await recs.get("20260101-000000-aaaaaa"))!.status, "interrupted");
    assert.equal((await recs.get("20260102-000000-bbbccc"))!.status, "running", "this process is alive");
    assert.equal((await recs.resolve("20260101")).id, "20260101-000000-aaaaaa");
    assert.equal((await recs.resolve("20260102-000000-bbbbbb")).id, "20260102-000000-bbbbbb", "an exact id that is also a prefix of nothing else");
    await assert.rejects(recs.resolve("20260102-000000-bbb"), /20260102-000000-bbb: ambiguous run id prefix, matches 20260102-000000-bbbccc, 20260102-000000-bbbbbb$/);
    await assert.rejects(recs.resolve("2027"), /2027: no such run/);
    assert.equal((await recs.resolve("latest")).id, "20260102-000000-bbbccc");
    assert.equal((await recs.resolve("latest~2")).id, "20260101-000000-aaaaaa");
    await assert.rejects(recs.resolve("latest~3"), /latest~3: only 3 run\(s\) recorded \(latest~2 is the oldest\)/);
    assert.match(newRunId(new Date("2026-11-24T08:15:03Z")), /^20261124-081503-[0-9a-f]{6}$/);
  } finally {
    await store.close();
  }
});

test("lock: a live holder makes the next acquirer wait, and --lock-timeout gives up naming the PID", async () => {
  const dir = project({});
  mkdirSync(join(dir, "a"));
  const held = await acquireLock(join(dir, "a"), { runId: "r1" });
  let waitedFor = 0;
  await assert.rejects(
    acquireLock(join(dir, "a"), {}, { timeoutMs: 300, onWait: (h) => (waitedFor = h.pid) }),
    new RegExp(`gave up waiting for the lock held by PID ${process.pid}`),
  );
  assert.equal(waitedFor, process.pid);
  held.release();
  assert.equal(existsSync(join(dir, "a", "lock")), false);
  const again = await acquireLock(join(dir, "a"), {});
  again.release();
});

test("graph: cycles with their path, stable topological order, selections", () => {
  const g = [
    { name: "a", needs: [] },
    { name: "b", needs: ["a"] },
    { name: "c", needs: ["b"] },
    { name: "d", needs: [] },
  ];
  assert.equal(findCycle(g), undefined);
  assert.deepEqual(findCycle([{ name: "x", needs: ["y"] }, { name: "y", needs: ["x"] }]), ["x", "y", "x"]);
  assert.deepEqual(topoOrder([{ name: "c", needs: ["b"] }, { name: "b", needs: ["a"] }, { name: "a", needs: [] }]), ["a", "b", "c"]);
  const set = (s: Set<string>) => [...s].sort();
  assert.deepEqual(set(select(g, { until: "b" }).run), ["a", "b"]);
  const from = select(g, { from: "b" });
  assert.deepEqual([set(from.run), set(from.forced)], [["a", "b", "c", "d"], ["b", "c"]]);
  const only = select(g, { only: ["c"] });
  assert.deepEqual([set(only.run), set(only.cachedOnly)], [["c"], ["a", "b"]]);
  assert.deepEqual(set(select(g, { force: [] }).forced), ["a", "b", "c", "d"]);
  const both = select(g, { from: "a", until: "b" });
  assert.deepEqual([set(both.run), set(both.forced)], [["a", "b"], ["a", "b"]]);
});
