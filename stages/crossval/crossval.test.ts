// crossval: the fold plan (no source or group on both sides), the metrics against hand-computed
// cases, and the kind end to end through runKind on a hand-made features artifact.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { writeJsonl } from "../../src/lib/jsonl.js";
import { writeNpy } from "../../src/lib/npy.js";
import { Rng } from "../../src/model/rng.js";
import type { Json, ParamsSpec } from "../../src/params.js";
import { runKind, standaloneProvenance } from "../../src/runner/in-process.js";
import type { StageContext, StageSummary } from "../../src/stage.js";
import { planFolds, type FoldClip } from "./folds.js";
import kind from "./index.js";
import { modelReport, type OofScore } from "./metrics.js";
import type { CrossvalParams } from "./params.js";
import { readCrossval } from "../../src/artifacts/crossval.js";

const clip = (id: string, label: 0 | 1, source: string | null, group: string | null = null): FoldClip => ({ id, label, source, group });

/** n sources per class, `per` clips each; fake source k shares a group with real source k when `paired`. */
function sources(n: number, per: number, paired = false): FoldClip[] {
  const out: FoldClip[] = [];
  for (let s = 0; s < n; s++)
    for (let i = 0; i < per; i++) {
      out.push(clip(`r${s}_${i}`, 0, `cam${s}`, paired ? `pair${s}` : null));
      out.push(clip(`f${s}_${i}`, 1, `gen${s}`, paired ? `pair${s}` : null));
    }
  return out;
}

function assertNoStraddle(clips: FoldClip[], folds: ReturnType<typeof planFolds>["folds"], key: "source" | "group") {
  const byId = new Map(clips.map((c) => [c.id, c]));
  for (const f of folds) {
    const held = new Set(f.test.map((id) => byId.get(id)![key]).filter((k) => k !== null));
    for (const id of [...f.train, ...f.val]) assert.ok(!held.has(byId.get(id)![key]!), `fold ${f.index + 1}: ${key} ${byId.get(id)![key]} on both sides`);
    assert.equal(new Set([...f.train, ...f.val, ...f.test]).size, f.train.length + f.val.length + f.test.length, "a clip in two sets");
  }
}

test("folds: every clip held out exactly once, no source or group on both sides, classes balanced", () => {
  const clips = sources(10, 3, true);
  // chain: gen0's group is also cam1's, so cam0, gen0 (pair0) and cam1, gen1 (pair1) form one unit
  clips.find((c) => c.id === "r1_0")!.group = "pair0";
  for (const seed of [0, 1, 2]) {
    const p = planFolds(clips, { folds: 4, group_by: "auto", val: 0.2, seed });
    assert.equal(p.units.length, 9);
    assert.deepEqual(p.folds.flatMap((f) => f.test).sort(), clips.map((c) => c.id).sort());
    assertNoStraddle(clips, p.folds, "source");
    assertNoStraddle(clips, p.folds, "group");
    for (const f of p.folds) {
      const fakes = f.test.filter((id) => id.startsWith("f")).length;
      assert.ok(fakes >= 6 && fakes <= 9, `fold ${f.index + 1} holds ${fakes} fakes of 30 over 4 folds`);
      assert.ok(f.val.length > 0 && f.val.some((id) => id.startsWith("r")) && f.val.some((id) => id.startsWith("f")));
    }
    const joined = p.folds.find((f) => f.test.includes("f0_0"))!;
    assert.ok(joined.test.includes("r1_2") && joined.test.includes("f1_0"), "the chained unit is held out whole");
  }
  // deterministic, and independent of row order
  const a = planFolds(clips, { folds: 4, group_by: "auto", val: 0.2, seed: 5 });
  const b = planFolds([...clips].reverse(), { folds: 4, group_by: "auto", val: 0.2, seed: 5 });
  assert.deepEqual(a.folds, b.folds);
});

test("folds: group_by source ignores groups, null folds = one per unit, clear errors", () => {
  const clips = sources(3, 2, true);
  const bySource = planFolds(clips, { folds: null, group_by: "source", val: 0, seed: 0 });
  assert.equal(bySource.folds.length, 6);
  assert.ok(bySource.folds.every((f) => f.test.length === 2 && f.val.length === 0));
  assert.deepEqual(bySource.folds.map((f) => f.heldOut.join()).sort(), ["cam0", "cam1", "cam2", "gen0", "gen1", "gen2"]);
  const byGroup = planFolds(clips, { folds: null, group_by: "group", val: 0, seed: 0 });
  assert.equal(byGroup.folds.length, 3);
  assert.throws(() => planFolds(clips, { folds: 4, group_by: "group", val: 0, seed: 0 }), /folds: 4, but there are only 3 separate source groups \(group_by group\): use folds: 3 or fewer/);
  assert.throws(() => planFolds([clip("a", 0, "x"), clip("b", 1, "x")], { folds: 2, group_by: "auto", val: 0, seed: 0 }), /all 2 clips form one source group/);
  const loose = planFolds([clip("a", 0, null), clip("b", 1, null), clip("c", 0, null), clip("d", 1, null)], { folds: 2, group_by: "auto", val: 0, seed: 0 });
  assert.equal(loose.ungrouped, 4);
});

test("metrics: fold AUCs, per-source AUCs and recall, hand-computed; one-class folds are null with a note", () => {
  const s = (id: string, label: 0 | 1, source: string, fold: number, score: number): OofScore => ({ id, label, source, repeat: 0, fold, score });
  const scores = [
    // fold 0: perfect (AUC 1); threshold 0.5
    s("a", 0, "cam", 0, 0.1), s("b", 0, "cam", 0, 0.2), s("c", 1, "genA", 0, 0.8), s("d", 1, "genA", 0, 0.9),
    // fold 1: one of four pairs inverted (AUC 0.75)
    s("e", 0, "cam2", 1, 0.3), s("f", 0, "cam2", 1, 0.6), s("g", 1, "genB", 1, 0.5), s("h", 1, "genB", 1, 0.7),
    // fold 2: fakes only
    s("i", 1, "genC", 2, 0.4), s("j", 1, "genC", 2, 0.45),
  ];
  const folds = [0, 1, 2].map((index) => ({ repeat: 0, index, heldOut: [`u${index}`], train: 10, val: 2, threshold: 0.5, facts: {} }));
  const r = modelReport("m", scores, folds, { bootstrap: 200, seed: 1, seeds: [1] });
  assert.deepEqual(r.folds.map((f) => f.auc), [1, 0.75, null]);
  assert.equal(r.auc, 0.875);
  assert.equal(r.folds_with_auc, 2);
  assert.match(r.notes[0]!, /1 of 3 folds hold out one class only/);
  assert.ok(r.auc_ci95![0] <= 0.875 && r.auc_ci95![1] >= 0.75);
  const genC = r.sources.find((x) => x.source === "genC")!;
  // genC (0.4, 0.45) against every real (0.1, 0.2, 0.3, 0.6): wins 3+3 of 8
  assert.equal(genC.auc, 6 / 8);
  assert.equal(genC.auc_in_fold, null);
  assert.equal(genC.recall, 0);
  assert.equal(r.sources.find((x) => x.source === "cam2")!.recall, 0.5);
  assert.equal(r.folds[1]!.fake_recall, 1);
  assert.equal(r.folds[1]!.real_recall, 0.5);
  // fakes caught: c d g h = 4 of 6; reals passed: a b e = 3 of 4
  assert.equal(r.balanced_accuracy, (4 / 6 + 3 / 4) / 2);
  // pooled: 6 fakes × 4 reals
  assert.ok(r.pooled_auc! > 0.7 && r.pooled_auc! < 0.9);
  assert.deepEqual(modelReport("m", scores, folds, { bootstrap: 200, seed: 1, seeds: [1] }), r, "seeded");
  assert.equal(r.repeats, undefined);
  // a second repeat with the same scores: the same means, a note, per-repeat numbers
  const twice = modelReport("m", [...scores, ...scores.map((x) => ({ ...x, repeat: 1 }))], [...folds, ...folds.map((f) => ({ ...f, repeat: 1 }))], { bootstrap: 200, seed: 1, seeds: [1, 2] });
  assert.equal(twice.auc, 0.875);
  assert.equal(twice.pooled_auc, r.pooled_auc);
  assert.deepEqual(twice.repeats!.map((x) => x.seed), [1, 2]);
  assert.equal(twice.folds.length, 6);
  assert.equal(twice.folds[3]!.repeat, 2);
  assert.deepEqual(twice.sources, r.sources);
  assert.match(twice.notes.join(" "), /mean over 2 repeats of the fold assignment \(seeds 1, 2\)/);
});

// ---------------------------------------------------------------------------------------------
// The kind, end to end on a hand-made features artifact: 6 real and 6 fake sources of 4 clips.
// Dimension 0 carries the class (a generation trace shared by every generator), dimension 1 the
// source's own style (random per source, no class signal).

function fixture(): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), "dfd-crossval-"));
  const dir = join(root, "extract");
  mkdirSync(join(dir, "features"), { recursive: true });
  const rng = new Rng(3);
  const rows: Record<string, Json>[] = [];
  for (let s = 0; s < 6; s++)
    for (const label of ["real", "fake"] as const) {
      const style = rng.normal() * 2;
      for (let i = 0; i < 4; i++) {
        const id = `${label}_${s}_${i}`;
        const frames = 6;
        const data = new Float32Array(frames * 4);
        for (let f = 0; f < frames; f++) {
          data[f * 4] = (label === "fake" ? 0.8 : -0.8) + rng.normal();
          data[f * 4 + 1] = style + 0.3 * rng.normal();
          data[f * 4 + 2] = rng.normal();
          data[f * 4 + 3] = rng.normal();
        }
        writeNpy(join(dir, "features", `${id}.npy`), { data, rows: frames, cols: 4 });
        rows.push({ id, path: `${label}/${id}.mp4`, label, label_raw: label, source: `${label === "real" ? "cam" : "gen"}${s}`, group: null, frames, dims: 4, features: `features/${id}.npy`, error: null });
      }
    }
  rows.push({ id: "broken", path: "fake/broken.mp4", label: "fake", label_raw: "fake", source: "gen0", group: null, frames: 0, dims: 4, features: null, error: "ffprobe: invalid data" });
  writeJsonl(join(dir, "videos.jsonl"), rows);
  writeFileSync(join(dir, "extract.json"), JSON.stringify({ params: { frames: 6 }, feature: { name: "synthetic", dims: 4, names: ["trace", "style", "n1", "n2"] } }));
  return { root, dir };
}

function defaults(spec: ParamsSpec, over: Record<string, unknown> = {}): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, s] of Object.entries(spec)) {
    if (s.type === "object") out[k] = defaults(s.properties, (over[k] ?? {}) as Record<string, unknown>);
    else out[k] = (k in over ? over[k] : s.default ?? null) as Json;
  }
  return out;
}

async function runCrossval(root: string, dir: string, over: Record<string, unknown>) {
  const outDir = mkdtempSync(join(root, "out-"));
  const logs: string[] = [];
  const ctx: StageContext<CrossvalParams> = {
    name: "crossval", params: defaults(kind.params, over) as unknown as CrossvalParams,
    inputs: [{ name: "extract", kind: "extract", dir }], projectDir: root, outDir, tmpDir: mkdtempSync(join(root, "tmp-")),
    progress: () => {}, log: { debug: () => {}, info: (m) => void logs.push(m), warn: () => {}, error: () => {} },
    signal: new AbortController().signal, cpus: 2, logFile: join(root, "crossval.log"), provenance: standaloneProvenance(),
  };
  const items = await kind.fanOut!.items(ctx);
  const summary = (await runKind(kind, ctx)) as StageSummary;
  const json = readCrossval(outDir);
  const predictions = readFileSync(join(outDir, "predictions.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, Json>);
  return { outDir, items, summary, json, predictions, report: readFileSync(join(outDir, "report.md"), "utf8"), logs };
}

test("crossval (linear): one item per fold, every usable clip scored once by a model that never saw its source", async () => {
  const { root, dir } = fixture();
  try {
    const r = await runCrossval(root, dir, { folds: 3, models: ["linear"], bootstrap: 200 });
    assert.deepEqual(r.items.map((i) => i.id), ["linear/fold-1", "linear/fold-2", "linear/fold-3"]);
    assert.equal(new Set(r.items.map((i) => i.contentHash)).size, 3);
    assert.equal(r.predictions.length, 48, "48 usable clips, the broken one left out");
    assert.equal(new Set(r.predictions.map((p) => p.id)).size, 48);
    for (const item of r.items) {
      const p = item.payload as { train: string[]; val: string[]; test: string[] };
      const held = new Set(p.test.map((id) => id.split("_").slice(0, 2).join("_")));
      for (const id of [...p.train, ...p.val]) assert.ok(!held.has(id.split("_").slice(0, 2).join("_")), `${item.id}: ${id}'s source is held out`);
    }
    const m = r.json.models.linear!;
    assert.equal(m.folds.length, 3);
    assert.equal(m.sources.length, 12);
    assert.ok(m.auc! > 0.8, `the shared trace transfers to unseen generators: mean fold AUC ${m.auc}`);
    assert.ok(m.auc_ci95![0] <= m.auc! && m.auc! <= m.auc_ci95![1]);
    assert.ok(r.summary.metrics!["linear.auc"]! > 0.8);
    assert.match(r.summary.lines![0]!, /^3 folds over 12 source groups \(48 clips, group_by auto\), synthetic 4$/);
    assert.match(r.report, /\| linear \| [01]\.\d{3} \[[01]\.\d{3}–[01]\.\d{3}\] \(3\/3 folds\)/);
    assert.match(r.report, /\| gen3 \| fake \| 4 \|/);
    // same inputs, same bytes
    const again = await runCrossval(root, dir, { folds: 3, models: ["linear"], bootstrap: 200 });
    assert.equal(readFileSync(join(again.outDir, "crossval.json"), "utf8"), readFileSync(join(r.outDir, "crossval.json"), "utf8"));
    assert.deepEqual(again.items.map((i) => i.contentHash), r.items.map((i) => i.contentHash));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("crossval: repeats draw the folds again with the next seeds and average", async () => {
  const { root, dir } = fixture();
  try {
    const r = await runCrossval(root, dir, { folds: 3, repeats: 3, seed: 4, models: ["linear"], bootstrap: 100 });
    assert.equal(r.items.length, 9);
    assert.equal(r.items[4]!.id, "linear/r2/fold-2");
    assert.equal(r.predictions.length, 3 * 48);
    assert.deepEqual(new Set(r.predictions.map((p) => p.repeat)), new Set([1, 2, 3]));
    const m = r.json.models.linear!;
    assert.equal(r.json.repeats, 3);
    assert.deepEqual(m.repeats!.map((x) => x.seed), [4, 5, 6]);
    assert.ok(Math.abs(m.auc! - m.repeats!.reduce((a, x) => a + x.auc!, 0) / 3) < 1e-12);
    // each repeat's plan is the plan of its seed alone
    const single = await runCrossval(root, dir, { folds: 3, seed: 5, models: ["linear"], bootstrap: 100 });
    assert.deepEqual(r.json.plan.filter((f) => f.repeat === 2).map((f) => f.held_out), single.json.plan.map((f) => f.held_out));
    assert.equal(m.repeats![1]!.auc, single.json.models.linear!.auc);
    assert.match(r.summary.lines![0]!, /^3 folds × 3 repeats over 12 source groups/);
    await assert.rejects(runCrossval(root, dir, { folds: null, repeats: 2, models: ["linear"] }), /repeats needs folds: K/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("crossval (transformer and linear): both models on the same folds", async () => {
  const { root, dir } = fixture();
  try {
    const train = { d_model: 8, layers: 1, heads: 2, ff: 16, max_epochs: 3, min_epochs: 1, seq_len: 6, backend: "cpu", threads: 1, lr: 0.003 };
    const r = await runCrossval(root, dir, { folds: 2, models: ["transformer", "linear"], bootstrap: 50, train });
    assert.deepEqual(r.items.map((i) => i.id), ["transformer/fold-1", "transformer/fold-2", "linear/fold-1", "linear/fold-2"]);
    assert.deepEqual(r.json.models.transformer!.folds.map((f) => f.held_out), r.json.models.linear!.folds.map((f) => f.held_out));
    assert.equal(r.predictions.filter((p) => p.model === "transformer").length, 48);
    assert.equal(r.json.models.transformer!.folds[0]!.facts.backend, "cpu");
    assert.ok(r.summary.lines!.some((l) => l.startsWith("transformer: mean fold AUC ")));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("crossval: clips whose source only repeats the class folder are held out one by one, with a warning", async () => {
  const { root, dir } = fixture();
  try {
    const rows = readFileSync(join(dir, "videos.jsonl"), "utf8").trim().split("\n").map((l) => ({ ...JSON.parse(l), source: JSON.parse(l).label }));
    writeJsonl(join(dir, "videos.jsonl"), rows);
    const r = await runCrossval(root, dir, { folds: 3, models: ["linear"], bootstrap: 0 });
    const f = r.summary.findings!.find((x) => x.id === "crossval-ungrouped")!;
    assert.equal(f.severity, "warn");
    assert.match(f.reason, /^48 of 48 clips have no source or group/);
    assert.equal(r.json.units, 48);
    assert.equal(r.json.models.linear!.auc_ci95, null, "bootstrap: 0");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
