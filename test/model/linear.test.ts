// The linear probe: clip statistics by hand, the optimiser reaching the optimum (zero gradient),
// byte-identical refits, λ chosen on val, and the train stage writing a model that the Detector
// interface scores exactly as training scored its validation clips.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { readNpy } from "../../src/lib/npy.js";
import { memoryClips } from "../../src/model/clips.js";
import { loadDetector } from "../../src/model/detector.js";
import { fitDetector } from "../../src/model/fit.js";
import { clipStats, fitLinear, fitLogistic, linearLogit } from "../../src/model/linear.js";
import { L2_GRID, modelParams, type ModelParams } from "../../src/model/params.js";
import { Rng } from "../../src/model/rng.js";
import kind from "../../stages/train/index.js";
import { runKind } from "../../src/runner/in-process.js";
import { defaultsOf, makeTrainFixture, stageContext, syntheticClip } from "./fixture.js";

const LINEAR = { model: "linear" };

function sets(seed: number, perClass: number) {
  const rng = new Rng(seed);
  const ids: string[] = [], labels: number[] = [], clips = [];
  for (let i = 0; i < perClass; i++)
    for (const y of [0, 1] as const) {
      ids.push(`${y}_${i}`);
      labels.push(y);
      clips.push(syntheticClip(rng, y, 3 + (i % 7), 6, 0.3));
    }
  return memoryClips(ids, labels, clips);
}

describe("linear probe", () => {
  test("clip statistics: mean, population std, numpy-style quantiles, min, max, mean |Δ|", () => {
    // one feature over 5 frames: 1 4 2 8 5; a second constant feature
    const m = { rows: 5, cols: 2, data: Float32Array.from([1, 7, 4, 7, 2, 7, 8, 7, 5, 7]) };
    const s = clipStats(m, ["mean", "std", "q10", "q50", "q90", "min", "max", "diff"]);
    const col0 = [0, 2, 4, 6, 8, 10, 12, 14].map((k) => s[k]!);
    const mean = 4, std = Math.sqrt((9 + 0 + 4 + 16 + 1) / 5);
    // sorted 1 2 4 5 8: q10 at position 0.4 → 1.4; q50 = 4; q90 at 3.6 → 5 + 0.6·3 = 6.8
    const expected = [mean, std, 1.4, 4, 6.8, 1, 8, (3 + 2 + 6 + 3) / 4];
    col0.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-12, `stat ${i}: ${v} vs ${expected[i]}`));
    assert.deepEqual([1, 3, 5, 7, 9, 11, 13, 15].map((k) => s[k]), [7, 0, 7, 7, 7, 7, 7, 0]);
    // a one-frame clip: std and diff are 0, quantiles the value
    assert.deepEqual(Array.from(clipStats({ rows: 1, cols: 1, data: Float32Array.from([3]) }, ["std", "q90", "diff"])), [0, 3, 0]);
  });

  test("L-BFGS reaches the optimum: the penalised gradient is ~0 there", () => {
    const rng = new Rng(3);
    const n = 60, p = 5;
    const x = new Float32Array(n * p);
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let k = 0; k < p; k++) z += (x[i * p + k] = rng.normal()) * (k - 2);
      y.push(z + rng.normal() > 0 ? 1 : 0);
    }
    const fake = y.filter((v) => v).length;
    const c = Float64Array.from(y, (v) => 1 / (2 * (v ? fake : n - fake)));
    const l2 = 0.05;
    const fit = fitLogistic({ x, n, p, y, c }, l2, 500);
    assert.ok(fit.converged, `converged in ${fit.iterations} iterations`);
    const g = new Float64Array(p + 1);
    for (let i = 0; i < n; i++) {
      let z = fit.theta[p]!;
      for (let k = 0; k < p; k++) z += fit.theta[k]! * x[i * p + k]!;
      const r = c[i]! * (1 / (1 + Math.exp(-z)) - y[i]!);
      for (let k = 0; k < p; k++) g[k]! += r * x[i * p + k]!;
      g[p]! += r;
    }
    for (let k = 0; k < p; k++) g[k]! += l2 * fit.theta[k]!;
    assert.ok(Math.max(...g.map(Math.abs)) < 1e-6, `gradient ${Array.from(g)}`);
    // the learnt direction follows the generating one (k − 2)
    assert.ok(fit.theta[0]! < 0 && fit.theta[4]! > 0);
  });

  test("deterministic: the same data gives the same weights, bit for bit; l2 null tries the grid on val", () => {
    const train = sets(1, 12), val = sets(2, 10);
    const p = { l2: 0.1, stats: ["mean", "std", "q50", "diff"] as const, max_iter: 300 };
    const a = fitLinear({ ...p, stats: [...p.stats] }, train, val), b = fitLinear({ ...p, stats: [...p.stats] }, train, val);
    assert.equal(JSON.stringify(a.weights), JSON.stringify(b.weights));
    assert.equal(a.l2Source, "param");
    assert.equal(a.weights.coef.length, 4 * 6);
    // val scores are computed as the detector will compute them
    const s0 = 1 / (1 + Math.exp(-linearLogit(a.weights, clipStats(val.read(0), a.weights.stats))));
    assert.equal(a.valScores[0], s0);

    const chosen = fitLinear({ ...p, stats: [...p.stats], l2: null }, train, val);
    assert.equal(chosen.l2Source, "val-loss");
    assert.deepEqual(chosen.fits.map((f) => f.l2), [...L2_GRID].reverse());
    const best = Math.min(...chosen.fits.map((f) => f.val_loss!));
    assert.equal(chosen.fits.find((f) => f.l2 === chosen.weights.l2)!.val_loss, best);
  });

  test("fitDetector: a linear Detector, the threshold rule and sanity findings", async () => {
    const params = defaultsOf<ModelParams>(modelParams, LINEAR);
    const small = await fitDetector(params, sets(1, 12), sets(2, 4));
    assert.equal(small.detector.kind, "linear");
    assert.equal(small.history.threshold, 0.5);
    assert.equal(small.history.threshold_source, "default-small-val");
    assert.deepEqual(small.findings.map((f) => f.id), ["train:small-val"]);
    assert.equal(small.facts.backend, "js");
    const big = await fitDetector(params, sets(1, 12), sets(2, 12));
    assert.equal(big.history.threshold_source, "val-f1");
    await assert.rejects(fitDetector(params, memoryClips(["a"], [1], [sets(1, 1).read(1)]), undefined), /the train split needs both real and fake clips \(has 0 real, 1 fake\)/);
  });

  describe("train stage with model: linear", () => {
    const fx = makeTrainFixture({ broken: true, perClass: 12 });
    after(() => rmSync(fx.root, { recursive: true, force: true }));

    test("writes linear.json + dfd.json + history.json, identical bytes on a re-run; loadDetector scores it", async () => {
      const params = defaultsOf<ModelParams>(modelParams, LINEAR);
      const one = stageContext(params, fx.inputs, fx.root), two = stageContext(params, fx.inputs, fx.root);
      const summary = await runKind(kind, one.ctx);
      await runKind(kind, two.ctx);
      const files = (dir: string) => readdirSync(dir, { recursive: true }).map(String).sort();
      assert.deepEqual(files(one.outDir), ["history.json", "model", "model/dfd.json", "model/linear.json"]);
      for (const f of ["history.json", "model/dfd.json", "model/linear.json"])
        assert.equal(readFileSync(join(one.outDir, f), "utf8"), readFileSync(join(two.outDir, f), "utf8"), `${f} differs between two runs`);

      const meta = JSON.parse(readFileSync(join(one.outDir, "model/dfd.json"), "utf8"));
      assert.equal(meta.kind, "linear");
      assert.equal(meta.seq_len, null);
      assert.deepEqual(meta.extract, { max_frames: 16, size: 64 });
      assert.equal(meta.params.model, "linear");
      assert.ok(summary?.lines?.[0]?.startsWith("linear probe: 36 statistics"), summary?.lines?.[0]);
      assert.deepEqual(summary?.skipped, [{ item: "broken", error: "ffprobe: Invalid data" }]);
      assert.equal(summary?.facts?.backend, "js");
      const history = JSON.parse(readFileSync(join(one.outDir, "history.json"), "utf8"));
      assert.equal(history.model, "linear");
      assert.equal(history.val_clips, 6);
      assert.equal("seconds" in history, false, "no timings in the artifact");

      const det = await loadDetector(one.outDir);
      try {
        assert.equal(det.kind, "linear");
        assert.equal(det.backend, "js");
        const ids = ["fake_3", "real_3", "fake_7", "real_7"];
        const scored = await det.score(ids.map((id) => readNpy(join(fx.extractDir, "features", `${id}.npy`))));
        assert.ok(scored[0]!.score > scored[1]!.score && scored[2]!.score > scored[3]!.score, "fakes score above reals");
        for (const s of scored) assert.ok(Math.abs(s.attention.reduce((a, b) => a + b, 0) - 1) < 1e-9);
        await assert.rejects(det.score([{ data: new Float32Array(5), rows: 1, cols: 5 }]), /5 dims, the model was trained on 6/);
      } finally {
        det.dispose();
      }
    });
  });
});
