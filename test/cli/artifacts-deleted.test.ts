// `rm -rf artifacts` while a run is going: the run stops (the running stage is killed, no other
// starts, the directory is not half re-made), says so once, exits 1, and the next run starts afresh.
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { lastJson, project, run, start, until, writeFiles } from "../helpers/cli.js";

const PIPELINE = `stages:
  a:
    run: echo started; sleep 60; echo a > "$DFD_OUT/a"
  b:
    run: echo started; sleep 60; echo b > "$DFD_OUT/b"
  c:
    run: cat "$DFD_INPUT_A/a" > "$DFD_OUT/c"
    needs: [a]
`;

test("deleting the artifacts directory mid-run ends the run cleanly with one message", async () => {
  const dir = project({ "pipeline.yaml": PIPELINE });
  const artifacts = join(dir, "artifacts");
  const t0 = Date.now();
  const r = start(dir, ["run", "--jobs", "1", "--json"]);
  await until(() => r.stderr().includes("▶ "), 60_000, "the first stage to start");
  rmSync(artifacts, { recursive: true, force: true });
  const res = await r.done;
  const seconds = (Date.now() - t0) / 1000;

  assert.equal(res.code, 1, res.stderr);
  assert.ok(seconds < 45, `the running stage was stopped, not waited for (${seconds.toFixed(1)} s)`);
  const j = lastJson(res);
  assert.equal(j.status, "failed");
  assert.equal(j.run, null, "no run record to name");
  assert.match(j.error, /artifacts directory was deleted/);
  const by = Object.fromEntries(j.stages.map((s: { name: string }) => [s.name, s]));
  const first = by.a.status === "failed" ? "a" : "b";
  const second = first === "a" ? "b" : "a";
  assert.equal(by[first].status, "failed");
  assert.equal(by[second].status, "skipped");
  assert.deepEqual(by[second].reasons, ["not started: the artifacts directory was deleted during the run"]);
  assert.equal(by.c.status, "skipped");

  const err = res.stderr;
  assert.equal(err.split("\n").filter((l) => l.startsWith("dfd: ")).length, 1, err);
  assert.ok(err.includes(`dfd: the artifacts directory ${artifacts} was deleted during the run: the run stopped, and nothing of it was kept (no outputs, no cache entries, no run record); \`dfd run\` again starts afresh\n`), err);
  assert.ok(err.includes(`✗ ${first}: failed after`) && err.includes(`the artifacts directory ${artifacts} (or its logs/) was deleted while the stage ran`), err);
  assert.doesNotMatch(err, /ENOENT|\.log\b|\n\s+at /, "no raw errno, no log that does not exist, no stack trace");
  assert.doesNotMatch(err, /^run \d{8}-/m, "no run id: its record is gone");
  assert.equal(existsSync(artifacts), false, "the run did not re-make a half artifacts directory");

  // The next run in the same place starts afresh (the sleeps replaced, to be quick).
  writeFiles(dir, { "pipeline.yaml": PIPELINE.replaceAll("sleep 60", "true") });
  const again = run(dir, []);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(again.status, { a: "ran", b: "ran", c: "ran" });
});
