// A fanned-out stage over `dfd worker` processes through BullMQ on a real Redis, with a real remote
// cache (Ceph RGW when available, else a shared directory): the output equals a local run byte for
// byte; a worker killed mid-item is noticed and its item runs elsewhere; a worker with another
// code version refuses; a Redis that may evict keys is refused.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { FileHasher } from "../../src/runner/filehash.js";
import { openBackend } from "../../src/remote/open.js";
import { dfd, run, start, until } from "../helpers/cli.js";
import { NO_REDIS, UPPER_KIND, isolatedQueue, redisUrl, sharedRemote, startRedis, startWorker, upperProject, type WorkerProc } from "./helpers.js";

const treeOf = async (dir: string) => (await new FileHasher(undefined).hashTree(dir)).hash;
const outputOf = (dir: string, env: NodeJS.ProcessEnv) => dfd(dir, ["path", "upper"], env).stdout.trim();

async function withWorkers<T>(n: number, queue: string, projectDir: string, env: NodeJS.ProcessEnv, f: (ws: WorkerProc[]) => Promise<T>, extra: string[] = []): Promise<T> {
  const ws: WorkerProc[] = [];
  try {
    for (let i = 0; i < n; i++) ws.push(await startWorker(queue, projectDir, env, extra));
    return await f(ws);
  } finally {
    await Promise.all(ws.map((w) => w.stop()));
  }
}

describe("fan-out on dfd workers (BullMQ)", { skip: redisUrl ? false : NO_REDIS }, () => {
  test("items over 2 workers: the same output as a local run, byte for byte", async () => {
    const remote = await sharedRemote();
    const local = upperProject(8, "delay_ms: 150");
    const l = run(local, [], { DFD_REMOTE: "off" });
    assert.equal(l.code, 0, l.stderr);
    const coordinator = upperProject(8, "delay_ms: 150");
    const queue = isolatedQueue();
    await withWorkers(2, queue, upperProject(0), remote.env, async (ws) => {
      const r = run(coordinator, ["--executor", "bullmq", "--queue", queue], remote.env);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.status, { upper: "ran", count: "ran" });
      assert.equal(r.json.stages[0]!.key, l.json.stages[0]!.key);
      assert.equal(await treeOf(outputOf(coordinator, remote.env)), await treeOf(outputOf(local, { DFD_REMOTE: "off" })));
      await until(() => ws.reduce((a, w) => a + (w.log().match(/ done in /g) ?? []).length, 0) >= 8, 5000, "the workers' logs").catch(() => {});
      const done = ws.map((w) => (w.log().match(/ done in /g) ?? []).length);
      assert.equal(done[0]! + done[1]!, 8, ws.map((w) => w.log()).join("\n---\n"));
      assert.ok(done[0]! > 0 && done[1]! > 0, `both workers ran items: ${done}`);
    });
  });

  test("inputs shared: workers read the items' inputs where the coordinator has them (no upload), same output", async () => {
    const remote = await sharedRemote();
    const local = upperProject(4);
    assert.equal(run(local, [], { DFD_REMOTE: "off" }).code, 0);
    const coordinator = upperProject(4);
    const queue = isolatedQueue();
    await withWorkers(1, queue, upperProject(0), remote.env, async (ws) => {
      const r = run(coordinator, ["--executor", "bullmq", "--queue", queue, "--inputs", "shared"], { ...remote.env, DFD_STATS: "1" });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await treeOf(outputOf(coordinator, remote.env)), await treeOf(outputOf(local, { DFD_REMOTE: "off" })));
      // The inputs were not uploaded: the remote has no blob of a data file.
      const sha = createHash("sha256").update(readFileSync(join(coordinator, "data/texts/t00.txt"))).digest("hex");
      const backend = await openBackend({ url: remote.url, ...(remote.env.DFD_REMOTE_ENDPOINT ? { endpoint: remote.env.DFD_REMOTE_ENDPOINT } : {}) });
      assert.equal(await backend.exists(`cas/${sha.slice(0, 2)}/${sha}`), false);
      backend.close();
      assert.equal(ws.length, 1);
    });
    const { TreeCache } = await import("../../src/distributed/inputs.js");
    const trees = new TreeCache(undefined as never, coordinator);
    await assert.rejects(trees.materialize({ hash: "0".repeat(64), path: join(coordinator, "no-such-dir"), files: { "texts/t00.txt": "1".repeat(64) } }),
      /input .*no-such-dir\/texts\/t00\.txt is missing on this worker: executor inputs "shared" needs the data set and the artifacts directory at the same path on every worker/);
  });

  test("items already on the remote are not queued again (a new item is)", async () => {
    const remote = await sharedRemote();
    const queue = isolatedQueue();
    const a = upperProject(4);
    await withWorkers(1, queue, upperProject(0), remote.env, async (ws) => {
      assert.equal(run(a, ["--executor", "bullmq", "--queue", queue], remote.env).code, 0);
      const b = upperProject(5);
      const r = run(b, ["--executor", "bullmq", "--queue", queue], remote.env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.status.upper, "ran");
      // (run() is synchronous: give the worker's log lines a moment to arrive.)
      await until(() => (ws[0]!.log().match(/ done in /g) ?? []).length >= 5, 5000, "the worker's log").catch(() => {});
      assert.equal((ws[0]!.log().match(/ done in /g) ?? []).length, 5, "4 items, then only the new one");
    });
  });

  test("kill -9 of a worker mid-item: the item is retried on the other worker, the output is still identical", async () => {
    const remote = await sharedRemote();
    const withs = "slow: t02.txt, slow_ms: 4000";
    const local = upperProject(6, withs);
    assert.equal(run(local, [], { DFD_REMOTE: "off" }).code, 0);
    const coordinator = upperProject(6, withs);
    const queue = isolatedQueue();
    await withWorkers(2, queue, upperProject(0), remote.env, async (ws) => {
      const r = start(coordinator, ["run", "--json", "--executor", "bullmq", "--queue", queue], remote.env);
      let victim: WorkerProc | undefined;
      await until(() => !!(victim = ws.find((w) => /item t02\.txt \(upper\) started/.test(w.log()))), 30_000, "the slow item to start");
      victim!.child.kill("SIGKILL");
      const survivor = ws.find((w) => w !== victim)!;
      const done = await r.done;
      assert.equal(done.code, 0, `${done.stderr}\n--- survivor:\n${survivor.log()}`);
      assert.match(survivor.log(), /item t02\.txt \(upper\) done/, "the other worker ran the killed worker's item");
      assert.equal(await treeOf(outputOf(coordinator, remote.env)), await treeOf(outputOf(local, { DFD_REMOTE: "off" })));
    }, ["--lock-duration", "2"]);
  });

  test("an item that fails is retried with backoff (here: it succeeds on its second attempt)", async () => {
    const remote = await sharedRemote();
    const queue = isolatedQueue();
    const marker = join(upperProject(0), "flaky-marker");
    const withs = `flaky: t01.txt, flaky_marker: ${marker}`;
    const local = upperProject(3, withs.replace("t01.txt", "none"));
    assert.equal(run(local, [], { DFD_REMOTE: "off" }).code, 0);
    const coordinator = upperProject(3, withs);
    await withWorkers(1, queue, upperProject(0), remote.env, async (ws) => {
      const r = run(coordinator, ["--executor", "bullmq", "--queue", queue], remote.env);
      assert.equal(r.code, 0, r.stderr);
      await until(() => /item t01\.txt \(upper\) done/.test(ws[0]!.log()), 5000, "the worker's log");
      assert.match(ws[0]!.log(), /item t01\.txt: failed: flaky item[\s\S]*item t01\.txt \(upper\) started \(attempt 2\)[\s\S]*item t01\.txt \(upper\) done/);
      assert.ok(existsSync(marker));
      // The outputs differ only by the flaky params, not by the retry: same item files.
      assert.equal(await treeOf(join(outputOf(coordinator, remote.env), "items")), await treeOf(join(outputOf(local, { DFD_REMOTE: "off" }), "items")));
    });
  });

  test("Ctrl-C on the coordinator removes the flow: no items left waiting", async () => {
    const remote = await sharedRemote();
    const queue = isolatedQueue();
    const coordinator = upperProject(6, "delay_ms: 1500");
    await withWorkers(1, queue, upperProject(0), remote.env, async (ws) => {
      const r = start(coordinator, ["run", "--json", "--executor", "bullmq", "--queue", queue], remote.env);
      await until(() => / started/.test(ws[0]!.log()), 30_000, "the first item to start");
      r.child.kill("SIGINT");
      const done = await r.done;
      assert.equal(done.code, 130, done.stderr);
      const { Queue } = await import("bullmq");
      const { Redis } = await import("ioredis");
      const connection = new Redis(queue, { maxRetriesPerRequest: null });
      const items = new Queue("dfd-items", { connection });
      const stages = new Queue("dfd-stages", { connection });
      const counts = await items.getJobCounts("waiting", "delayed", "prioritized", "waiting-children");
      const parents = await stages.getJobCounts("waiting", "waiting-children");
      await items.close();
      await stages.close();
      connection.disconnect();
      assert.deepEqual(counts, { waiting: 0, delayed: 0, prioritized: 0, "waiting-children": 0 });
      assert.equal(parents["waiting-children"], 0, "the flow's parent is gone");
    });
  });

  test("a worker with another code version of the kind refuses the item; the stage fails saying why", async () => {
    const remote = await sharedRemote();
    const queue = isolatedQueue();
    const coordinator = upperProject(3);
    const old = upperProject(0, "", UPPER_KIND.replace("// test fan-out kind", "// test fan-out kind, an older checkout"));
    await withWorkers(1, queue, old, remote.env, async (ws) => {
      const r = run(coordinator, ["--executor", "bullmq", "--queue", queue], remote.env);
      assert.equal(r.code, 1);
      assert.equal(r.status.upper, "failed");
      assert.match(r.stderr, /has another version of stage kind \.\/kinds\/upper\.mjs \(code [0-9a-f]{12}.*the coordinator .* runs code [0-9a-f]{12}.*refuses the item/);
      await until(() => /refused/.test(ws[0]!.log()), 5000, "the worker's log");
      assert.doesNotMatch(ws[0]!.log(), / done in /);
    });
  });

  test("a Redis whose maxmemory-policy may evict keys is refused, naming the setting", async () => {
    const redis = await startRedis("allkeys-lru");
    if (!redis) return;
    try {
      const dir = upperProject(1);
      const w = dfd(dir, ["worker", "--queue", redis.url], {});
      assert.equal(w.code, 1);
      assert.match(w.stderr, /maxmemory-policy allkeys-lru; BullMQ needs noeviction/);
      const remote = await sharedRemote();
      const r = run(dir, ["--executor", "bullmq", "--queue", redis.url], remote.env);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /maxmemory-policy allkeys-lru/);
    } finally {
      redis.stop();
    }
  });

  test("--executor bullmq without a remote cache is refused with the reason", () => {
    const dir = upperProject(1);
    const r = dfd(dir, ["run", "--executor", "bullmq", "--queue", isolatedQueue()], { DFD_REMOTE: "off" });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--executor bullmq needs a remote cache/);
  });
});
