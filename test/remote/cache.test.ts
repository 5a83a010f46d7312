// The remote cache's own guarantees, on a real S3 server (Ceph RGW) and on a shared directory:
// publish + look up + download round trip, first writer wins under a race, nothing partial
// visible, tampered blobs and records refused naming the key, wrong credentials and a missing
// bucket said clearly.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { RemoteError, type Backend } from "../../src/remote/backend.js";
import { BadBlobError, RemoteCache } from "../../src/remote/cache.js";
import { BadRecordError, blobKey, encodeRecord, recordKey, type RemoteRecord } from "../../src/remote/layout.js";
import { FileBackend } from "../../src/remote/file.js";
import { S3Backend } from "../../src/remote/s3.js";
import { FileHasher } from "../../src/runner/filehash.js";
import type { CacheEntry } from "../../src/runner/store-api.js";
import { tempDir } from "../helpers/cli.js";
import { NO_S3, newBucket, newFileRemote, s3 } from "./servers.js";

const server = s3();

const tmp = () => tempDir("dfd-cache-test-");

/** A stage output directory and the entry a run would write for it. */
async function output(files: Record<string, string | Buffer>, key = "k".repeat(64).replace(/k/g, () => "0123456789abcdef"[Math.floor(Math.random() * 16)]!)) {
  const dir = tmp();
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  const tree = await new FileHasher(undefined).hashTree(dir);
  const sizes = Object.fromEntries(tree.infos.map((f) => [f.path.slice(dir.length + 1), f.size]));
  const entry = {
    key, stage: "extract", kind: "extract", outputHash: tree.hash, summary: { lines: ["ok"] }, runId: "20261201-000000-abcdef",
    seconds: 1, createdAt: new Date().toISOString(), components: { v: 2, name: "extract" },
  } as unknown as CacheEntry;
  return { dir, tree, sizes, entry };
}

const backends: [string, () => Promise<Backend> | undefined][] = [
  ["s3 (Ceph RGW)", () => server && newBucket(server).then((b) => S3Backend.open({ bucket: b.bucket, prefix: "team", endpoint: server.endpoint, connectTimeoutMs: 2000, idleTimeoutMs: 5000 }))],
  ["file:// (shared directory)", () => Promise.resolve(new FileBackend(newFileRemote().url))],
];

if (server) {
  process.env.AWS_ACCESS_KEY_ID = server.accessKey;
  process.env.AWS_SECRET_ACCESS_KEY = server.secretKey;
  process.env.AWS_REGION = "us-east-1";
}

for (const [name, open] of backends) {
  const skip = name.startsWith("s3") && !server ? NO_S3 : false;
  describe(`remote cache on ${name}`, { skip }, () => {
    test("publish, look up, download: the same bytes, every file re-hashed", async () => {
      const backend = (await open())!;
      const cache = new RemoteCache(backend, false);
      const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
      const o = await output({ "videos.jsonl": '{"id":"a"}\n', "features/a.npy": big, "features/b.npy": big, "extract.json": "{}" });
      assert.equal(await cache.getRecord(o.entry.key), undefined);
      const r = await cache.publish(o.entry, o.dir, o.tree.files, o.sizes);
      assert.equal(r.created, true);
      assert.equal(r.uploaded, 3, "two identical files share one blob");
      const rec = await cache.getRecord(o.entry.key);
      assert.ok(rec);
      assert.equal(rec.entry.outputHash, o.tree.hash);
      const dest = join(tmp(), "out");
      const infos = await cache.download(rec, dest);
      assert.equal(infos.length, 4);
      for (const rel of Object.keys(o.tree.files)) assert.deepEqual(readFileSync(join(dest, rel)), readFileSync(join(o.dir, rel)), rel);
      assert.equal((await new FileHasher(undefined).hashTree(dest)).hash, o.tree.hash);
      // A second publish uploads nothing and keeps the record.
      const again = await cache.publish(o.entry, o.dir, o.tree.files, o.sizes);
      assert.equal(again.created, false);
      assert.equal(again.uploaded, 0);
      backend.close();
    });

    test("two writers racing on one key: one record, both see the same one", async () => {
      const backend = (await open())!;
      const key = "ab".repeat(32);
      const outs = await Promise.all([0, 1].map((i) => output({ "model.json": `{"writer":${i}}` }, key)));
      // Two caches (two clients), as on two machines.
      const second = name.startsWith("s3") ? backend : new FileBackend(backend.url);
      const results = await Promise.all(outs.map((o, i) => new RemoteCache(i ? second : backend, false).publish(o.entry, o.dir, o.tree.files, { "model.json": 12 })));
      assert.equal(results.filter((r) => r.created).length, 1, "exactly one writer created the record");
      assert.equal(results[0]!.stored.entry.outputHash, results[1]!.stored.entry.outputHash, "both see the winner's record");
      const winner = results.find((r) => r.created)!.stored.entry.outputHash;
      assert.equal((await new RemoteCache(backend, false).getRecord(key))!.entry.outputHash, winner);
      backend.close();
    });

    test("a tampered blob is refused naming the key and file; the push after a recompute repairs it", async () => {
      const backend = (await open())!;
      const cache = new RemoteCache(backend, false);
      const o = await output({ "a.txt": "the real bytes\n" });
      await cache.publish(o.entry, o.dir, o.tree.files, o.sizes);
      const sha = o.tree.files["a.txt"]!;
      await backend.put(blobKey(sha), Buffer.from("the evil bytes\n"));
      const rec = (await cache.getRecord(o.entry.key))!;
      await assert.rejects(cache.download(rec, join(tmp(), "out")), (e: unknown) => {
        assert.ok(e instanceof BadBlobError);
        assert.match(e.message, new RegExp(`key ${o.entry.key}.*file a\\.txt.*corrupt`));
        return true;
      });
      await backend.delete(blobKey(sha));
      await assert.rejects(cache.download(rec, join(tmp(), "out2")), /is missing/);
      await cache.publish(o.entry, o.dir, o.tree.files, o.sizes, { force: new Set([sha]) });
      await cache.download(rec, join(tmp(), "out3"));
      backend.close();
    });

    test("a record that does not match its files, or names an unsafe path, is refused", async () => {
      const backend = (await open())!;
      const cache = new RemoteCache(backend, false);
      const o = await output({ "a.txt": "x" });
      const forged: RemoteRecord = { format: 1, entry: o.entry, files: { "a.txt": "0".repeat(64) }, sizes: { "a.txt": 1 }, writer: { host: "h", dfd: "0" } };
      await backend.put(recordKey(o.entry.key), encodeRecord(forged));
      await assert.rejects(cache.getRecord(o.entry.key), (e: unknown) => e instanceof BadRecordError && e.message.includes(o.entry.key) && /hash to/.test(e.message));
      const evil: RemoteRecord = { ...forged, files: { "../../escape.txt": o.tree.files["a.txt"]! }, sizes: { "../../escape.txt": 1 } };
      await backend.put(recordKey(o.entry.key), encodeRecord(evil));
      await assert.rejects(cache.getRecord(o.entry.key), /unsafe path/);
      await backend.put(recordKey(o.entry.key), Buffer.from("{not json"));
      await assert.rejects(cache.getRecord(o.entry.key), /not valid JSON/);
      backend.close();
    });

    test("run records: stored, listed newest first, resolved by prefix", async () => {
      const backend = (await open())!;
      const cache = new RemoteCache(backend, false);
      const run = (id: string, startedAt: string) => ({ id, pid: 1, startedAt, finishedAt: startedAt, pipeline: { file: "p", sha256: "0" }, overrides: [], data: null, status: "ok" as const, stages: [] });
      await cache.putRun(run("20261201-100000-aaaaaa", "2026-12-01T10:00:00.000Z"));
      await cache.putRun(run("20261201-110000-bbbbbb", "2026-12-01T11:00:00.000Z"));
      assert.deepEqual((await cache.listRuns(10)).map((r) => r.id), ["20261201-110000-bbbbbb", "20261201-100000-aaaaaa"]);
      assert.equal((await cache.resolveRun("20261201-10")).id, "20261201-100000-aaaaaa");
      assert.equal((await cache.resolveRun("latest~1")).id, "20261201-100000-aaaaaa");
      await assert.rejects(cache.resolveRun("20261201"), /ambiguous/);
      backend.close();
    });
  });
}

describe("S3 configuration problems are said clearly", { skip: server ? false : NO_S3 }, () => {
  test("a wrong secret is 'denied' naming the credentials; a missing bucket is 'no-bucket'", async () => {
    const { bucket } = await newBucket(server!);
    const saved = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = "not-the-secret";
    try {
      const b = await S3Backend.open({ bucket, prefix: "", endpoint: server!.endpoint, connectTimeoutMs: 2000, idleTimeoutMs: 5000 });
      await assert.rejects(b.get("ac/x.json"), (e: unknown) => e instanceof RemoteError && e.kind === "denied" && /AWS_ACCESS_KEY_ID/.test(e.message) && /403/.test(e.message));
      b.close();
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = saved;
    }
    const missing = await S3Backend.open({ bucket: "dfd-no-such-bucket-here", prefix: "", endpoint: server!.endpoint, connectTimeoutMs: 2000, idleTimeoutMs: 5000 });
    await assert.rejects(missing.get("ac/x.json"), (e: unknown) => e instanceof RemoteError && e.kind === "no-bucket" && /does not exist/.test(e.message));
    await assert.rejects(missing.probe(), (e: unknown) => e instanceof RemoteError && e.kind === "no-bucket");
    missing.close();
  });

  test("nothing listening: 'unavailable', quickly", async () => {
    const b = await S3Backend.open({ bucket: "dfd-any", prefix: "", endpoint: "http://127.0.0.1:9", connectTimeoutMs: 1000, idleTimeoutMs: 2000 });
    const t0 = Date.now();
    await assert.rejects(b.get("ac/x.json"), (e: unknown) => e instanceof RemoteError && e.kind === "unavailable");
    assert.ok(Date.now() - t0 < 10_000);
    b.close();
  });
});
