// crossval's body (loaded lazily by index.ts). items: the fold plan, one item per (model, fold);
// worker: loads the fold's clips, fits, scores the held-out ones; assemble: out-of-fold scores →
// crossval.json, predictions.jsonl, report.md and the run summary.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeCrossval, type CrossvalJson, type CrossvalPrediction, type ModelReport } from "../../src/artifacts/crossval.js";
import { featuresInput, readClipFeatures, readClips, readFeaturesInfo, sourceOf, type ClipRow } from "../../src/artifacts/features.js";
import type { Matrix } from "../../src/lib/npy.js";
import type { Json } from "../../src/params.js";
import type { Finding, ItemResult, ItemWorker, ItemWorkerContext, StageContext, StageSummary, WorkItem } from "../../src/stage.js";
import { fitAndScore } from "./fit.js";
import { planFolds, type FoldClip, type FoldPlan } from "./folds.js";
import { modelReport, type FoldInfo, type OofScore } from "./metrics.js";
import type { ClipSet } from "../../src/model/clips.js";
import type { ModelKind } from "../../src/model/params.js";
import type { CrossvalParams } from "./params.js";
import { renderReport } from "./report.js";

interface FoldPayload {
  model: ModelKind;
  /** 0-based repeat of the fold assignment. */
  repeat: number;
  fold: number;
  held_out: string[];
  train: string[];
  val: string[];
  test: string[];
}

interface FoldResult {
  model: ModelKind;
  repeat: number;
  fold: number;
  threshold: number;
  /** [clip id, P(fake)] per held-out clip. */
  scores: [string, number][];
  facts: Record<string, Json>;
}

/** The clips crossval can use: labelled, extracted, with a source that means something. */
function usableClips(dir: string): { rows: Map<string, ClipRow>; clips: FoldClip[] } {
  const rows = readClips(dir);
  const clips: FoldClip[] = [];
  for (const r of [...rows.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (r.error !== null || r.features === null || r.frames === 0) continue;
    clips.push({ id: r.id, label: r.label === "fake" ? 1 : 0, source: sourceOf({ source: r.source, label: r.label, label_raw: r.label_raw ?? null }), group: r.group ?? null });
  }
  return { rows, clips };
}

/** The seeds of the repeats' fold assignments. */
function seedsOf(p: CrossvalParams): number[] {
  if (p.repeats > 1 && p.folds === null) throw new Error("crossval: repeats needs folds: K (leaving one group out is the same every time)");
  return Array.from({ length: p.repeats ?? 1 }, (_, r) => p.seed + r);
}

function plan(ctx: Pick<StageContext<CrossvalParams>, "name" | "inputs" | "params">): { dir: string; rows: Map<string, ClipRow>; clips: FoldClip[]; plans: FoldPlan[] } {
  const dir = featuresInput(ctx);
  const { rows, clips } = usableClips(dir);
  if (!clips.some((c) => c.label === 0) || !clips.some((c) => c.label === 1))
    throw new Error(`crossval: ${join(dir, "videos.jsonl")} needs usable real and fake clips (has ${clips.filter((c) => c.label === 0).length} real, ${clips.filter((c) => c.label === 1).length} fake)`);
  return { dir, rows, clips, plans: seedsOf(ctx.params).map((seed) => planFolds(clips, { ...ctx.params, seed })) };
}

export async function crossvalItems(ctx: StageContext<CrossvalParams>): Promise<WorkItem[]> {
  const { dir, rows, plans } = plan(ctx);
  const p = plans[0]!;
  // what each clip's item reads: its features (and, in training sets, its variants')
  const fileHash = new Map<string, string>();
  const variantHash = new Map<string, string>();
  for (const c of p.units.flatMap((u) => u.ids)) {
    const row = rows.get(c)!;
    fileHash.set(c, sha256(readFileSync(join(dir, row.features!))));
    if (ctx.params.augmented && row.augmented?.length) variantHash.set(c, row.augmented.map((a) => sha256(readFileSync(join(dir, a.features)))).join(","));
  }
  const items: WorkItem[] = [];
  for (const model of unique(ctx.params.models))
    for (const [repeat, rp] of plans.entries())
    for (const f of rp.folds) {
      const payload: FoldPayload = { model, repeat, fold: f.index, held_out: f.heldOut, train: f.train, val: f.val, test: f.test };
      const h = createHash("sha256");
      for (const [set, ids] of [["train", f.train], ["val", f.val], ["test", f.test]] as const)
        for (const id of ids) h.update(`${set}\0${id}\0${rows.get(id)!.label}\0${fileHash.get(id)}\0${set === "train" ? variantHash.get(id) ?? "" : ""}\n`);
      const name = plans.length > 1 ? `${model}/r${repeat + 1}/fold-${f.index + 1}` : `${model}/fold-${f.index + 1}`;
      items.push({ id: name, contentHash: h.digest("hex"), payload: payload as unknown as Json });
    }
  return items;
}

export async function crossvalWorker(ctx: ItemWorkerContext<CrossvalParams>): Promise<ItemWorker> {
  const dir = featuresInput(ctx);
  const rows = readClips(dir);
  const dims = readFeaturesInfo(dir).dims;
  const cache = new Map<string, Matrix>();
  const read = (id: string, features: string): Matrix => {
    let m = cache.get(features);
    if (!m) {
      m = readClipFeatures(dir, { id, path: rows.get(id)!.path, features }, dims, (d) => `extract.json says ${d}`);
      cache.set(features, m);
    }
    return m;
  };
  /** The clips of `ids` (with their augmentation variants when `variants`) as a ClipSet. */
  const load = (ids: string[], variants = false): ClipSet & { matrices: Matrix[] } => {
    const out = { ids: [] as string[], labels: [] as number[], matrices: [] as Matrix[] };
    for (const id of ids) {
      const row = rows.get(id);
      if (!row?.features) throw new Error(`${join(dir, "videos.jsonl")}: no usable clip "${id}"`);
      const label = row.label === "fake" ? 1 : 0;
      (variants ? [row.features, ...(row.augmented ?? []).map((a) => a.features)] : [row.features]).forEach((features, k) => {
        out.ids.push(k ? `${id}#aug${k}` : id);
        out.labels.push(label);
        out.matrices.push(read(id, features));
      });
    }
    return { ...out, read: (i) => out.matrices[i]! };
  };
  // One fit at a time in this process: the transformer uses every core it is given on its own.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    run(item, _outDir, signal) {
      const next = queue.then(async (): Promise<Json> => {
        signal.throwIfAborted();
        const p = item.payload as unknown as FoldPayload;
        const train = load(p.train, ctx.params.augmented);
        if (!train.labels.includes(0) || !train.labels.includes(1))
          throw new Error(`fold ${p.fold + 1} has no ${train.labels.includes(1) ? "real" : "fake"} training clip: use fewer folds`);
        const t0 = performance.now();
        const extra = train.ids.length - p.train.length;
        ctx.log.info(`${item.id}: fitting on ${p.train.length} clips${extra ? ` (+${extra} re-encoded variants)` : ""} (${p.val.length} val), scoring ${p.test.length} held out (${p.held_out.join(", ")})`);
        const r = await fitAndScore(p.model, ctx.params.train, train, load(p.val), load(p.test).matrices, signal, ctx.log);
        ctx.log.info(`${item.id}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        const result: FoldResult = { model: p.model, repeat: p.repeat ?? 0, fold: p.fold, threshold: r.threshold, scores: p.test.map((id, i) => [id, r.scores[i]!]), facts: r.facts };
        return result as unknown as Json;
      });
      queue = next.catch(() => {});
      return next;
    },
    async close() {
      cache.clear();
    },
  };
}

export async function crossvalAssemble(ctx: StageContext<CrossvalParams>, results: ItemResult[]): Promise<StageSummary> {
  const p = ctx.params;
  const { dir, rows, clips, plans } = plan(ctx);
  const seeds = seedsOf(p);
  const fp = plans[0]!;
  const clipOf = new Map(clips.map((c) => [c.id, c]));
  const models: Record<string, ModelReport> = {};
  const predictions: CrossvalPrediction[] = [];
  for (const model of unique(p.models)) {
    const mine = results.map((r) => r.result as unknown as FoldResult).filter((r) => r.model === model);
    const folds: FoldInfo[] = plans.flatMap((rp, repeat) => rp.folds.map((f) => {
      const r = mine.find((x) => (x.repeat ?? 0) === repeat && x.fold === f.index);
      if (!r) throw new Error(`crossval: no result for ${model} repeat ${repeat + 1} fold ${f.index + 1}`);
      return { repeat, index: f.index, heldOut: f.heldOut, train: f.train.length, val: f.val.length, threshold: r.threshold, facts: r.facts };
    }));
    const scores: OofScore[] = mine.flatMap((r) => r.scores.map(([id, score]) => {
      const c = clipOf.get(id)!;
      predictions.push({
        id, model, ...(plans.length > 1 ? { repeat: (r.repeat ?? 0) + 1 } : {}), fold: r.fold + 1, label: c.label === 1 ? "fake" : "real",
        source: c.source, group: c.group, path: rows.get(id)!.path, score, threshold: r.threshold,
      });
      return { id, label: c.label, source: c.source, repeat: r.repeat ?? 0, fold: r.fold, score };
    }));
    models[model] = modelReport(model, scores, folds, { bootstrap: p.bootstrap, seed: p.seed, seeds });
  }
  const info = readFeaturesInfo(dir);
  const out: CrossvalJson = {
    features: { name: info.name, dims: info.dims, extract: info.params },
    folds: p.folds,
    group_by: p.group_by,
    seed: p.seed,
    repeats: plans.length,
    clips: clips.length,
    units: fp.units.length,
    ungrouped: fp.ungrouped,
    plan: plans.flatMap((rp, repeat) => rp.folds.map((f) => ({
      ...(plans.length > 1 ? { repeat: repeat + 1 } : {}), fold: f.index + 1, held_out: f.heldOut, train: f.train.length, val: f.val.length, test: f.test.length,
    }))),
    models,
  };
  writeCrossval(ctx.outDir, out, predictions);
  writeFileSync(join(ctx.outDir, "report.md"), renderReport(out));

  const findings: Finding[] = [];
  if (fp.ungrouped)
    findings.push({
      id: "crossval-ungrouped",
      severity: "warn",
      reason: `${fp.ungrouped} of ${clips.length} clips have no source or group: each is held out on its own, so clips of one unknown source may sit on both sides of a fold`,
      advice: "add source (and group) columns to manifest.csv",
      data: { ungrouped: fp.ungrouped },
    });
  const metrics: Record<string, number> = {};
  const lines = [`${fp.folds.length} folds${plans.length > 1 ? ` × ${plans.length} repeats` : ""} over ${fp.units.length} source groups (${clips.length} clips, group_by ${p.group_by}), ${info.name ?? "features"} ${info.dims ?? ""}`.trim()];
  for (const [name, m] of Object.entries(models)) {
    const ci = m.auc_ci95 ? ` [${fmt(m.auc_ci95[0])}–${fmt(m.auc_ci95[1])}]` : "";
    const pci = m.pooled_auc_ci95 ? ` [${fmt(m.pooled_auc_ci95[0])}–${fmt(m.pooled_auc_ci95[1])}]` : "";
    lines.push(`${name}: mean fold AUC ${fmt(m.auc)}${ci} (${m.folds_with_auc}/${m.folds.length} folds), pooled ${fmt(m.pooled_auc)}${pci}, balanced accuracy ${fmt(m.balanced_accuracy)}`);
    const worst = m.sources.filter((s) => s.label !== "mixed").sort((a, b) => a.recall - b.recall)[0];
    if (worst) lines.push(`  lowest recall: ${worst.source} (${worst.label}, ${worst.n} clips) ${fmt(worst.recall)}`);
    for (const [k, v] of [["auc", m.auc], ["auc_lo", m.auc_ci95?.[0]], ["auc_hi", m.auc_ci95?.[1]], ["pooled_auc", m.pooled_auc], ["balanced_accuracy", m.balanced_accuracy]] as const)
      if (typeof v === "number") metrics[`${name}.${k}`] = round(v, 4);
  }
  return { lines, findings, metrics };
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

function fmt(x: number | null | undefined): string {
  return typeof x === "number" ? x.toFixed(3) : "n/a";
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}


