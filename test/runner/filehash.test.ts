// File hashing: correct sha256, the (size, mtime, inode) state table skips unchanged files, a
// changed file is re-read, worker threads give the same hashes, tree hashes ignore order.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { openDb } from "../../src/runner/db.js";
import { FileHasher, listFiles, treeHashOf } from "../../src/runner/filehash.js";
import { project } from "../helpers/cli.js";

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

test("state table: the second hash of an unchanged tree reads nothing; a change is re-read", async () => {
  const dir = project({ "d/a.txt": "a", "d/sub/b.txt": "bb", "d/.hidden": "h" });
  mkdirSync(join(dir, "art"));
  const db = await openDb(join(dir, "art", "cache.sqlite"));
  try {
    const h1 = new FileHasher(db);
    const t1 = await h1.hashTree(join(dir, "d"), { ignore: (rel) => rel.startsWith(".") });
    assert.deepEqual(t1.files, { "a.txt": sha("a"), "sub/b.txt": sha("bb") });
    assert.equal(h1.stats.filesRead, 2);
    const h2 = new FileHasher(db);
    const t2 = await h2.hashTree(join(dir, "d"), { ignore: (rel) => rel.startsWith(".") });
    assert.equal(t2.hash, t1.hash);
    assert.equal(h2.stats.filesRead, 0, "unchanged files must not be re-read");
    appendFileSync(join(dir, "d/a.txt"), "!");
    const h3 = new FileHasher(db);
    const t3 = await h3.hashTree(join(dir, "d"), { ignore: (rel) => rel.startsWith(".") });
    assert.equal(h3.stats.filesRead, 1);
    assert.equal(t3.files["a.txt"], sha("a!"));
    assert.notEqual(t3.hash, t1.hash);
  } finally {
    await db.close();
  }
});

test("worker-thread hashing agrees with node's crypto on many files", async () => {
  const dir = project({});
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < 24; i++) {
    const buf = Buffer.alloc(3 * 1024 * 1024 + i * 777, i);
    files[`f${i}.bin`] = buf;
    writeFileSync(join(dir, `f${i}.bin`), buf);
  }
  const hasher = new FileHasher(undefined, 2);
  const infos = await hasher.hashFiles(await listFiles(dir)); // > 48 MB: goes through the workers
  for (const [name, buf] of Object.entries(files)) assert.equal(infos.get(join(dir, name))!.sha256, sha(buf));
  assert.equal(hasher.stats.bytesRead, Object.values(files).reduce((a, b) => a + b.length, 0));
});

test("a tree hash depends on names and contents, not on listing order", () => {
  assert.equal(treeHashOf({ b: "2", a: "1" }), treeHashOf({ a: "1", b: "2" }));
  assert.notEqual(treeHashOf({ a: "1", b: "2" }), treeHashOf({ a: "2", b: "1" }));
  assert.notEqual(treeHashOf({ a: "1" }), treeHashOf({ c: "1" }));
});
