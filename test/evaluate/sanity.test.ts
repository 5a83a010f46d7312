// Evaluation that cannot flatter (issue 11): banner wording follows the number, findings the
// split resolved are not counted, every misclassified clip is listed (capped, with the count),
// small/wide test sets get findings and caveats, the report names its run and shows provenance,
// and the summary records the test set's identity.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Confidence, evaluateWith, misclassifiedOf, MISCLASSIFIED_LISTED } from "../../stages/evaluate/impl.js";
import { params as evaluateParams, type EvaluateParams } from "../../stages/evaluate/index.js";
import { evaluationFindings } from "../../stages/evaluate/sanity.js";
import { setMetrics } from "../../src/lib/metrics.js";
import { mulberry32 } from "../../src/lib/random.js";
import type { ClipRow } from "../../src/artifacts/features.js";
import type { ReportClip } from "../../src/report/evaluate.js";
import type { Provenance } from "../../src/stage.js";
import { handScorer, makeFixture, type Fixture } from "./fixture.js";

const defaults = Object.fromEntries(Object.entries(evaluateParams).map(([k, v]) => [k, (v as { default?: unknown }).default])) as unknown as EvaluateParams;

const PROVENANCE: Provenance = {
  run: { id: "20261201-120000-abcdef", startedAt: "2026-12-01T12:00:00.000Z" },
  pipeline: "/home/me/project/pipeline.yaml",
  data: { path: "../clips", hash: "d4t4" },
  environment: { dfd: "0.1.0", node: "v20.20.0", ffmpeg: "5.1.6", backend: "wasm" },
  upstream: [{ name: "split", kind: "split", params: { val: 0.2, group_by: "source" }, key: "k1", outputHash: "0123456789abcdef" }],
};

function ctx(fx: Fixture, provenance?: Provenance) {
  return {
    name: "evaluate", params: { ...defaults, bootstrap: 200 }, inputs: fx.inputs, outDir: fx.outDir,
    progress() {}, log: { debug() {}, info() {}, warn() {}, error() {} }, signal: new AbortController().signal,
    ...(provenance ? { provenance } : {}),
  };
}
const splitFile = (fx: Fixture) => join(fx.inputs.find((i) => i.kind === "split")!.dir, "split.json");

test("the suspicion banner's wording follows the test AUC", async (t) => {
  const cases: [string, (s: number) => number, RegExp][] = [
    ["high", (s) => s, /can score this high \(test ROC-AUC 0\.938\)/],
    ["chance", () => 0.5, /test ROC-AUC is 0\.500, near chance/],
    ["below", (s) => 1 - s, /test ROC-AUC is 0\.063, below chance/],
  ];
  for (const [name, f, re] of cases) {
    const fx = makeFixture({ diagnose: true });
    t.after(() => rmSync(fx.root, { recursive: true, force: true }));
    const model = { ...handScorer, score: async (c: Parameters<typeof handScorer.score>[0]) => (await handScorer.score(c)).map((r) => ({ ...r, score: f(r.score) })) };
    await evaluateWith(ctx(fx), model);
    const html = readFileSync(join(fx.outDir, "report.html"), "utf8");
    assert.match(html, re, name);
    if (name !== "high") assert.ok(!html.includes("can score this high"), `${name}: no 'score this high' wording at a low AUC`);
  }
});

test("diagnose errors the split resolved are not counted (split.json resolved_findings)", async (t) => {
  const fx = makeFixture({ diagnose: true });
  t.after(() => rmSync(fx.root, { recursive: true, force: true }));
  writeFileSync(splitFile(fx), JSON.stringify({ ...JSON.parse(readFileSync(splitFile(fx), "utf8")), resolved_findings: ["metadata-auc:codec"] }));
  const summary = await evaluateWith(ctx(fx), handScorer);
  const html = readFileSync(join(fx.outDir, "report.html"), "utf8");
  assert.ok(!html.includes("Read these numbers with suspicion"), "no banner: the only error is resolved");
  assert.ok(!summary.lines!.some((l) => l.startsWith("⚠")), "no warning line in the summary");
  assert.match(html, /codec alone separates the classes \(AUC 1\.00\)<\/b>.*resolved by the split/);
});

test("every misclassified clip is listed; small test sets get findings and a caveat; provenance, title and test-set identity", async (t) => {
  const fx = makeFixture({ diagnose: true });
  t.after(() => rmSync(fx.root, { recursive: true, force: true }));
  const summary = await evaluateWith(ctx(fx, PROVENANCE), handScorer);
  const html = readFileSync(join(fx.outDir, "report.html"), "utf8");
  // test: real level 0.6 is flagged; val: real level 0.3 is flagged (see fixture.ts)
  assert.match(html, /test: 1 misclassified/);
  assert.match(html, /val: 1 misclassified/);
  assert.match(html, /real\/test_real_3\.mp4<\/td><td>camera<\/td><td>flagged<\/td>/);
  assert.match(html, /real\/val_real_2\.mp4<\/td><td>camera<\/td><td>flagged<\/td>/);

  // 4 fake / 4 real test clips: a finding in the summary, metrics.json and the report; a caveat on the card
  assert.ok(summary.findings!.some((f) => f.id === "evaluate:small-test-set"));
  const m = JSON.parse(readFileSync(join(fx.outDir, "metrics.json"), "utf8"));
  assert.deepEqual(m.findings.map((f: { id: string }) => f.id), summary.findings!.map((f) => f.id));
  assert.match(html, /on 8 clips \(4 fake \/ 4 real\) — too few to trust/);
  assert.match(html, /Checks on this run/);

  // the test set's identity: count and sha256 of the sorted ids, in the summary facts and metrics.json
  const ids = JSON.parse(readFileSync(splitFile(fx), "utf8")).test as string[];
  const sha = createHash("sha256").update([...ids].sort().join("\n")).digest("hex");
  assert.deepEqual(summary.facts, { test_clips: 9, test_set: sha });
  assert.deepEqual(m.test_set, { clips: 9, sha256: sha });

  // a title that names the run, and the provenance block
  assert.match(html, /<title>project\/pipeline\.yaml · evaluate · run 20261201-120000-abcdef<\/title>/);
  for (const needle of ["Provenance", "2026-12-01T12:00:00.000Z", "../clips · sha256 d4t4", "ffmpeg</th><td>5.1.6", "0123456789ab", "&quot;group_by&quot;:&quot;source&quot;", sha])
    assert.ok(html.includes(needle), `provenance shows ${needle}`);
});

test("evaluationFindings: an interval wider than 0.3, and a 1.000–1.000 interval on a few clips", () => {
  const rand = mulberry32(5);
  const items = Array.from({ length: 12 }, (_, i) => ({ score: rand(), label: (i % 2) as 0 | 1, source: null }));
  const wide = evaluationFindings(setMetrics(items, { threshold: 0.5, bootstrap: 500, seed: 1 }));
  assert.deepEqual(wide.map((f) => f.id), ["evaluate:wide-auc-interval", "evaluate:small-test-set"]);
  const perfect = evaluationFindings(setMetrics([0.1, 0.2, 0.8, 0.9].map((score, i) => ({ score, label: (i >= 2 ? 1 : 0) as 0 | 1, source: null })), { threshold: 0.5, bootstrap: 200, seed: 1 }));
  assert.deepEqual(perfect.map((f) => f.id), ["evaluate:small-test-set"]);
  assert.match(perfect[0]!.reason, /"1\.000–1\.000" means every resample of these few clips came out the same/);
  // a large, well-separated test set: nothing to say
  const big = Array.from({ length: 400 }, (_, i) => ({ score: (i % 2) * 0.5 + 0.5 * rand(), label: (i % 2) as 0 | 1, source: null }));
  assert.deepEqual(evaluationFindings(setMetrics(big, { threshold: 0.5, bootstrap: 200, seed: 1 })), []);
});

test("misclassified clips: capped list, most confidently wrong first, with the total", () => {
  const rows: ClipRow[] = [], scores: number[] = [];
  for (let i = 0; i < 1000; i++) {
    rows.push({ id: `c${String(i).padStart(4, "0")}`, path: `c${i}.mp4`, label: i % 2 ? "fake" : "real", source: null, features: "x", frames: 1, error: null });
    scores.push(i % 2 ? (i % 4 === 1 ? 0.1 + i / 1e4 : 0.9) : 0.2);
  }
  const m = misclassifiedOf({ rows, scores }, "test", 0.5);
  assert.equal(m.total, 250, "fakes at i ≡ 1 (mod 4) score below 0.5");
  assert.equal(m.clips.length, MISCLASSIFIED_LISTED);
  assert.equal(m.clips[0]!.id, "c0001", "lowest-scoring missed fake first");
  for (let i = 1; i < m.clips.length; i++) assert.ok(m.clips[i]!.score >= m.clips[i - 1]!.score);
});

test("Confidence keeps the same strips as sorting every clip", () => {
  const rand = mulberry32(9);
  for (const n of [0, 3, 7, 10, 57]) {
    const k = 5, th = 0.4;
    const clips: ReportClip[] = Array.from({ length: n }, (_, i) => ({ id: `c${(i * 7919) % 1000}`, path: "", label: "fake", source: null, split: "test", score: Math.round(rand() * 10) / 10, attention: [i] }));
    const c = new Confidence(k, th);
    clips.forEach((x) => c.offer(x));
    const sorted = [...clips].sort((a, b) => Math.abs(b.score - th) - Math.abs(a.score - th) || a.id.localeCompare(b.id));
    const { most, least } = c.result();
    assert.deepEqual(most.map((x) => x.id), sorted.slice(0, k).map((x) => x.id), `most, n=${n}`);
    assert.deepEqual(least.map((x) => x.id), sorted.slice(Math.max(k, sorted.length - k)).reverse().map((x) => x.id), `least, n=${n}`);
  }
});
