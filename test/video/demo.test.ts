// The demo stage: deterministic from its seed, the two classes as promised (reals 32–92 frames,
// fakes exactly 8), a manifest the data set lister reads, not needed when data: is set.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { listDataset } from "../../src/dataset/list.js";
import { probe } from "../../src/video/probe.js";
import demo, { type DemoParams } from "../../stages/demo/index.js";
import { demoJobs } from "../../stages/demo/generate.js";
import { makeCtx, tempDir } from "./helpers.js";
import { runKind } from "../../src/runner/in-process.js";

const tmp = tempDir();
after(tmp.cleanup);

async function make(name: string, params: Partial<DemoParams>) {
  const ctx = makeCtx(demo, tmp.dir, { name, params });
  const summary = await runKind(demo, ctx);
  return { ctx, summary, ds: listDataset(ctx.outDir) };
}

const hashes = (dir: string, paths: string[]) =>
  paths.map((p) => createHash("sha256").update(readFileSync(join(dir, p))).digest("hex"));

test("demo set: real clips 32–92 frames, fakes exactly 8, listed by its manifest", async () => {
  const { ctx, summary, ds } = await make("demo-a", { real: 4, fake: 4, size: 96 });
  assert.equal(ds.layout, "manifest");
  assert.equal(ds.entries.length, 8);
  assert.deepEqual(ds.warnings, []);
  for (const e of ds.entries) {
    assert.equal(e.error, null);
    const p = await probe(e.file);
    assert.equal(p.codec, "h264");
    assert.equal(p.height, 96);
    assert.equal(p.width, 128);
    assert.equal(p.fps, 24);
    if (e.label === "fake") {
      assert.equal(p.source_frames, 8, e.path);
      assert.equal(e.source, "generator");
    } else {
      assert.ok(p.source_frames! >= 32 && p.source_frames! <= 92, `${e.path}: ${p.source_frames}`);
      assert.equal(e.source, "camera");
    }
  }
  assert.match(summary!.lines![0]!, /4 real clips .* and 4 fake clips \(8 frames each\), seed 7/);
  assert.equal(ctx.progressCalls.at(-1)?.done, 8);
});

test("same seed → byte-identical clips; another seed → different clips", async () => {
  const a = await make("demo-b1", { real: 2, fake: 2, size: 64, seed: 3 });
  const b = await make("demo-b2", { real: 2, fake: 2, size: 64, seed: 3 });
  const c = await make("demo-b3", { real: 2, fake: 2, size: 64, seed: 4 });
  const paths = a.ds.entries.map((e) => e.path);
  assert.deepEqual(hashes(a.ctx.outDir, paths), hashes(b.ctx.outDir, paths));
  assert.equal(readFileSync(join(a.ctx.outDir, "manifest.csv"), "utf8"), readFileSync(join(b.ctx.outDir, "manifest.csv"), "utf8"));
  assert.notDeepEqual(hashes(a.ctx.outDir, paths), hashes(c.ctx.outDir, paths));
});

test("real lengths vary over 32–92 and adding fakes leaves the reals unchanged", () => {
  const jobs = demoJobs({ seed: 7, real: 200, fake: 3, size: 144, fps: 24 });
  const lens = jobs.filter((j) => j.label === "real").map((j) => j.recipe.frames);
  assert.equal(Math.min(...lens), 32);
  assert.equal(Math.max(...lens), 92);
  const more = demoJobs({ seed: 7, real: 200, fake: 9, size: 144, fps: 24 });
  assert.deepEqual(more.filter((j) => j.label === "real"), jobs.filter((j) => j.label === "real"));
});

test("demo is not needed when the pipeline sets data:", () => {
  const p = { seed: 7, real: 1, fake: 1, size: 64, fps: 24 };
  assert.match(demo.notNeeded!({ params: p, data: "/some/data" }) ?? "", /data:/);
  assert.equal(demo.notNeeded!({ params: p }), undefined);
});
