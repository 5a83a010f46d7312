// The ffmpeg layer on real ffmpeg: discovery, probe facts, frame streaming with fps resampling and
// sizes, and a clean kill when the caller aborts or stops reading.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { basename, join } from "node:path";
import { after, before, test } from "node:test";
import { ffmpegBinary, ffprobeBinary } from "../../src/video/ffmpeg.js";
import { decodeClip, filterGraph, openClip, THUMB_H, THUMB_W } from "../../src/video/frames.js";
import { ClipError, probe } from "../../src/video/probe.js";
import { extractClipFeatures } from "../../src/features/clip.js";
import { forensicV1 } from "../../src/features/forensic.js";
import { withDefaults } from "../../src/features/recipe.js";
import { copyFileSync, writeFileSync } from "node:fs";
import { ffmpegChildren, makeClip, tempDir } from "./helpers.js";

const tmp = tempDir();
let clip = "";
let gif = "";
before(() => {
  clip = makeClip(join(tmp.dir, "a.mp4"), "testsrc2=s=320x240:r=25", { frames: 30 });
  gif = makeClip(join(tmp.dir, "b.gif"), "testsrc=s=96x64:r=10", { frames: 12, args: ["-f", "gif"] });
});
after(tmp.cleanup);

test("binaries are found and run", () => {
  for (const b of [ffmpegBinary(), ffprobeBinary()]) {
    assert.ok(b.path && b.origin, JSON.stringify(b));
    assert.match(execFileSync(b.path, ["-version"], { encoding: "utf8" }), /version/);
  }
});

test("FFMPEG_PATH that is not executable is a clear error", async () => {
  const code = `process.env.FFMPEG_PATH="/nonexistent/ffmpeg"; const m = await import(${JSON.stringify(new URL("../../src/video/ffmpeg.ts", import.meta.url).href)}); try { m.ffmpegBinary(); } catch (e) { console.log(e.message); }`;
  const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { encoding: "utf8" });
  assert.match(out, /FFMPEG_PATH=\/nonexistent\/ffmpeg is not an executable file/);
});

test("probe reports codec, size, fps, duration and the frame count (also for GIF)", async () => {
  const p = await probe(clip);
  assert.equal(p.codec, "h264");
  assert.equal(p.width, 320);
  assert.equal(p.height, 240);
  assert.equal(p.fps, 25);
  assert.equal(p.source_frames, 30);
  assert.ok(p.duration! > 1.1 && p.duration! < 1.3, String(p.duration));
  assert.ok(p.bytes > 0 && p.bitrate! > 0);
  const g = await probe(gif);
  assert.equal(g.codec, "gif");
  assert.equal(g.format, "gif");
  assert.equal(g.source_frames, 12);
  assert.equal(g.width, 96);
});

async function count(file: string, opts: Partial<Parameters<typeof decodeClip>[1]> = {}) {
  const d = decodeClip(file, { fps: null, size: 64, resize: "crop", normalizeFormat: false, thumbs: true, ...opts });
  const sizes = new Set<number>();
  let n = 0;
  for await (const f of d.frames) {
    sizes.add(f.length);
    n++;
  }
  return { n, sizes: [...sizes], thumbs: d.thumbs() };
}

test("frames stream at the analysis size, every frame, or resampled by fps", async () => {
  const all = await count(clip);
  assert.equal(all.n, 30);
  assert.deepEqual(all.sizes, [64 * 64 * 3]);
  assert.equal(all.thumbs.length, 30);
  assert.equal(all.thumbs[0]!.length, THUMB_W * THUMB_H);
  assert.equal((await count(clip, { fps: 10 })).n, 12); // 1.2 s at 10 fps
  for (const resize of ["scale", "stretch"] as const) assert.deepEqual((await count(clip, { resize, size: 32 })).sizes, [32 * 32 * 3]);
  // a clip smaller than the analysis size is scaled up, never padded
  assert.deepEqual((await count(gif, { size: 128 })).sizes, [128 * 128 * 3]);
});

test("filter graph keeps native pixels in crop mode", () => {
  assert.match(filterGraph({ fps: null, size: 128, resize: "crop", thumbs: false }), /max\(1\\,128\/min\(iw\\,ih\)\).*crop=128:128/);
  assert.match(filterGraph({ fps: 8, size: 64, resize: "stretch", thumbs: true }), /^\[0:v:0\]fps=8,split=2/);
});

test("normalize_format re-encodes through H.264 first and yields the same frame count", async () => {
  const r = await count(gif, { normalizeFormat: true });
  assert.equal(r.n, 12);
});

test("abort kills ffmpeg and the iteration throws the abort reason", async () => {
  const long = makeClip(join(tmp.dir, "long.mp4"), "testsrc2=s=640x480:r=25", { frames: 400 });
  const ac = new AbortController();
  const d = decodeClip(long, { fps: null, size: 64, resize: "crop", normalizeFormat: false, thumbs: false, signal: ac.signal });
  let n = 0;
  await assert.rejects(async () => {
    for await (const _ of d.frames) if (++n === 3) ac.abort(new Error("stop now"));
  }, /stop now/);
  assert.ok(n < 400);
  assert.deepEqual(await ffmpegChildren(), []);
});

test("breaking out early stops ffmpeg (no hang, no leak)", async () => {
  const d = decodeClip(clip, { fps: null, size: 64, resize: "crop", normalizeFormat: false, thumbs: true });
  let n = 0;
  for await (const _ of d.frames) if (++n === 2) break;
  assert.equal(n, 2);
});

/** Decodes `file` through openClip, returning its header, the frames read and the packet count. */
async function described(file: string, opts: Partial<Parameters<typeof openClip>[1]> = {}) {
  const o = openClip(file, { fps: null, size: 32, resize: "crop", normalizeFormat: false, thumbs: true, ...opts });
  const header = await o.header;
  let n = 0;
  for await (const _ of o.clip.frames) n++;
  return { header, frames: n, thumbs: o.clip.thumbs().length, sourceFrames: o.sourceFrames() };
}

test("openClip: one ffmpeg decodes and describes the clip as ffprobe does, with quotes, $ and backticks in the name", async () => {
  const odd = join(tmp.dir, "it's a \"clip\" $HOME `id` ü.mp4");
  copyFileSync(clip, odd);
  const d = await described(odd);
  assert.equal(d.frames, 30);
  assert.equal(d.thumbs, 30);
  assert.equal(d.sourceFrames, 30);
  assert.equal(d.header.codec, "h264");
  // the same facts as ffprobe's JSON, at the precision of ffmpeg's text (10 ms, kb/s, 2 decimals)
  const gif = join(tmp.dir, "facts.gif");
  makeClip(gif, "testsrc2=s=80x60:r=10", { frames: 12, args: [] });
  const mkv = join(tmp.dir, "facts.mkv");
  makeClip(mkv, "testsrc=s=96x64:r=24", { frames: 20, args: ["-c:v", "ffv1"] });
  const rotated = join(tmp.dir, "rotated.mp4");
  makeClip(rotated, "testsrc2=s=96x64:r=25", { frames: 10, args: ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-metadata:s:v", "rotate=90"] });
  for (const f of [odd, gif, mkv, rotated]) {
    const p = await probe(f);
    const h = (await extractClipFeatures(f, withDefaults({ size: 64 }), forensicV1)).probe; // what videos.jsonl records
    const where = basename(f);
    for (const k of ["codec", "pix_fmt", "format", "width", "height", "rotation"] as const) assert.equal(h[k], p[k], `${where}: ${k}`);
    assert.ok(Math.abs(h.fps! - p.fps!) < 0.01, `${where}: fps ${h.fps} vs ${p.fps}`);
    assert.ok(Math.abs(h.duration! - p.duration!) <= 0.05, `${where}: duration ${h.duration} vs ${p.duration}`);
    if (h.bitrate !== null) assert.ok(Math.abs(h.bitrate - p.bitrate!) < 1000, `${where}: bitrate ${h.bitrate} vs ${p.bitrate}`);
    assert.equal(h.source_frames, p.source_frames, `${where}: source_frames`);
    assert.equal(h.bytes, p.bytes, `${where}: bytes`);
  }
  assert.equal((await described(rotated)).header.rotation, (await probe(rotated)).rotation);
});

test("openClip: a file ffmpeg cannot read is a ClipError and nothing is left running", async () => {
  const bad = join(tmp.dir, "bad.mp4");
  writeFileSync(bad, "plain text, not a video");
  await assert.rejects(
    openClip(bad, { fps: null, size: 32, resize: "crop", normalizeFormat: false, thumbs: true }).header,
    (e: Error) => e instanceof ClipError && /^not a video ffmpeg can read: .*Invalid data/.test(e.message),
  );
  assert.deepEqual(await ffmpegChildren(), []);
});

test("openClip: an audio-only file says so", async () => {
  const audio = join(tmp.dir, "tone.m4a");
  makeClip(audio, "sine=f=440:d=0.5", { args: ["-c:a", "aac"] });
  await assert.rejects(
    openClip(audio, { fps: null, size: 32, resize: "crop", normalizeFormat: false, thumbs: true }).header,
    (e: Error) => e instanceof ClipError && e.message === "no video stream (audio only: aac)",
  );
  assert.deepEqual(await ffmpegChildren(), []);
});
