// The detector pieces through the real CLI on clips ffmpeg makes here: extract with a learned
// encoder (`features: encoder`, an ONNX model the test writes), format control and re-encoding
// augmentation, then crossval; the cache around the model file; and the error a user without
// onnxruntime-node gets.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readCrossval } from "../../src/artifacts/crossval.js";
import { readClips } from "../../src/artifacts/features.js";
import { readNpy } from "../../src/lib/npy.js";
import { dfd, project, run } from "../helpers/cli.js";
import { makeClip } from "../video/helpers.js";
import { writeConvModel } from "./onnx-model.js";

/** 3 camera sources and 3 generator sources, 2 clips each: the generators' clips are smooth
 * (blurred), the cameras' noisy; a manifest names the sources. */
function dataset(dir: string): void {
  const rows = ["path,label,source"];
  for (let s = 0; s < 3; s++)
    for (let i = 0; i < 2; i++) {
      const seed = 10 * s + i;
      makeClip(join(dir, "data", `real/cam${s}_${i}.mp4`), `testsrc2=size=160x120:rate=15,noise=alls=${20 + 5 * s}:allf=t:all_seed=${seed}`, { frames: 24 });
      makeClip(join(dir, "data", `fake/gen${s}_${i}.mp4`), `testsrc2=size=160x120:rate=15,gblur=sigma=${1.5 + s}`, { frames: 24 });
      rows.push(`real/cam${s}_${i}.mp4,real,cam${s}`, `fake/gen${s}_${i}.mp4,fake,gen${s}`);
    }
  writeFileSync(join(dir, "data", "manifest.csv"), rows.join("\n") + "\n");
}

const PIPELINE = `data: data
stages:
  extract:
    uses: extract
    with:
      features: encoder
      model: ./enc.onnx
      frames: 4
      size: 64
      format: { crf: 23, fps: 10, size: 96 }
      augment: { variants: 1, seed: 3 }
  crossval:
    uses: crossval
    needs: [extract]
    with: { folds: 3, models: [linear], bootstrap: 100 }
  split:
    uses: split
    needs: [extract]
    with: { group_by: source, val: 0.25, test: 0.25 }
  train:
    uses: train
    needs: [extract, split]
    with: { model: linear }
`;

test("extract with an ONNX encoder, format control and augmentation, then crossval; the model file is part of the key", async () => {
  const dir = project({ "pipeline.yaml": PIPELINE });
  dataset(dir);
  const W = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, -1, 0]];
  writeConvModel(join(dir, "enc.onnx"), W, [0, 0, 0, 0]);
  const r = run(dir);
  assert.equal(r.json.status, "ok", r.stdout + r.stderr);
  const extractDir = dfd(dir, ["path", "extract"]).stdout.trim();
  const info = JSON.parse(readFileSync(join(extractDir, "extract.json"), "utf8"));
  assert.equal(info.feature.name, "onnx:enc.onnx");
  assert.equal(info.feature.dims, 4);
  assert.equal(info.params.model, "./enc.onnx");
  assert.match(info.params.feature_model.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(info.params.format, { crf: 23, fps: 10, size: 96 });
  assert.equal(info.params.augment.variants, 1);
  const clips = [...readClips(extractDir).values()];
  assert.equal(clips.length, 12);
  for (const c of clips) {
    assert.equal(c.error, null);
    const m = readNpy(join(extractDir, c.features!));
    assert.deepEqual([m.rows, m.cols], [4, 4]);
    assert.equal(c.augmented?.length, 1, `${c.id} has one variant`);
    const v = readNpy(join(extractDir, c.augmented![0]!.features));
    assert.deepEqual([v.rows, v.cols], [4, 4]);
    assert.notDeepEqual([...v.data], [...m.data], "the variant's features differ from the clip's");
  }
  const rows = readFileSync(join(extractDir, "videos.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(rows.every((row) => row.augmented[0].crf >= 23 && row.augmented[0].crf <= 38 && row.augmented[0].scale >= 0.5));
  const cvDir = dfd(dir, ["path", "crossval"]).stdout.trim();
  const cv = readCrossval(cvDir);
  assert.equal(cv.models.linear!.folds.length, 3);
  assert.equal(cv.clips, 12);
  assert.ok(cv.models.linear!.folds.every((f) => f.held_out.length === 2));

  // train used the train split's variants (and only theirs); predict re-applies the encoder and
  // the format control the model was trained with
  const trainDir = dfd(dir, ["path", "train"]).stdout.trim();
  const split = JSON.parse(readFileSync(join(dfd(dir, ["path", "split"]).stdout.trim(), "split.json"), "utf8"));
  const history = JSON.parse(readFileSync(join(trainDir, "history.json"), "utf8"));
  assert.equal(history.train_clips, 2 * split.train.length);
  assert.equal(history.val_clips, split.val.length);
  const p = dfd(dir, ["predict", "--model", "latest", "--json", "data/fake/gen0_0.mp4"]);
  assert.equal(p.code, 0, p.stderr);
  const scored = JSON.parse(p.stdout.trim().split("\n").pop()!);
  assert.ok(scored.score >= 0 && scored.score <= 1 && scored.path === "data/fake/gen0_0.mp4", p.stdout);

  // cached as long as nothing changes; a new model file makes extract (and everything after) stale
  assert.deepEqual(run(dir).status, { extract: "cached", crossval: "cached", split: "cached", train: "cached" });
  writeConvModel(join(dir, "enc.onnx"), W, [0, 0, 0, 0.5]);
  const again = run(dir, ["--dry-run"]);
  assert.equal(again.status.extract, "would-run", JSON.stringify(again.json));
  assert.match(again.reasons.extract!.join("\n"), /enc\.onnx/);
  // and predict refuses the model whose encoder changed under it
  const stale = dfd(dir, ["predict", "--model", "latest", "data/fake/gen0_0.mp4"]);
  assert.notEqual(stale.code, 0);
  assert.match(stale.stderr, /encoder model .*enc\.onnx as it was then .* has changed since/);
});

test("features: encoder without onnxruntime-node fails with the install command; without model: it says what to set", async () => {
  const dir = project({
    "pipeline.yaml": PIPELINE,
    // hides the optional package, as on a machine where it is not installed
    "hide-onnx.mjs": `import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent('export async function resolve(s, c, next) { if (s === "onnxruntime-node") { const e = new Error("Cannot find package \\'onnxruntime-node\\'"); e.code = "ERR_MODULE_NOT_FOUND"; throw e; } return next(s, c); }'));
`,
  });
  dataset(dir);
  writeConvModel(join(dir, "enc.onnx"), [[1, 0, 0]], [0]);
  const r = dfd(dir, ["run", "--until", "extract"], { NODE_OPTIONS: `--import ${join(dir, "hide-onnx.mjs")}` });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /an ONNX encoder needs the optional package onnxruntime-node, which is not installed: run `npm install onnxruntime-node@1\.22\.0`/);
  writeFileSync(join(dir, "pipeline.yaml"), PIPELINE.replace("      model: ./enc.onnx\n", ""));
  const m = dfd(dir, ["run", "--until", "extract"]);
  assert.notEqual(m.code, 0);
  assert.match(m.stdout + m.stderr, /features: encoder needs `model:`/);
});
