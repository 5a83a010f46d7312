// The train stage end to end through runKind(kind, ctx) on a hand-made extract dir + split.json, then
// the Detector contract (loadDetector → score) on what it wrote.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { readNpy } from "../../src/lib/npy.js";
import { loadDetector } from "../../src/model/detector.js";
import kind from "../../stages/train/index.js";
import { trainParams, type TrainParams } from "../../stages/train/params.js";
import { defaultsOf, makeTrainFixture, stageContext } from "./fixture.js";
import { runKind } from "../../src/runner/in-process.js";

const SMALL = { backend: "cpu", d_model: 16, layers: 1, heads: 2, ff: 32, seq_len: 12, lr: 0.01, max_epochs: 12, min_epochs: 3, patience: 3, batch_size: 4, dropout: 0, threads: 1 };

describe("train stage", () => {
  const fx = makeTrainFixture({ broken: true });
  after(() => rmSync(fx.root, { recursive: true, force: true }));

  test("writes model/, dfd.json and history.json, reports progress, and the detector scores clips", async () => {
    const params = defaultsOf<TrainParams>(trainParams, { ...SMALL, threads: 2 });
    const { ctx, outDir, progress } = stageContext(params, fx.inputs, fx.root);
    const summary = await runKind(kind, ctx);
    assert.ok(summary);
    for (const f of ["model/model.json", "model/weights.bin", "model/dfd.json", "history.json"]) assert.ok(existsSync(join(outDir, f)), f);

    const meta = JSON.parse(readFileSync(join(outDir, "model/dfd.json"), "utf8"));
    assert.equal(meta.seq_len, 12);
    assert.equal(meta.feature_dims, 6);
    assert.equal(meta.backend, "cpu");
    assert.deepEqual(meta.extract, { max_frames: 16, size: 64 });
    assert.equal(meta.normalization.mean.length, 6);
    assert.ok(meta.threshold > 0 && meta.threshold < 1);
    assert.equal(meta.params.d_model, 16);

    const history = JSON.parse(readFileSync(join(outDir, "history.json"), "utf8"));
    assert.equal(history.backend, "cpu");
    assert.equal(history.threads, 2);
    assert.ok(history.epochs.length >= 3 && history.epochs.length <= 12);
    assert.ok(history.best_epoch >= 1 && history.best_epoch <= history.epochs.length);
    for (const e of history.epochs) assert.ok(Number.isFinite(e.train_loss) && Number.isFinite(e.val_loss) && e.val_auc !== undefined);
    assert.equal(progress.length, history.epochs.length);
    assert.match(progress[0]!.note!, /^epoch 1\/12 loss [\d.]+ val_loss [\d.]+ val_auc [\d.]+ ETA \d+s$/);
    assert.deepEqual(summary.skipped, [{ item: "broken", error: "ffprobe: Invalid data" }]);
    assert.equal(summary.facts?.backend, "cpu");

    // the Detector contract: score = P(fake), one attention weight per input frame summing to 1
    const det = await loadDetector(join(outDir, "model"), { backend: "cpu" });
    try {
      assert.equal(det.meta.seq_len, 12);
      const clips = ["fake_3", "real_3", "fake_7", "real_7"].map((id) => readNpy(join(fx.extractDir, "features", `${id}.npy`)));
      const scored = await det.score(clips);
      scored.forEach((s, i) => {
        assert.ok(s.score >= 0 && s.score <= 1);
        assert.equal(s.attention.length, clips[i]!.rows);
        assert.ok(Math.abs(s.attention.reduce((a, b) => a + b, 0) - 1) < 1e-4);
      });
      assert.ok(scored[0]!.score > scored[1]!.score && scored[2]!.score > scored[3]!.score, "fakes score above reals");
      await assert.rejects(det.score([{ data: new Float32Array(5), rows: 1, cols: 5 }]), /5 dims, the model was trained on 6/);
    } finally {
      det.dispose();
    }
    // the train output dir itself is accepted too (predict --model <train dir>)
    const det2 = await loadDetector(outDir, { backend: "cpu" });
    det2.dispose();
  });

  test("a split id missing from videos.jsonl is an error naming both files", async () => {
    const fx2 = makeTrainFixture({ perClass: 4 });
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(fx2.splitDir, "split.json"), JSON.stringify({ train: ["real_0", "ghost"], val: [], test: [] }));
    const { ctx } = stageContext(defaultsOf<TrainParams>(trainParams, SMALL), fx2.inputs, fx2.root);
    await assert.rejects(runKind(kind, ctx), (e: Error) => /split\.json: train lists clip "ghost", which is not in .*videos\.jsonl/.test(e.message));
    rmSync(fx2.root, { recursive: true, force: true });
  });

  test("an explicit backend that is not installed fails with the package to install", async () => {
    const { ctx } = stageContext(defaultsOf<TrainParams>(trainParams, { ...SMALL, backend: "tensorflow" }), fx.inputs, fx.root);
    await assert.rejects(runKind(kind, ctx), /backend "tensorflow" is not available: .*Install @tensorflow\/tfjs-node or use backend: auto/);
  });
});
