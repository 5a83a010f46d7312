// extract as a fan-out (src/stage.ts): items run anywhere, in any order, each on a worker that
// shares nothing with the others or with items()/assemble(), and the output must be byte-identical
// to runKind's in-process run and to the plain one-clip function. on_error: fail keeps failing the
// stage with the list of bad clips.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { extractClipFeatures } from "../../src/features/clip.js";
import { forensicV1 } from "../../src/features/forensic.js";
import { readJsonl } from "../../src/lib/jsonl.js";
import { encodeNpy } from "../../src/lib/npy.js";
import { runKind } from "../../src/runner/in-process.js";
import type { ItemResult } from "../../src/stage.js";
import extract from "../../stages/extract/index.js";
import type { ExtractParams } from "../../stages/extract/params.js";
import { makeClip, makeCtx, tempDir } from "./helpers.js";

const tmp = tempDir("dfd-fanout-");
after(tmp.cleanup);

/** sha256 of every file under `dir`, by relative path. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out[relative(dir, full)] = createHash("sha256").update(readFileSync(full)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

const data = join(tmp.dir, "data");
before(() => {
  makeClip(join(data, "real", "cam__a.mp4"), "testsrc2=s=160x120:r=25,noise=alls=20:allf=t+u", { frames: 20 });
  makeClip(join(data, "real", "cam__b.mkv"), "testsrc=s=96x96:r=10", { frames: 9, args: ["-c:v", "ffv1"] });
  makeClip(join(data, "fake", "gen__c.gif"), "testsrc2=s=80x60:r=10", { frames: 8, args: [] });
  makeClip(join(data, "fake", "gen__d.mp4"), "color=c=blue:s=128x128:r=25", { frames: 12 });
  mkdirSync(join(data, "fake"), { recursive: true });
  writeFileSync(join(data, "fake", "gen__broken.mp4"), "not a video\n");
});

describe("extract fan-out", () => {
  const params: Partial<ExtractParams> = { size: 64, max_frames: 10 };

  test("items on separate workers, run in reverse order, assemble to the in-process output byte for byte", async () => {
    const plain = makeCtx(extract, tmp.dir, { data, name: "inproc", params });
    await runKind(extract, plain);

    const ctx = makeCtx(extract, tmp.dir, { data, name: "spread", params });
    const f = extract.fanOut!;
    const items = await f.items(ctx);
    assert.deepEqual(items.map((i) => (i.payload as { path: string }).path), ["fake/gen__broken.mp4", "fake/gen__c.gif", "fake/gen__d.mp4", "real/cam__a.mp4", "real/cam__b.mkv"]);
    for (const i of items) assert.match(i.contentHash, /^[0-9a-f]{64}$/);
    // each item round-trips through JSON (it travels through Redis) and runs on its own worker
    const results: ItemResult[] = new Array(items.length);
    for (let k = items.length - 1; k >= 0; k--) {
      const item = JSON.parse(JSON.stringify(items[k]));
      const own = join(tmp.dir, `worker-${k}`);
      mkdirSync(join(own, "tmp"), { recursive: true });
      mkdirSync(join(own, "out"), { recursive: true });
      const w = await f.worker({ name: ctx.name, params: ctx.params, inputs: [], data, projectDir: ctx.projectDir, tmpDir: join(own, "tmp"), log: ctx.log, signal: ctx.signal, cpus: 1 });
      try {
        results[k] = { item, result: JSON.parse(JSON.stringify(await w.run(item, join(own, "out"), ctx.signal))), dir: join(own, "out") };
      } finally {
        await w.close();
      }
    }
    await f.assemble(ctx, results);
    assert.deepEqual(tree(ctx.outDir), tree(plain.outDir));

    // and every clip's .npy is exactly what the one-clip function (predict's path) makes
    const rows = readJsonl<{ path: string; features: string | null; error: string | null }>(join(plain.outDir, "videos.jsonl"));
    assert.equal(rows.filter((r) => r.error).length, 1);
    for (const r of rows.filter((x) => x.features)) {
      const { features } = await extractClipFeatures(join(data, r.path), plain.params, forensicV1);
      assert.ok(readFileSync(join(plain.outDir, r.features!)).equals(encodeNpy(features)), r.path);
    }
  });

  test("on_error: fail fails with the clips that failed to decode, after trying them all", async () => {
    const ctx = makeCtx(extract, tmp.dir, { data, name: "fail", params: { ...params, on_error: "fail" } });
    await assert.rejects(Promise.resolve(runKind(extract, ctx)), (e: Error) => {
      assert.match(e.message, /^extract: 1 of 5 clips failed \(on_error: fail\):\n {2}fake\/gen__broken\.mp4: not a video ffmpeg can read/);
      return true;
    });
  });
});
