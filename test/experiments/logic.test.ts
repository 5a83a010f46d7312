import { test } from "node:test";
import assert from "node:assert/strict";
import { compareRuns } from "../../src/experiments/compare.js";
import { planGc, type StoreView } from "../../src/experiments/gc.js";
import { parseAge, parseSize, formatBytes } from "../../src/experiments/units.js";
import { renderComparisonMarkdown, renderComparisonText } from "../../src/experiments/render.js";
import type { RunRecord, StageRecord } from "../../src/runner/records.js";
import type { KeyComponents } from "../../src/runner/fingerprint.js";

const stage = (name: string, key: string, params: Record<string, unknown>, extra: Partial<StageRecord> = {}): StageRecord => ({
  name, kind: name, key, status: "ran", reasons: [], seconds: 1, params: params as StageRecord["params"],
  outputHash: `out-${key}`, summary: null, ...extra,
});
const run = (id: string, stages: StageRecord[], extra: Partial<RunRecord> = {}): RunRecord => ({
  id, pid: 1, startedAt: `2026-11-24T0${id.length % 10}:00:00.000Z`, finishedAt: null,
  pipeline: { file: "pipeline.yaml", sha256: "p" }, overrides: [], data: null, status: "ok", stages, ...extra,
});

test("compareRuns: shared extract, different train, first divergence names the param", async () => {
  const a = run("A", [
    stage("extract", "k1", { fps: 4 }),
    stage("train", "k2", { loss: { type: "focal", gamma: 2 } }),
    stage("evaluate", "k3", {}, { summary: { metrics: { test_auc: 0.8, test_acc: 0.7 } } }),
  ]);
  const b = run("B", [
    stage("extract", "k1", { fps: 4 }, { status: "cached" }),
    stage("train", "k4", { loss: { type: "bce", gamma: 2 } }),
    stage("evaluate", "k5", {}, { summary: { metrics: { test_auc: 0.9, test_f1: 0.6 } } }),
  ], { overrides: ["train.loss.type=bce"] });
  const c = await compareRuns(a, b);
  assert.deepEqual(c.stages.map((s) => [s.name, s.relation]), [["extract", "shared"], ["train", "different"], ["evaluate", "different"]]);
  assert.deepEqual(c.params, [{ path: "train.loss.type", a: "focal", b: "bce" }]);
  assert.equal(c.firstDivergence?.stage, "train");
  assert.deepEqual(c.firstDivergence?.reasons, ['params.loss.type "focal" → "bce"']);
  const auc = c.metrics.find((m) => m.name === "evaluate.test_auc")!;
  assert.ok(Math.abs(auc.delta! - 0.1) < 1e-12);
  assert.deepEqual(c.metrics.find((m) => m.name === "evaluate.test_f1"), { name: "evaluate.test_f1", a: undefined, b: 0.6, delta: undefined });
  const md = renderComparisonMarkdown(c);
  assert.match(md, /\| evaluate\.test_auc \| 0\.8000 \| 0\.9000 \| \+0\.1000 \|/);
  assert.match(md, /First divergence: `train`/);
  assert.match(renderComparisonText(c), /extract\s+extract\s+= shared/);
});

test("compareRuns: uses the cache entries' key components to explain a divergence", async () => {
  const comp = (code: string, input: string): KeyComponents => ({
    v: 2, name: "train", kind: "train", code, env: {}, params: { lr: 0.001 }, paths: {}, data: null, inputs: { extract: input },
  });
  const a = run("A", [stage("extract", "e1", {}), stage("train", "t1", { lr: 0.001 })]);
  const b = run("B", [stage("extract", "e1", {}), stage("train", "t2", { lr: 0.001 })]);
  const byKey: Record<string, KeyComponents> = { t1: comp("c0de1111aaaa", "e".repeat(64)), t2: comp("c0de2222bbbb", "e".repeat(64)) };
  const c = await compareRuns(a, b, async (k) => byKey[k]);
  assert.equal(c.firstDivergence?.stage, "train");
  assert.deepEqual(c.firstDivergence?.reasons, ["code of train changed (c0de1111 → c0de2222)"]);
});

test("compareRuns: identical runs have no divergence", async () => {
  const a = run("A", [stage("extract", "k1", {})]);
  const c = await compareRuns(a, { ...a, id: "B" });
  assert.equal(c.firstDivergence, undefined);
  assert.match(renderComparisonText(c), /no divergence/);
});

test("planGc: never removes what the kept runs or current entries reference; frees the rest", () => {
  const day = 86400e3;
  const now = Date.parse("2026-11-24T12:00:00Z");
  const obj = (hash: string, bytes: number, ageDays: number) => ({ hash, bytes, files: 1, mtimeMs: now - ageDays * day });
  const view: StoreView = {
    objects: [obj("h-latest", 100, 0), obj("h-prev", 200, 1), obj("h-old", 400, 10), obj("h-current", 50, 20), obj("h-orphan", 800, 30)],
    entries: [
      { key: "kcur", stage: "extract", kind: "extract", outputHash: "h-current", summary: {}, runId: "x", seconds: 1, createdAt: new Date(now - 20 * day).toISOString(), components: {} as KeyComponents },
      { key: "kgone", stage: "train", kind: "train", outputHash: "h-missing", summary: {}, runId: "x", seconds: 1, createdAt: new Date(now).toISOString(), components: {} as KeyComponents },
    ],
    runs: [
      run("r3", [stage("train", "a", {}, { outputHash: "h-latest" })], { startedAt: new Date(now).toISOString() }),
      run("r2", [stage("train", "b", {}, { outputHash: "h-prev" })], { startedAt: new Date(now - day).toISOString() }),
      run("r1", [stage("train", "c", {}, { outputHash: "h-old" })], { startedAt: new Date(now - 10 * day).toISOString() }),
    ],
    currentKeys: ["kcur"],
  };
  const all = planGc(view, { keepLast: 1, now });
  assert.deepEqual(all.remove.map((o) => o.hash), ["h-orphan", "h-old", "h-prev"]); // oldest first
  assert.equal(all.freedBytes, 1400);
  assert.deepEqual(all.removeEntries, ["kgone"]); // dangling entry
  assert.ok(!all.remove.some((o) => o.hash === "h-latest" || o.hash === "h-current"));

  const keep2 = planGc(view, { keepLast: 2, now });
  assert.deepEqual(keep2.remove.map((o) => o.hash), ["h-orphan", "h-old"]);

  const old = planGc(view, { keepLast: 1, olderThanMs: 5 * day, now });
  assert.deepEqual(old.remove.map((o) => o.hash), ["h-orphan", "h-old"]);

  const sized = planGc(view, { keepLast: 1, maxSize: 800, now });
  assert.deepEqual(sized.remove.map((o) => o.hash), ["h-orphan"]); // 1550 - 800 = 750 ≤ 800
  const tight = planGc(view, { keepLast: 3, maxSize: 10, now });
  assert.match(tight.note ?? "", /kept objects alone/);
  assert.ok(!tight.remove.some((o) => ["h-latest", "h-prev", "h-old", "h-current"].includes(o.hash)));
});

test("planGc: a run still in progress is always kept", () => {
  const view: StoreView = {
    objects: [{ hash: "h1", bytes: 1, files: 1, mtimeMs: 0 }, { hash: "h2", bytes: 1, files: 1, mtimeMs: 0 }],
    entries: [],
    runs: [run("new", [stage("s", "a", {}, { outputHash: "h1" })]), run("running", [stage("s", "b", {}, { outputHash: "h2" })], { status: "running" })],
    currentKeys: [],
  };
  assert.deepEqual(planGc(view, { keepLast: 1 }).remove, []);
});

test("sizes and ages", () => {
  assert.equal(parseSize("500MB"), 500e6);
  assert.equal(parseSize("2G"), 2 * 1024 ** 3);
  assert.equal(parseSize("1.5GiB"), 1.5 * 1024 ** 3);
  assert.equal(parseSize("1024"), 1024);
  assert.throws(() => parseSize("lots"), /--max-size "lots"/);
  assert.equal(parseAge("7d"), 7 * 86400e3);
  assert.equal(parseAge("30m"), 1800e3);
  assert.throws(() => parseAge("7 days"), /--older-than/);
  assert.equal(formatBytes(1536), "1.5 KiB");
});
