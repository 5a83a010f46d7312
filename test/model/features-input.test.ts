// train and evaluate read the features artifact from whatever stage provides it (a shell stage, a
// user kind): found by videos.jsonl, extract.json optional. Without extract.json the first clip
// read fixes the width, and a clip of another width is an error naming both files.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { writeNpy } from "../../src/lib/npy.js";
import { Rng } from "../../src/model/rng.js";
import { runKind } from "../../src/runner/in-process.js";
import evaluateKind, { params as evaluateParams } from "../../stages/evaluate/index.js";
import trainKind from "../../stages/train/index.js";
import { trainParams, type TrainParams } from "../../stages/train/params.js";
import { defaultsOf, makeTrainFixture, stageContext, syntheticClip } from "./fixture.js";

describe("features from a stage other than extract", () => {
  const fx = makeTrainFixture({ perClass: 8 });
  unlinkSync(join(fx.extractDir, "extract.json"));
  const inputs = [{ name: "my-features", kind: "shell", dir: fx.extractDir }, { name: "split", kind: "split", dir: fx.splitDir }];
  after(() => rmSync(fx.root, { recursive: true, force: true }));

  test("train (both kinds) and evaluate run without extract.json; the model records extract: null", async () => {
    for (const model of ["linear", "transformer"]) {
      const params = defaultsOf<TrainParams>(trainParams, { model, backend: "cpu", d_model: 8, layers: 1, heads: 2, ff: 16, seq_len: 8, max_epochs: 2, min_epochs: 1, threads: 1 });
      const train = stageContext(params, inputs, fx.root);
      await runKind(trainKind, train.ctx);
      const meta = JSON.parse(readFileSync(join(train.outDir, "model", "dfd.json"), "utf8"));
      assert.equal(meta.extract, null);
      assert.equal(meta.feature_dims, 6);
      const ev = stageContext({ ...defaultsOf<Record<string, unknown>>(evaluateParams), backend: "cpu", bootstrap: 20 }, [{ name: "t", kind: "my-trainer", dir: train.outDir }, ...inputs], fx.root, { name: "evaluate" } as never);
      const summary = await runKind(evaluateKind, ev.ctx as never);
      assert.ok(summary && summary.metrics && "val_auc" in summary.metrics, `${model}: evaluate scored`);
    }
  });

  test("a clip of another width is an error naming it and the clip that set the width", async () => {
    const root = mkdtempSync(join(fx.root, "w-"));
    const odd = makeTrainFixture({ perClass: 4 });
    unlinkSync(join(odd.extractDir, "extract.json"));
    writeNpy(join(odd.extractDir, "features", "fake_2.npy"), syntheticClip(new Rng(1), 1, 5, 4));
    const params = defaultsOf<TrainParams>(trainParams, { model: "linear" });
    const { ctx } = stageContext(params, [{ name: "f", kind: "shell", dir: odd.extractDir }, { name: "split", kind: "split", dir: odd.splitDir }], root);
    await assert.rejects(runKind(trainKind, ctx), (e: Error) => /features\/fake_2\.npy: 4 feature dims, .*features\/real_0\.npy has 6/.test(e.message));
    rmSync(odd.root, { recursive: true, force: true });
  });
});
