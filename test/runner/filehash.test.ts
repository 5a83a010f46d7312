// File hashing: correct sha256, the per-directory state table skips unchanged files and unchanged
// directory listings, any change is seen (content, added, removed, renamed, replaced), racy states
// are not trusted, worker threads give the same hashes, tree hashes ignore order and keep the
// format that existing store addresses were computed with.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { canonicalJson } from "../../src/runner/canonical.js";
import { openDb, type Db } from "../../src/runner/db.js";
import { FileHasher, listFiles, treeHashOf } from "../../src/runner/filehash.js";
import { project } from "../helpers/cli.js";

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/** Sets the mtime of these paths a minute back: a state seen just after a write is (rightly) not
 * trusted, so tests that expect reuse age their files first, as a real file would be. */
function age(...paths: string[]): void {
  const past = new Date(Date.now() - 60_000);
  for (const p of paths) utimesSync(p, past, past);
}

async function withDb<T>(dir: string, f: (db: Db) => Promise<T>): Promise<T> {
  mkdirSync(join(dir, "art"), { recursive: true });
  const db = await openDb(join(dir, "art", "cache.sqlite"));
  try {
    return await f(db);
  } finally {
    await db.close();
  }
}

test("state table: the second hash of an unchanged tree reads nothing and lists no directory; a change is re-read", async () => {
  const dir = project({ "d/a.txt": "a", "d/sub/b.txt": "bb", "d/.hidden": "h" });
  age(join(dir, "d/a.txt"), join(dir, "d/sub/b.txt"), join(dir, "d/sub"), join(dir, "d"));
  const ignore = (rel: string) => rel.startsWith(".");
  await withDb(dir, async (db) => {
    const h1 = new FileHasher(db);
    const t1 = await h1.hashTree(join(dir, "d"), { ignore });
    assert.deepEqual(t1.files, { "a.txt": sha("a"), "sub/b.txt": sha("bb") });
    assert.equal(h1.stats.filesRead, 2);
    assert.equal(h1.stats.dirsListed, 2);
    const h2 = new FileHasher(db);
    const t2 = await h2.hashTree(join(dir, "d"), { ignore });
    assert.equal(t2.hash, t1.hash);
    assert.equal(h2.stats.filesRead, 0, "unchanged files must not be re-read");
    assert.equal(h2.stats.dirsListed, 0, "unchanged directories must not be listed again");
    assert.equal(h2.stats.dirsReused, 2);
    // Written in place: the directory does not change, the file's stat does.
    appendFileSync(join(dir, "d/a.txt"), "!");
    const h3 = new FileHasher(db);
    const t3 = await h3.hashTree(join(dir, "d"), { ignore });
    assert.equal(h3.stats.filesRead, 1);
    assert.equal(t3.files["a.txt"], sha("a!"));
    assert.notEqual(t3.hash, t1.hash);
  });
});

test("a changed listing is seen: added, removed, renamed files and a file replaced by a directory", async () => {
  const dir = project({ "d/a.txt": "a", "d/b.txt": "b", "d/sub/c.txt": "c" });
  const d = join(dir, "d");
  age(join(d, "a.txt"), join(d, "b.txt"), join(d, "sub/c.txt"), join(d, "sub"), d);
  await withDb(dir, async (db) => {
    const tree = async () => {
      const h = new FileHasher(db);
      const t = await h.hashTree(d);
      return { files: t.files, hash: t.hash, stats: h.stats };
    };
    const t0 = await tree();
    writeFileSync(join(d, "sub/new.txt"), "n");
    const t1 = await tree();
    assert.deepEqual(Object.keys(t1.files).sort(), ["a.txt", "b.txt", "sub/c.txt", "sub/new.txt"]);
    assert.equal(t1.stats.filesRead, 1, "only the new file is read");
    assert.equal(t1.stats.dirsListed, 1, "only the changed directory is listed");
    rmSync(join(d, "b.txt"));
    renameSync(join(d, "sub/c.txt"), join(d, "sub/c2.txt"));
    const t2 = await tree();
    assert.deepEqual(t2.files, { "a.txt": sha("a"), "sub/c2.txt": sha("c"), "sub/new.txt": sha("n") });
    rmSync(join(d, "a.txt"));
    mkdirSync(join(d, "a.txt"));
    writeFileSync(join(d, "a.txt/x"), "x");
    const t3 = await tree();
    assert.deepEqual(Object.keys(t3.files).sort(), ["a.txt/x", "sub/c2.txt", "sub/new.txt"]);
    assert.notEqual(t3.hash, t0.hash);
  });
});

test("racy states are not trusted: a file hashed in the same instant it was written is read again once", async () => {
  const dir = project({});
  const d = join(dir, "d");
  mkdirSync(d);
  await withDb(dir, async (db) => {
    writeFileSync(join(d, "f.txt"), "one");
    const h1 = new FileHasher(db);
    assert.equal((await h1.hashTree(d)).files["f.txt"], sha("one"));
    // Same size, same inode, possibly the same mtime tick: must not be taken from the state table.
    writeFileSync(join(d, "f.txt"), "two");
    const h2 = new FileHasher(db);
    assert.equal((await h2.hashTree(d)).files["f.txt"], sha("two"));
    assert.equal(h2.stats.filesRead, 1);
    assert.equal(h2.stats.dirsListed, 1, "a directory changed just before it was listed is listed again");
    age(join(d, "f.txt"), d);
    const h3 = new FileHasher(db);
    await h3.hashTree(d);
    const h4 = new FileHasher(db);
    await h4.hashTree(d);
    assert.equal(h4.stats.filesRead, 0, "once settled, the state is trusted");
    assert.equal(h4.stats.dirsListed, 0);
  });
});

test("links are followed, a link back to an ancestor is not, ignored directories are not entered", async () => {
  const dir = project({ "d/a.txt": "a", "other/b.txt": "b", "d/.git/objects/x": "x" });
  const d = join(dir, "d");
  symlinkSync(join(dir, "other"), join(d, "linked"));
  symlinkSync(join(dir, "other/b.txt"), join(d, "b-link.txt"));
  symlinkSync(d, join(d, "loop"));
  symlinkSync(join(dir, "nowhere"), join(d, "dangling"));
  await withDb(dir, async (db) => {
    const seen: string[] = [];
    const t = await new FileHasher(db).hashTree(d, { ignore: (rel) => (seen.push(rel), rel.split("/").some((p) => p.startsWith("."))) });
    assert.deepEqual(t.files, { "a.txt": sha("a"), "b-link.txt": sha("b"), "linked/b.txt": sha("b") });
    assert.ok(!seen.some((r) => r.startsWith(".git/")), "an ignored directory's entries are not even offered");
    assert.deepEqual(await listFiles(d, (rel) => rel.startsWith(".")), [join(d, "a.txt"), join(d, "b-link.txt"), join(d, "linked/b.txt")]);
    // Same answers from the stored listing.
    const again = new FileHasher(db);
    assert.deepEqual((await again.hashTree(d, { ignore: (rel) => rel.split("/").some((p) => p.startsWith(".")) })).files, t.files);
  });
});

test("hashFiles, remember and forget share the state: remembered files are not read, forgotten ones are", async () => {
  const dir = project({ "o/x/a.bin": "aaa", "o/x/sub/b.bin": "bbbb", "o/y/c.bin": "c" });
  const o = join(dir, "o");
  age(join(o, "x/a.bin"), join(o, "x/sub/b.bin"), join(o, "y/c.bin"));
  await withDb(dir, async (db) => {
    const fresh = await new FileHasher(undefined).hashTree(join(o, "x"));
    const h = new FileHasher(db);
    await h.remember(fresh.infos);
    const again = await h.hashFiles([join(o, "x/a.bin"), join(o, "x/sub/b.bin")]);
    assert.equal(h.stats.filesRead, 0, "remembered files are not read");
    assert.equal(again.get(join(o, "x/a.bin"))!.sha256, sha("aaa"));
    const tree = new FileHasher(db);
    assert.equal((await tree.hashTree(join(o, "x"))).hash, fresh.hash);
    assert.equal(tree.stats.filesRead, 0, "a tree of remembered files is not read");
    await new FileHasher(db).hashTree(join(o, "y"));
    await h.forget(join(o, "x"));
    const after = new FileHasher(db);
    await after.hashTree(join(o, "x"));
    assert.equal(after.stats.filesRead, 2, "forgotten files are read again");
    const y = new FileHasher(db);
    await y.hashTree(join(o, "y"));
    assert.equal(y.stats.filesRead, 0, "forget touches only the given directory");
    await assert.rejects(h.hashFiles([join(o, "y")]), /not a regular file/);
    await assert.rejects(h.hashFiles([join(o, "nope")]), /ENOENT/);
  });
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

test("tree hashes keep their format (store addresses): sha256 of the canonical JSON of the full-path-sorted pairs", async () => {
  // "a.b" < "a/x" < "a-" would sort differently per path component; 5 000 files cross the hasher's
  // 4 096-pair slices.
  const files: Record<string, string> = { "a.b": "1", "a/x": "2", "a-c": "3", "a/x.y/z": "4", "é": "5", "10": "6", "9": "7" };
  for (let i = 0; i < 5000; i++) files[`many/f${i}.npy`] = String(i);
  const dir = project(files);
  const expected = (m: Record<string, string>) => createHash("sha256").update(canonicalJson(Object.keys(m).sort().map((k) => [k, m[k]]))).digest("hex");
  const t = await new FileHasher(undefined).hashTree(dir);
  const shas = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, sha(v)]));
  assert.deepEqual(t.files, shas);
  assert.equal(t.hash, expected(shas));
  assert.equal(treeHashOf(shas), expected(shas));
  assert.deepEqual(t.infos.map((i) => i.path), Object.keys(files).sort().map((k) => join(dir, k)));
  // A single file: the tree of one unnamed entry.
  const one = await new FileHasher(undefined).hashTree(join(dir, "a.b"));
  assert.equal(one.hash, expected({ "": sha("1") }));
});
