// The evaluate stage body on hand-written upstream outputs with a transparent scorer: files
// written, numbers as computed by hand, report self-contained and escaped, errors naming files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { evaluateWith } from "../../stages/evaluate/impl.js";
import { params as evaluateParams, type EvaluateParams } from "../../stages/evaluate/index.js";
import { readJsonl } from "../../src/lib/jsonl.js";
import { EVIL_NAME, handScorer, makeFixture, type Fixture } from "./fixture.js";

const defaults = Object.fromEntries(Object.entries(evaluateParams).map(([k, v]) => [k, (v as { default?: unknown }).default])) as unknown as EvaluateParams;

function ctx(fx: Fixture, over: Partial<EvaluateParams> = {}) {
  const progress: [number, number][] = [];
  const warnings: string[] = [];
  return {
    progress,
    warnings,
    ctx: {
      name: "evaluate",
      params: { ...defaults, ...over },
      inputs: fx.inputs,
      outDir: fx.outDir,
      progress: (d: number, t: number) => progress.push([d, t]),
      log: { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} },
      signal: new AbortController().signal,
    },
  };
}

test("evaluate: metrics.json, predictions.jsonl and summary from scored splits", async (t) => {
  const fx = makeFixture({ diagnose: true });
  t.after(() => rmSync(fx.root, { recursive: true, force: true }));
  const { ctx: c, progress } = ctx(fx, { batch_size: 5 });
  const summary = await evaluateWith(c, handScorer);
  assert.ok(summary.lines!.some((l) => /^⚠ diagnose found 1 error-level shortcut\(s\) in this data set/.test(l)), "the run summary warns too");

  const m = JSON.parse(readFileSync(join(fx.outDir, "metrics.json"), "utf8"));
  assert.equal(m.threshold, 0.5);
  // test: reals [-1.5 -1 -0.4 0.6], fakes [0.2 0.8 1.2 1.9]: one real above one fake ⇒ 15/16
  assert.equal(m.test.auc, 15 / 16);
  assert.deepEqual(m.test.at_threshold.confusion, { tp: 4, fp: 1, tn: 3, fn: 0 });
  assert.equal(m.test.at_threshold.accuracy, 7 / 8);
  // val: reals [-1.2 -0.8 0.3], fakes [0.1 0.9 1.4] ⇒ 8/9
  assert.equal(m.val.auc, 8 / 9);
  assert.equal(m.train.auc, 1);
  assert.ok(m.test.auc_ci95[0] <= 15 / 16 && m.test.auc_ci95[1] <= 1, "bootstrap interval on test");
  assert.equal(m.val.auc_ci95, null, "bootstrap only on test");
  assert.deepEqual(Object.keys(m.per_source), ["camera", "gen-a", "gen-b"]);
  assert.equal(m.per_source.camera.recall, 3 / 4);
  assert.equal(m.per_source["gen-a"].recall, 1);
  assert.deepEqual(m.counts.test, { clips: 9, scored: 8, real: 4, fake: 4 });
  assert.deepEqual(m.excluded, [{ id: "test_broken", split: "test", reason: "ffprobe: Invalid data found when processing input" }]);

  const preds = readJsonl<Record<string, unknown>>(join(fx.outDir, "predictions.jsonl"));
  assert.equal(preds.length, 6 + 8 + 8);
  const evil = preds.find((p) => p.path === EVIL_NAME)!;
  assert.equal(evil.split, "test");
  assert.equal(evil.label, "fake");
  assert.equal(evil.source, "gen-a");
  const att = evil.attention as number[];
  assert.equal(att.length, evil.frames);
  assert.ok(Math.abs(att.reduce((a, b) => a + b, 0) - 1) < 1e-3, "attention sums to 1");
  assert.deepEqual(Object.keys(evil).sort(), ["attention", "frames", "id", "label", "path", "predicted", "score", "source", "split"]);

  assert.equal(summary.metrics!.test_auc, 15 / 16);
  assert.equal(summary.metrics!.val_auc, 8 / 9);
  assert.equal(summary.metrics!.test_acc, 7 / 8);
  assert.ok(summary.lines!.some((l) => l.startsWith("test: AUC 0.938")));
  assert.ok(summary.lines!.some((l) => /1 clip\(s\) not scored/.test(l)));
  assert.ok(summary.lines!.includes("threshold 0.500 (F1-optimal on val) · report.html"));
  assert.equal(m.threshold_source, "F1-optimal on val");
  assert.deepEqual(progress.at(-1), [22, 22]);
});

test("evaluate: report.html is self-contained, escaped and has every section", async (t) => {
  const fx = makeFixture({ diagnose: true });
  t.after(() => rmSync(fx.root, { recursive: true, force: true }));
  await evaluateWith(ctx(fx).ctx, handScorer);
  const html = readFileSync(join(fx.outDir, "report.html"), "utf8");
  assert.ok(!/<script/i.test(html), "no script element, not even from a clip name");
  assert.ok(html.includes("fake/&lt;script&gt;alert(1)&lt;/script&gt;.mp4"), "the clip name shows as text");
  assert.ok(html.includes("&lt;b&gt;bold&lt;/b&gt;"), "finding text is escaped");
  assert.ok(!/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i.test(html), "no network resources");
  assert.ok(!/<link|<img|<iframe|@import|url\(/i.test(html), "no external stylesheets or images");
  const svgs = html.match(/<svg[\s>]/g) ?? [];
  // ROC, PR, training loss, val AUC + one attention strip per listed clip (5 most + 3 remaining least of 8)
  assert.equal(svgs.length, 4 + 5 + 3);
  for (const needle of ["ROC", "Precision–recall", "Training loss", "Validation ROC-AUC", "kept epoch 9", "12 epochs (stopped early)", "Confusion matrices", "Per-source recall", "gen-b", "frame-count-ratio", "Most confident clips", "Least confident clips", "test_broken"])
    assert.ok(html.includes(needle), `report mentions ${needle}`);
  // error findings are listed before warnings
  assert.ok(html.indexOf("metadata-auc:codec") < html.indexOf("frame-count-ratio"));
  // an error-level finding puts a warning above the headline numbers, and in the run summary
  const banner = html.indexOf("Read these numbers with suspicion");
  assert.ok(banner > 0 && banner < html.indexOf("test ROC-AUC"), "the shortcut warning comes before the headline cards");
  assert.match(html, /diagnose found 1 error-level problem in the data set, e\.g\. codec alone separates the classes \(AUC 1\.00\)/);
});

test("evaluate: without diagnose the report says so; one-class test split does not crash", async (t) => {
  const fx = makeFixture();
  t.after(() => rmSync(fx.root, { recursive: true, force: true }));
  const splitFile = join(fx.inputs.find((i) => i.kind === "split")!.dir, "split.json");
  const s = JSON.parse(readFileSync(splitFile, "utf8"));
  s.test = s.test.filter((id: string) => id.includes("fake"));
  writeFileSync(splitFile, JSON.stringify(s));
  const summary = await evaluateWith(ctx(fx, { score_train: false }).ctx, handScorer);
  const m = JSON.parse(readFileSync(join(fx.outDir, "metrics.json"), "utf8"));
  assert.equal(m.test.auc, null);
  assert.equal(m.train, null);
  assert.match(m.test.notes.join(), /only fake clips/);
  assert.equal(summary.metrics!.test_auc, undefined, "no NaN in the run record");
  assert.equal(summary.metrics!.test_acc, 1);
  const html = readFileSync(join(fx.outDir, "report.html"), "utf8");
  assert.match(html, /No diagnose stage/);
  assert.ok(!html.includes("Read these numbers with suspicion") && !summary.lines!.some((l) => l.startsWith("⚠")), "no findings, no warning");
  assert.match(html, /test: only fake clips in this split/);
});

test("evaluate: an empty test split is reported as such; strips come from val", async (t) => {
  const fx = makeFixture();
  t.after(() => rmSync(fx.root, { recursive: true, force: true }));
  const splitFile = join(fx.inputs.find((i) => i.kind === "split")!.dir, "split.json");
  const s = JSON.parse(readFileSync(splitFile, "utf8"));
  writeFileSync(splitFile, JSON.stringify({ ...s, test: [] }));
  const summary = await evaluateWith(ctx(fx).ctx, handScorer);
  assert.ok(summary.lines!.includes("test: no clips"));
  assert.equal(summary.metrics!.val_auc, 8 / 9);
  const m = JSON.parse(readFileSync(join(fx.outDir, "metrics.json"), "utf8"));
  assert.equal(m.test.n, 0);
  assert.deepEqual(m.per_source, {});
  const html = readFileSync(join(fx.outDir, "report.html"), "utf8");
  assert.match(html, /test: no clips in this split/);
  assert.match(html, /val_real_0\.mp4/, "attention strips from val when test is empty");
  // a model trained without a usable val split says so instead of claiming an F1-optimal threshold
  const hist = join(fx.inputs.find((i) => i.kind === "train")!.dir, "history.json");
  writeFileSync(hist, JSON.stringify({ ...JSON.parse(readFileSync(hist, "utf8")), threshold_source: "default" }));
  const again = await evaluateWith(ctx({ ...fx, outDir: mkdtempSync(join(fx.root, "o-")) }).ctx, handScorer);
  assert.ok(again.lines!.some((l) => l.includes("(0.5: no validation clips of both classes)")));
});

test("evaluate: errors name the file at fault", async (t) => {
  const fx = makeFixture();
  t.after(() => rmSync(fx.root, { recursive: true, force: true }));
  const npy = join(fx.extractDir, "features", "val_real_1.npy");
  unlinkSync(npy);
  await assert.rejects(evaluateWith(ctx(fx).ctx, handScorer), (e: Error) => e.message.includes(npy));

  const fx2 = makeFixture();
  t.after(() => rmSync(fx2.root, { recursive: true, force: true }));
  await assert.rejects(evaluateWith(ctx(fx2).ctx, { ...handScorer, meta: { ...handScorer.meta, feature_dims: 7 } }), /val_real_0\.npy: 3 feature dims, the model expects 7/);

  const fx3 = makeFixture();
  t.after(() => rmSync(fx3.root, { recursive: true, force: true }));
  const splitFile = join(fx3.inputs.find((i) => i.kind === "split")!.dir, "split.json");
  writeFileSync(splitFile, JSON.stringify({ train: [], val: ["nope"], test: [] }));
  await assert.rejects(evaluateWith(ctx(fx3).ctx, handScorer), (e: Error) => e.message.includes(splitFile) && e.message.includes('"nope"'));

  // a clip the model rejects (non-finite values) is listed with its file, the others still count
  const fx5 = makeFixture();
  t.after(() => rmSync(fx5.root, { recursive: true, force: true }));
  const picky = {
    ...handScorer,
    score: async (clips: Parameters<typeof handScorer.score>[0]) => {
      if (clips.some((m) => m.rows === 6)) throw new Error("clip 0: non-finite feature value at frame 0, dim 0");
      return handScorer.score(clips);
    },
  };
  const summary = await evaluateWith(ctx(fx5).ctx, picky);
  const m = JSON.parse(readFileSync(join(fx5.outDir, "metrics.json"), "utf8"));
  const rejected = m.excluded.filter((e: { reason: string }) => /non-finite/.test(e.reason));
  assert.ok(rejected.length >= 1);
  for (const e of rejected) assert.ok(e.reason.startsWith(join(fx5.extractDir, "features", `${e.id}.npy`)), e.reason);
  assert.equal(m.counts.val.scored + m.counts.test.scored + m.counts.train.scored + m.excluded.length, 23);
  assert.equal(summary.skipped!.length, m.excluded.length);
  // ... but a model that rejects every clip fails the stage
  const fx6 = makeFixture();
  t.after(() => rmSync(fx6.root, { recursive: true, force: true }));
  await assert.rejects(evaluateWith(ctx(fx6).ctx, { ...handScorer, score: async () => { throw new Error("no frames"); } }), /no clip could be scored; last failure: .*\.npy: no frames/);

  const fx4 = makeFixture();
  t.after(() => rmSync(fx4.root, { recursive: true, force: true }));
  const broken = { ...handScorer, score: async (clips: unknown[]) => clips.map(() => ({ score: Number.NaN, attention: [] })) };
  await assert.rejects(evaluateWith(ctx(fx4).ctx, broken), /as NaN/);
});
