// evaluate end to end on a real model: the train stage fits a tiny transformer (cpu backend) on
// the fixture's features, then the evaluate stage loads it through loadDetector and scores.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import evaluateKind, { params as evaluateParams, type EvaluateParams } from "../../stages/evaluate/index.js";
import trainKind from "../../stages/train/index.js";
import { trainParams } from "../../stages/train/params.js";
import { readJsonl } from "../../src/lib/jsonl.js";
import type { StageContext } from "../../src/stage.js";
import { makeFixture } from "./fixture.js";
import { runKind, standaloneProvenance } from "../../src/runner/in-process.js";

const TINY = { backend: "cpu", d_model: 16, layers: 1, heads: 2, ff: 32, seq_len: 8, lr: 0.01, max_epochs: 10, min_epochs: 3, patience: 3, batch_size: 4, dropout: 0 };

function defaults(spec: Record<string, { type: string; default?: unknown; properties?: Record<string, never> }>, over: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(spec)) out[k] = s.type === "object" ? defaults(s.properties!, (over[k] ?? {}) as Record<string, unknown>) : k in over ? over[k] : (s.default ?? null);
  return out;
}

function context<P>(name: string, params: P, inputs: StageContext["inputs"], root: string): StageContext<P> {
  return {
    name, params, inputs, projectDir: root,
    outDir: mkdtempSync(join(root, `${name}-out-`)), tmpDir: mkdtempSync(join(root, `${name}-tmp-`)),
    progress() {}, log: { debug() {}, info() {}, warn() {}, error() {} },
    signal: new AbortController().signal, cpus: 2, logFile: join(root, `${name}.log`), provenance: standaloneProvenance(),
  };
}

test("evaluate stage on a tiny trained model: files, sane metrics, report with the real history", async (t) => {
  const fx = makeFixture({ diagnose: true });
  t.after(() => rmSync(fx.root, { recursive: true, force: true }));
  const upstream = fx.inputs.filter((i) => i.kind !== "train");
  const trainCtx = context("train", defaults(trainParams as never, TINY), upstream.filter((i) => i.kind !== "diagnose"), fx.root);
  await runKind(trainKind, trainCtx as never);

  const inputs = [{ name: "train", kind: "train", dir: trainCtx.outDir }, ...upstream];
  const ctx = context("evaluate", { ...(defaults(evaluateParams as never) as unknown as EvaluateParams), backend: "cpu" as const, bootstrap: 200 }, inputs, fx.root);
  const summary = await runKind(evaluateKind, ctx);
  assert.ok(summary);

  const meta = JSON.parse(readFileSync(join(trainCtx.outDir, "model", "dfd.json"), "utf8"));
  const history = JSON.parse(readFileSync(join(trainCtx.outDir, "history.json"), "utf8"));
  const m = JSON.parse(readFileSync(join(ctx.outDir, "metrics.json"), "utf8"));
  assert.equal(m.threshold, meta.threshold, "the model's val-chosen threshold");
  assert.equal(m.model.scored_on, "cpu");
  for (const s of ["val", "test", "train"]) {
    assert.ok(m[s].auc >= 0 && m[s].auc <= 1, `${s} auc ${m[s].auc}`);
    assert.equal(m[s].at_threshold.threshold, meta.threshold);
    assert.equal(m[s].at_0_5.threshold, 0.5);
  }
  // the fixture is separable by column 0: even a tiny model ranks train clips well
  assert.ok(m.train.auc >= 0.9, `train auc ${m.train.auc}`);
  assert.equal(summary.metrics!.test_auc, m.test.auc);

  const preds = readJsonl<{ split: string; score: number; attention: number[]; frames: number }>(join(ctx.outDir, "predictions.jsonl"));
  assert.equal(preds.length, 6 + 8 + 8);
  for (const p of preds) {
    assert.ok(p.score >= 0 && p.score <= 1);
    assert.equal(p.attention.length, p.frames);
    assert.ok(Math.abs(p.attention.reduce((a, b) => a + b, 0) - 1) < 1e-3);
  }

  const html = readFileSync(join(ctx.outDir, "report.html"), "utf8");
  assert.ok(html.includes(`kept epoch ${history.best_epoch}`), "chosen epoch marked on the training curves");
  assert.ok(!/<script/i.test(html));
  assert.match(html, /trained on<\/b> cpu/);
});

test("evaluate scores a linear-probe model through the same Detector interface", async (t) => {
  const fx = makeFixture({ diagnose: true });
  t.after(() => rmSync(fx.root, { recursive: true, force: true }));
  const upstream = fx.inputs.filter((i) => i.kind !== "train");
  const trainCtx = context("train", defaults(trainParams as never, { model: "linear" }), upstream.filter((i) => i.kind !== "diagnose"), fx.root);
  await runKind(trainKind, trainCtx as never);
  // found by its marker (model/dfd.json), whatever the producing stage's kind is called
  const inputs = [{ name: "probe", kind: "my-trainer", dir: trainCtx.outDir }, ...upstream];
  const ctx = context("evaluate", { ...(defaults(evaluateParams as never) as unknown as EvaluateParams), bootstrap: 100 }, inputs, fx.root);
  const summary = await runKind(evaluateKind, ctx);
  const m = JSON.parse(readFileSync(join(ctx.outDir, "metrics.json"), "utf8"));
  assert.equal(m.model.scored_on, "js");
  assert.ok(m.train.auc >= 0.9, `train auc ${m.train.auc}`);
  assert.equal(summary!.metrics!.test_auc, m.test.auc);
  const preds = readJsonl<{ attention: number[]; frames: number }>(join(ctx.outDir, "predictions.jsonl"));
  for (const p of preds) assert.equal(p.attention.length, p.frames);
});
