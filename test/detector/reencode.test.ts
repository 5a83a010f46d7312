// Re-encoding before decoding (src/video/frames.ts `reencode`): a format control (fps, short side
// scaled and centre-cropped, CRF) and chained steps, on clips real ffmpeg makes here.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { decodeClip, type DecodeOptions } from "../../src/video/frames.js";
import { ClipError } from "../../src/video/probe.js";
import { makeClip, tempDir } from "../video/helpers.js";

const tmp = tempDir("dfd-reencode-");
after(tmp.cleanup);
// 2 s of 30 fps, 320×240
const clip = makeClip(join(tmp.dir, "src.mp4"), "testsrc2=size=320x240:rate=30", { frames: 60 });

async function decode(o: Partial<DecodeOptions>): Promise<Uint8Array[]> {
  const d = decodeClip(clip, { fps: null, size: 64, resize: "crop", normalizeFormat: false, thumbs: false, ...o });
  const out: Uint8Array[] = [];
  for await (const f of d.frames) out.push(Uint8Array.from(f));
  return out;
}

const meanAbsDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

test("reencode: fps resampling and a square short-side crop happen before the analysis resize", async () => {
  const plain = await decode({});
  assert.equal(plain.length, 60);
  const fc = await decode({ reencode: [{ crf: 20, fps: 10, size: 64 }] });
  assert.equal(fc.length, 20, "2 s at 10 fps");
  // the 320×240 frame scaled to 85×64 and centre-cropped to 64×64 shows more of the scene than a
  // 64×64 crop of the native frame: the two differ a lot
  assert.ok(meanAbsDiff(fc[0]!, plain[0]!) > 20);
  // a lossless-looking re-encode (crf 0 via a chain of two steps) keeps the frames close
  const chained = await decode({ reencode: [{ crf: 1 }, { crf: 1 }], normalizeFormat: true });
  assert.equal(chained.length, 60);
  assert.ok(meanAbsDiff(chained[30]!, plain[30]!) < 3);
  // harsher compression moves pixels more
  const harsh = await decode({ reencode: [{ crf: 45 }] });
  assert.ok(meanAbsDiff(harsh[30]!, plain[30]!) > meanAbsDiff(chained[30]!, plain[30]!));
  // deterministic: the same steps give the same bytes
  const again = await decode({ reencode: [{ crf: 20, fps: 10, size: 64 }] });
  assert.deepEqual(again.map((f) => Buffer.from(f).toString("base64")), fc.map((f) => Buffer.from(f).toString("base64")));
});

test("reencode: a file ffmpeg cannot read fails naming the step", async () => {
  const bad = join(tmp.dir, "bad.mp4");
  writeFileSync(bad, "not a video");
  const d = decodeClip(bad, { fps: null, size: 64, resize: "crop", normalizeFormat: false, thumbs: false, reencode: [{ crf: 30, fps: 10, size: 64 }] });
  await assert.rejects(
    (async () => {
      for await (const _ of d.frames);
    })(),
    (e: unknown) => e instanceof ClipError && /ffmpeg could not re-encode it \(re-encode at crf 30, 10 fps, 64×64\)/.test((e as Error).message),
  );
});
