// demo → extract through the real CLI (bin/dfd.js → dist/, run `npm run build` first when running
// this file alone): the first run makes and extracts the demo set, the second is fully cached, and
// pointing data: at a folder skips demo and extracts that folder, listing its bad clips.
import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { dfd, project, run } from "../helpers/cli.js";
import { makeClip } from "./helpers.js";

const PIPELINE = `stages:
  demo:
    uses: demo
    with: { real: 3, fake: 3, size: 64 }
  extract:
    uses: extract
    needs: [demo]
    with: { size: 64, max_frames: 16 }
`;

test("dfd run: demo → extract, then fully cached", () => {
  const dir = project({ "pipeline.yaml": PIPELINE });
  const a = run(dir);
  assert.equal(a.code, 0, a.stderr);
  assert.deepEqual(a.status, { demo: "ran", extract: "ran" });
  const b = run(dir);
  assert.equal(b.code, 0, b.stderr);
  assert.deepEqual(b.status, { demo: "cached", extract: "cached" });
  const out = dfd(dir, ["path", "extract"]).stdout.trim();
  const rows = readFileSync(join(out, "videos.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(rows.length, 6);
  assert.ok(rows.every((r) => r.error === null && r.frames > 0 && r.frames <= 16));
  assert.deepEqual(rows.filter((r) => r.label === "fake").map((r) => r.frames), [8, 8, 8]);
  assert.equal(readdirSync(join(out, "features")).length, 6);
});

test("dfd run with data: set skips demo and names the bad clip", () => {
  const dir = project({ "pipeline.yaml": PIPELINE });
  makeClip(join(dir, "clips", "real", "a.mp4"), "testsrc2=s=96x96:r=10", { frames: 12 });
  makeClip(join(dir, "clips", "deepfake", "b.mp4"), "testsrc=s=96x96:r=10", { frames: 8 });
  writeFileSync(join(dir, "clips", "real", "broken.mp4"), "not a video");
  const r = run(dir, ["--set", "data=clips"]);
  assert.equal(r.code, 0, r.stderr);
  assert.notEqual(r.status.demo, "ran");
  assert.equal(r.status.extract, "ran");
  assert.match(r.stdout + r.stderr, /real\/broken\.mp4/);
  const out = dfd(dir, ["path", "extract", "--set", "data=clips"]).stdout.trim();
  const meta = JSON.parse(readFileSync(join(out, "extract.json"), "utf8"));
  assert.deepEqual(meta.counts, { clips: 3, ok: 2, failed: 1 });
});
