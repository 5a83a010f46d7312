// The extract stage run through runKind(extract, ctx) on clips made by real ffmpeg: sampling, feature
// shape and determinism, the .npy format, every bad input of issue 3, the worker pool, remedies.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, truncateSync, writeFileSync, statSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { readJsonl } from "../../src/lib/jsonl.js";
import extract from "../../stages/extract/index.js";
import { extractClipFeatures } from "../../src/features/clip.js";
import { EXTRACT_DEFAULTS, type ExtractParams } from "../../stages/extract/params.js";
import { forensicV1 } from "../../src/features/forensic.js";

const DIMS = forensicV1.dims;
import type { VideoRecord } from "../../stages/extract/impl.js";
import { ffmpegChildren, makeClip, makeCtx, parseNpyPlain, tempDir } from "./helpers.js";
import { runKind } from "../../src/runner/in-process.js";
import { createClipPool } from "../../stages/extract/pool.js";

const tmp = tempDir();
after(tmp.cleanup);

const noisy = (size: string, rate = 25) => `testsrc2=s=${size}:r=${rate},noise=alls=20:allf=t+u`;

async function runStage(data: string, params: Partial<ExtractParams>, name = "extract", cpus = 2) {
  const ctx = makeCtx(extract, tmp.dir, { params, data, name, cpus });
  const summary = (await runKind(extract, ctx)) ?? {};
  const rows = readJsonl<VideoRecord>(join(ctx.outDir, "videos.jsonl"));
  const meta = JSON.parse(readFileSync(join(ctx.outDir, "extract.json"), "utf8"));
  return { ctx, summary, rows, meta, byPath: Object.fromEntries(rows.map((r) => [r.path, r])) };
}

describe("sampling and features", () => {
  let clip = "";
  before(() => {
    clip = makeClip(join(tmp.dir, "clips", "forty.mp4"), noisy("200x150"), { frames: 40 });
  });
  const P = (o: Partial<ExtractParams>) => ({ ...EXTRACT_DEFAULTS, size: 64, ...o });

  test("max_frames caps the rows, null keeps every frame", async () => {
    assert.equal((await extractClipFeatures(clip, P({ max_frames: 16 }), forensicV1)).features.rows, 16);
    const all = await extractClipFeatures(clip, P({ max_frames: null }), forensicV1);
    assert.equal(all.features.rows, 40);
    assert.equal(all.decoded, 40);
    assert.equal(all.features.cols, DIMS);
    assert.equal(all.features.data.length, 40 * DIMS);
    assert.ok(all.features.data.every(Number.isFinite));
  });

  test("frames: N gives exactly N rows, shorter clips repeat frames uniformly", async () => {
    const r = await extractClipFeatures(clip, P({ frames: 50 }), forensicV1);
    assert.equal(r.features.rows, 50);
    const few = await extractClipFeatures(clip, P({ frames: 8 }), forensicV1);
    assert.equal(few.features.rows, 8);
    // 50 picks over 40 frames: the rows of frames picked twice are identical
    const rows = Array.from({ length: 50 }, (_, i) => Buffer.from(r.features.data.buffer, i * 4 * DIMS, 4 * DIMS).toString("hex"));
    assert.ok(new Set(rows).size === 40, `expected 40 distinct rows, got ${new Set(rows).size}`);
  });

  test("fps resamples before sampling (1.6 s at 10 fps = 16 frames)", async () => {
    const r = await extractClipFeatures(clip, P({ fps: 10, max_frames: null }), forensicV1);
    assert.equal(r.decoded, 16);
    assert.equal(r.features.rows, 16);
  });

  test("same clip, same bytes and the same perceptual hashes", async () => {
    const a = await extractClipFeatures(clip, P({}), forensicV1);
    const b = await extractClipFeatures(clip, P({}), forensicV1);
    assert.deepEqual(Buffer.from(a.features.data.buffer), Buffer.from(b.features.data.buffer));
    assert.deepEqual(a.phash, b.phash);
    assert.equal(a.phash.length, 4);
    assert.ok(a.phash.every((h) => /^[0-9a-f]{16}$/.test(h)));
  });

  test("resize modes and normalize_format all give size×size features", async () => {
    for (const resize of ["crop", "scale", "stretch"] as const)
      assert.equal((await extractClipFeatures(clip, P({ resize, max_frames: 4 }), forensicV1)).features.rows, 4);
    const n = await extractClipFeatures(clip, P({ normalize_format: true, max_frames: 4 }), forensicV1);
    const plain = await extractClipFeatures(clip, P({ max_frames: 4 }), forensicV1);
    assert.equal(n.features.rows, 4);
    // re-encoding changes the pixels, so the features differ
    assert.notDeepEqual(Buffer.from(n.features.data.buffer), Buffer.from(plain.features.data.buffer));
  });
});

describe("the stage on a data set with every kind of bad input", () => {
  const data = join(tmp.dir, "data");
  before(() => {
    makeClip(join(data, "real", "my clip ü 日本.mp4"), noisy("160x120"), { frames: 24 });
    makeClip(join(data, "real", "cam", "b.mp4"), noisy("176x144", 30), { frames: 33 });
    makeClip(join(data, "fake", "gen__c.gif"), "testsrc=s=128x128:r=8", { frames: 8, args: ["-f", "gif"] });
    makeClip(join(data, "ai", "d.mp4"), noisy("160x120"), { frames: 12 });
    makeClip(join(data, "fake", "one-frame.mp4"), noisy("160x120"), { frames: 1 });
    makeClip(join(data, "fake", "audio-only.mp4"), "sine=frequency=440:duration=0.5", { args: ["-c:a", "aac"] });
    const trunc = makeClip(join(data, "real", "truncated.mp4"), noisy("160x120"), { frames: 20 });
    truncateSync(trunc, Math.floor(statSync(trunc).size / 2));
    writeFileSync(join(data, "real", "zero.mp4"), "");
    writeFileSync(join(data, "real", "text.mp4"), "this is not a video, just text named .mp4\n");
    makeClip(join(data, "real", "huge.avi"), "color=c=gray:s=7808x4352:r=5", { frames: 2, args: ["-c:v", "mjpeg", "-q:v", "31"] });
    makeClip(join(data, "maybe", "e.mp4"), noisy("160x120"), { frames: 10 });
    mkdirSync(join(data, "synthetic"));
  });

  test("good clips are extracted, each bad one is a named error in videos.jsonl and the summary", async () => {
    const { ctx, summary, rows, meta, byPath } = await runStage(data, { size: 64 });
    assert.equal(rows.length, 11);
    const expectErr: Record<string, RegExp> = {
      "real/zero.mp4": /empty file \(0 bytes\)/,
      "real/text.mp4": /not a video ffmpeg can read: .*invalid data/i,
      "real/truncated.mp4": /not a video ffmpeg can read: .*moov atom not found/i,
      "fake/audio-only.mp4": /no video stream \(audio only: aac\)/,
      "fake/one-frame.mp4": /only 1 frame decoded; at least 2 needed \(min_frames\)/,
      "real/huge.avi": /resolution 7808×4352 is above max_pixels/,
      "maybe/e.mp4": /unknown label: folder maybe\/ is not a class folder/,
    };
    for (const [path, re] of Object.entries(expectErr)) {
      const r = byPath[path];
      assert.ok(r, `${path} missing from videos.jsonl`);
      assert.match(r.error ?? "", re, path);
      assert.ok(r.error!.includes(path), `error names the file: ${r.error}`);
      assert.equal(r.features, null);
      assert.equal(r.frames, 0);
    }
    assert.equal(byPath["maybe/e.mp4"]!.label, null);
    assert.equal(byPath["real/huge.avi"]!.width, 7808); // probe facts kept for a clip rejected after probing
    for (const path of ["real/my clip ü 日本.mp4", "real/cam/b.mp4", "fake/gen__c.gif", "ai/d.mp4"]) {
      const r = byPath[path]!;
      assert.equal(r.error, null, `${path}: ${r.error}`);
      assert.equal(r.features, `features/${r.id}.npy`);
      assert.equal(r.sha256, createHash("sha256").update(readFileSync(join(data, path))).digest("hex"));
      assert.equal(r.dims, DIMS);
      assert.equal(r.phash.length, 4);
      const npy = parseNpyPlain(readFileSync(join(ctx.outDir, r.features!)));
      assert.equal(npy.descr, "<f4");
      assert.deepEqual(npy.shape, [r.frames, DIMS]);
      assert.ok(npy.values.every(Number.isFinite));
    }
    assert.equal(byPath["real/cam/b.mp4"]!.frames, 33);
    assert.equal(byPath["real/cam/b.mp4"]!.source_frames, 33);
    assert.equal(byPath["real/cam/b.mp4"]!.fps, 30);
    assert.equal(byPath["real/cam/b.mp4"]!.source, "cam");
    assert.equal(byPath["fake/gen__c.gif"]!.codec, "gif");
    assert.equal(byPath["fake/gen__c.gif"]!.source, "gen");
    assert.equal(byPath["fake/gen__c.gif"]!.frames, 8);
    assert.equal(byPath["ai/d.mp4"]!.label, "fake");
    assert.equal(byPath["ai/d.mp4"]!.label_raw, "ai");
    // only the good clips have .npy files
    assert.equal(readdirSync(join(ctx.outDir, "features")).length, 4);
    assert.deepEqual(meta.counts, { clips: 11, ok: 4, failed: 7 });
    assert.equal(meta.feature.name, "forensic-v1");
    assert.equal(meta.feature.names.length, meta.feature.dims);
    assert.equal(meta.params.size, 64);
    assert.deepEqual(summary.skipped?.map((s) => s.item).sort(), Object.keys(expectErr).sort());
    assert.ok(summary.skipped!.every((s) => s.error.startsWith(s.item)));
    assert.ok(summary.findings?.some((f) => f.reason.includes("class folder synthetic/ is empty")));
    const last = ctx.progressCalls.at(-1)!;
    assert.equal(last.done, 11);
    // the reporter prints "11/11 (100%)": no note repeating the count (issue 12)
    assert.equal(last.total, 11);
    assert.ok(ctx.progressCalls.every((c) => c.note === undefined), JSON.stringify(ctx.progressCalls));
  });

  test("on_error: fail fails the stage with the list", async () => {
    await assert.rejects(runStage(data, { size: 64, on_error: "fail" }, "extract-fail"), (e: Error) => {
      assert.match(e.message, /on_error: fail/);
      assert.match(e.message, /maybe\/e\.mp4: unknown label/);
      return true;
    });
  });

  test("a missing data path is a clear error", async () => {
    await assert.rejects(runStage(join(tmp.dir, "nope"), {}, "extract-missing"), /data path .*nope does not exist/);
  });
});

describe("the worker pool", () => {
  const data = join(tmp.dir, "pool-data");
  before(() => {
    for (let i = 0; i < 3; i++) {
      makeClip(join(data, "real", `r${i}.mp4`), noisy("160x120"), { frames: 20 + i });
      makeClip(join(data, "fake", `f${i}.mp4`), `testsrc=s=160x120:r=25`, { frames: 8 });
    }
  });

  test("two workers are both used, and the output is byte-identical to one worker", async () => {
    const two = await runStage(data, { size: 64, workers: 2 }, "pool2");
    assert.ok(two.ctx.logs.includes("debug: extract: 6 clips on 2 of 2 worker processes"), two.ctx.logs.join("\n"));
    const one = await runStage(data, { size: 64, workers: 1 }, "pool1");
    assert.ok(one.ctx.logs.includes("debug: extract: 6 clips on 1 of 1 worker processes"), one.ctx.logs.join("\n"));
    for (const r of two.rows) {
      assert.equal(r.error, null);
      const a = readFileSync(join(two.ctx.outDir, r.features!));
      const b = readFileSync(join(one.ctx.outDir, r.features!));
      assert.ok(a.equals(b), `${r.path}: features differ between 1 and 2 workers`);
    }
    assert.equal(readFileSync(join(two.ctx.outDir, "videos.jsonl"), "utf8"), readFileSync(join(one.ctx.outDir, "videos.jsonl"), "utf8"));
  });

  test("a worker process that dies fails its clip with the reason and is replaced", async () => {
    const long = join(tmp.dir, "die-data", "long.mp4");
    makeClip(long, noisy("320x240"), { frames: 300 });
    const params = { ...EXTRACT_DEFAULTS, size: 64, max_frames: null } as ExtractParams;
    mkdirSync(join(tmp.dir, "die-out"), { recursive: true });
    const pool = createClipPool(1, 1);
    try {
      const first = pool.run({ file: long, params, projectDir: tmp.dir, out: join(tmp.dir, "die-out", "a.npy") });
      // the worker process, once its ffmpeg runs
      let worker: number | undefined;
      for (let t = 0; t < 20_000 && worker === undefined; t += 50) {
        await new Promise((r) => setTimeout(r, 50));
        const kids = execFileSync("ps", ["-e", "-o", "pid=,ppid=,comm="], { encoding: "utf8" }).trim().split("\n").map((l) => l.trim().split(/\s+/));
        const node = kids.find(([, ppid, comm]) => Number(ppid) === process.pid && comm === "node");
        if (node && kids.some(([, ppid, comm]) => ppid === node[0] && /ffmpeg/.test(comm ?? ""))) worker = Number(node[0]);
      }
      assert.ok(worker, "no worker process with a running ffmpeg");
      process.kill(worker, "SIGKILL");
      await assert.rejects(first, (e: Error) => {
        assert.equal(e.message, `${long}: the extract worker process (pid ${worker}) running it was killed (SIGKILL)`);
        return true;
      });
      const again = await pool.run({ file: join(data, "fake", "f0.mp4"), params, projectDir: tmp.dir, out: join(tmp.dir, "die-out", "b.npy") });
      assert.ok(again.ok, JSON.stringify(again));
      assert.notEqual(again.worker, worker);
      assert.deepEqual([...pool.workersUsed()], [again.worker]);
    } finally {
      await pool.destroy();
    }
    assert.deepEqual(await ffmpegChildren(), []);
  });

  test("frames: N makes every clip the same length (the frame-count remedy)", async () => {
    const r = await runStage(data, { size: 64, frames: 12 }, "fixed");
    assert.deepEqual([...new Set(r.rows.map((x) => x.frames))], [12]);
  });
});

describe("abort", () => {
  const data = join(tmp.dir, "long-data");
  before(() => {
    for (let i = 0; i < 4; i++) makeClip(join(data, i % 2 ? "fake" : "real", `long${i}.mp4`), noisy("320x240"), { frames: 300 });
  });

  test("an abort stops the stage with the abort reason and leaves no ffmpeg running", async () => {
    const ac = new AbortController();
    const ctx = makeCtx(extract, tmp.dir, { name: "aborted", data, params: { size: 64, max_frames: null }, signal: ac.signal });
    setTimeout(() => ac.abort(new Error("interrupted by test")), 300);
    await assert.rejects(Promise.resolve(runKind(extract, ctx)), /interrupted by test/);
    assert.deepEqual(await ffmpegChildren(), []);
  });
});
