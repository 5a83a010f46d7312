// Run records in their own table (real SQLite): digests for listings, latest~N by index, bad refs
// as ConfigErrors (exit 2), records written by older versions (keyv rows) moved in on open.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError } from "../../src/runner/diagnostic.js";
import { openDb } from "../../src/runner/db.js";
import { Records, type RunRecord } from "../../src/runner/records.js";
import { project } from "../helpers/cli.js";

const record = (id: string, startedAt: string, extra: Partial<RunRecord> = {}): RunRecord => ({
  id, pid: process.pid, startedAt, finishedAt: startedAt, pipeline: { file: "pipeline.yaml", sha256: "p" }, overrides: [], data: null, status: "ok",
  stages: [{
    name: "evaluate", kind: "evaluate", key: `k-${id}`, status: "ran", reasons: ["no cached output"], seconds: 2, params: { bootstrap: 1000 }, outputHash: `o-${id}`,
    summary: {
      metrics: { test_auc: 0.8 }, facts: { test_clips: 17 }, lines: ["test: AUC 0.800"],
      findings: [{ severity: "warn", message: "m" } as never, { severity: "info", message: "i" } as never],
      skipped: Array.from({ length: 500 }, (_, i) => ({ item: `clip-${i}`, error: "unreadable" })),
    },
  }],
  ...extra,
});

test("records: digests carry what listings need and not the summaries; updates replace; latest~N and prefixes resolve", async () => {
  const dir = project({});
  const db = await openDb(join(dir, "cache.sqlite"));
  try {
    const recs = new Records(db);
    for (let i = 0; i < 30; i++) await recs.put(record(`20261201-0000${String(i).padStart(2, "0")}-abcdef`, new Date(Date.UTC(2026, 11, 1, 0, 0, i)).toISOString()));
    await recs.put({ ...record("20261201-000029-abcdef", "2026-12-01T00:00:29.000Z"), status: "failed" });
    const d = await recs.digests(3);
    assert.deepEqual(d.map((r) => r.id), ["20261201-000029-abcdef", "20261201-000028-abcdef", "20261201-000027-abcdef"]);
    assert.equal(d[0]!.status, "failed", "the second put replaced the first");
    assert.deepEqual(d[1]!.stages[0], {
      name: "evaluate", kind: "evaluate", key: "k-20261201-000028-abcdef", status: "ran", seconds: 2, params: { bootstrap: 1000 },
      outputHash: "o-20261201-000028-abcdef", metrics: { test_auc: 0.8 }, facts: { test_clips: 17 }, findings: { error: 0, warn: 1 },
    });
    assert.ok(JSON.stringify(d).length < 2000, "no skipped list, reasons or lines in digests");
    assert.deepEqual((await recs.digests(2, 28)).map((r) => r.id), ["20261201-000001-abcdef", "20261201-000000-abcdef"]);
    assert.equal((await recs.resolve("latest~29")).id, "20261201-000000-abcdef");
    assert.equal((await recs.resolve("latest~29")).stages[0]!.summary!.skipped!.length, 500, "resolve gives the whole record");
    await assert.rejects(recs.resolve("latest~30"), (e: unknown) => e instanceof ConfigError && /only 30 run\(s\) recorded/.test(e.message));
    await assert.rejects(recs.resolve("20261201-00001"), (e: unknown) => e instanceof ConfigError && /ambiguous run id prefix, matches 20261201-000019-abcdef, /.test(e.message));
    assert.equal((await recs.resolve("20261201-000017")).id, "20261201-000017-abcdef");
    await assert.rejects(recs.resolve("x"), ConfigError);
    await recs.delete("20261201-000029-abcdef");
    assert.equal((await recs.resolve("latest")).id, "20261201-000028-abcdef");
    assert.equal((await recs.list()).length, 29);
  } finally {
    await db.close();
  }
});

test("records kept by an older version (keyv rows) are moved into the runs table when the database is opened", async () => {
  const dir = project({});
  const file = join(dir, "cache.sqlite");
  const before = await openDb(file);
  await before.kv.set("run:20261130-120000-aaaaaa", record("20261130-120000-aaaaaa", "2026-11-30T12:00:00.000Z"));
  await before.kv.set("run:20261130-130000-bbbbbb", record("20261130-130000-bbbbbb", "2026-11-30T13:00:00.000Z"));
  await before.kv.set("entry:k", { unrelated: true });
  await before.close();
  const db = await openDb(file);
  try {
    const recs = new Records(db);
    assert.deepEqual((await recs.digests()).map((r) => r.id), ["20261130-130000-bbbbbb", "20261130-120000-aaaaaa"]);
    assert.equal((await recs.get("20261130-120000-aaaaaa"))!.stages[0]!.reasons[0], "no cached output");
    assert.deepEqual(await db.kv.get("run:20261130-120000-aaaaaa"), undefined, "moved, not copied");
    assert.deepEqual(await db.kv.get("entry:k"), { unrelated: true });
  } finally {
    await db.close();
  }
});
