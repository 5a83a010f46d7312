// evaluate's body: load the model, score every split's clips a batch at a time (predictions.jsonl
// is written as they are scored, so memory does not grow with the clip count), compute the
// metrics, check them for what would flatter, write metrics.json and report.html. The scoring
// model is a parameter of evaluateWith() so the maths and the report can be checked against
// scores chosen by hand.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Matrix } from "../../src/lib/npy.js";
import { curvePoints, setMetrics, type Scored, type SetMetrics } from "../../src/lib/metrics.js";
import { FeatureReader, featuresInput, readClips, type ClipRow } from "../../src/artifacts/features.js";
import { testSetIdentity, writeMetrics, type MetricsJson, type SplitName } from "../../src/artifacts/metrics.js";
import { MODEL_DIR, modelInput } from "../../src/artifacts/model.js";
import { PredictionsWriter, type Prediction } from "../../src/artifacts/predictions.js";
import { readSplit, splitInput, SPLIT_FILE } from "../../src/artifacts/split.js";
import { thresholdNote as describeThreshold } from "../../src/model/threshold.js";
import { renderEvaluateReport, type ReportClip, type ReportSet } from "../../src/report/evaluate.js";
import type { Finding, Provenance, StageContext, StageSummary } from "../../src/stage.js";
import { findOptionalInput } from "../../src/stage.js";
import { readFindings } from "../../src/artifacts/diagnostics.js";
import { readHistory } from "../../src/artifacts/model.js";
import { evaluationFindings, unresolvedErrors } from "./sanity.js";
import type { EvaluateParams } from "./index.js";

export type { Prediction } from "../../src/artifacts/predictions.js";

/** What evaluate needs of a model: src/model/detector.ts's Detector satisfies it. */
export interface ScoringModel {
  kind?: string;
  meta: { kind?: string; threshold: number; threshold_source?: string; seq_len?: number | null; feature_dims?: number; backend?: string; extract?: unknown; params?: unknown };
  /** The backend scoring runs on in this process (may differ from the one that trained). */
  backend?: string;
  score(clips: Matrix[]): Promise<{ score: number; attention: number[] }[]>;
  dispose(): void;
}

/** Misclassified clips listed per split in report.html (the rest are counted; all are in
 * predictions.jsonl): keeps the page small at any test-set size. */
export const MISCLASSIFIED_LISTED = 200;

export async function evaluate(ctx: StageContext<EvaluateParams>): Promise<StageSummary> {
  const modelDir = join(modelInput(ctx), MODEL_DIR);
  // Loaded here, not at the top: tfjs is heavy and the runner imports index.ts on every run.
  const { loadDetector } = await import("../../src/model/detector.js");
  const model = await loadDetector(modelDir, ctx.params.backend === "auto" ? {} : { backend: ctx.params.backend });
  try {
    return await evaluateWith(ctx, model);
  } finally {
    model.dispose();
  }
}

/** One split's scored clips, compactly: what the metrics and the report need, without attention. */
interface Scores {
  rows: ClipRow[];
  scores: number[];
}

export async function evaluateWith(
  ctx: Pick<StageContext<EvaluateParams>, "name" | "params" | "inputs" | "outDir" | "progress" | "log" | "signal"> & { provenance?: Provenance },
  model: ScoringModel,
): Promise<StageSummary> {
  const p = ctx.params;
  const trainDir = modelInput(ctx);
  const extractDir = featuresInput(ctx);
  const splitDir = splitInput(ctx);
  const split = readSplit(splitDir);
  const resolved = split.resolved_findings;
  const videos = readClips(extractDir);
  const findings = readFindings(findOptionalInput(ctx, { artifact: "diagnostics", marker: "diagnostics.json" }));
  const history = readHistory(trainDir);
  const threshold = Number.isFinite(model.meta.threshold) ? model.meta.threshold : 0.5;
  if (!Number.isFinite(model.meta.threshold)) ctx.log.warn(`${join(trainDir, MODEL_DIR, "dfd.json")} has no threshold: using 0.5`);
  const thresholdNote = !Number.isFinite(model.meta.threshold)
    ? "0.5: none saved with the model"
    : describeThreshold(model.meta.threshold_source ?? history?.threshold_source, history?.val_real, history?.val_fake);

  // Which clips to score, in split order; clips whose features failed are listed, not scored.
  const splits: SplitName[] = p.score_train ? ["val", "test", "train"] : ["val", "test"];
  const todo: { row: ClipRow; split: SplitName }[] = [];
  const excluded: { id: string; split: SplitName; reason: string }[] = [];
  for (const s of splits) {
    for (const id of split[s]) {
      const row = videos.get(id);
      if (!row)
        throw new Error(`${join(splitDir, SPLIT_FILE)}: clip "${id}" (${s}) is not in ${join(extractDir, "videos.jsonl")}: were split and extract run on the same data?`);
      if (!row.features) excluded.push({ id, split: s, reason: row.error ?? "no features extracted" });
      else todo.push({ row, split: s });
    }
  }

  // every clip is read once: no cache
  const reader = new FeatureReader(extractDir, { dims: model.meta.feature_dims ?? null, expected: (d) => `the model expects ${d}: was the model trained on another extract?`, cacheBytes: 0 });
  const scored: Record<SplitName, Scores> = { val: { rows: [], scores: [] }, test: { rows: [], scores: [] }, train: { rows: [], scores: [] } };
  const strips = { val: new Confidence(p.strips, threshold), test: new Confidence(p.strips, threshold) };
  const writer = new PredictionsWriter(ctx.outDir);
  try {
    for (let i = 0; i < todo.length; i += p.batch_size) {
      ctx.signal.throwIfAborted();
      const batch = todo.slice(i, i + p.batch_size);
      const mats = batch.map(({ row }) => reader.read(row));
      const out = await scoreBatch(model, mats);
      batch.forEach(({ row, split: s }, k) => {
        const r = out[k]!;
        if (r instanceof Error) {
          // one bad clip (e.g. non-finite feature values) is listed, not fatal: the rest still count
          const reason = `${join(extractDir, row.features!)}: ${r.message}`;
          ctx.log.warn(`not scored: ${reason}`);
          excluded.push({ id: row.id, split: s, reason });
          return;
        }
        const { score, attention } = r;
        if (!Number.isFinite(score)) throw new Error(`model scored clip ${row.id} (${row.path}) as ${score}: the model is broken (NaN weights?)`);
        const pred: Prediction = {
          id: row.id, path: row.path, label: row.label, source: row.source, split: s, score,
          predicted: score >= threshold ? "fake" : "real", frames: mats[k]!.rows,
          attention: attention.map((w) => Math.round(w * 1e5) / 1e5),
        };
        writer.write(pred);
        scored[s].rows.push(row);
        scored[s].scores.push(score);
        if (s !== "train") strips[s].offer(pred);
      });
      ctx.progress(Math.min(i + p.batch_size, todo.length), todo.length, "clips scored");
    }
  } finally {
    writer.close();
  }
  const total = splits.reduce((n, s) => n + scored[s].rows.length, 0);
  if (!total && todo.length) throw new Error(`no clip could be scored; last failure: ${excluded.at(-1)?.reason ?? "unknown"}`);

  const items = (s: SplitName): Scored[] => scored[s].rows.map((r, i) => ({ score: scored[s].scores[i]!, label: r.label === "fake" ? 1 : 0, source: r.source, group: r.group ?? null }));
  const sets: ReportSet[] = splits.map((s, i) => {
    const it = items(s);
    // the AUC interval only where it is worth the time: the held-out test split
    return { split: s, metrics: setMetrics(it, { threshold, bootstrap: s === "test" ? p.bootstrap : 0, seed: p.seed + i }), curve: curvePoints(it) };
  });
  const metricsOf = (s: SplitName): SetMetrics | null => sets.find((x) => x.split === s)?.metrics ?? null;
  const test = metricsOf("test");
  const val = metricsOf("val");
  const evalFindings = evaluationFindings(test);

  const count = (s: SplitName) => ({
    clips: split[s].length,
    scored: scored[s].rows.length,
    real: scored[s].rows.filter((r) => r.label === "real").length,
    fake: scored[s].rows.filter((r) => r.label === "fake").length,
  });
  const testSet = testSetIdentity(split.test);
  const metricsJson: MetricsJson = {
    threshold,
    threshold_source: thresholdNote,
    val,
    test,
    train: metricsOf("train"),
    per_source: test?.per_source ?? {},
    counts: { val: count("val"), test: count("test"), train: count("train"), excluded: excluded.length },
    excluded,
    test_set: testSet,
    findings: evalFindings,
    model: { kind: model.kind ?? model.meta.kind ?? "transformer", backend: model.meta.backend ?? null, scored_on: model.backend ?? null, seq_len: model.meta.seq_len ?? null, feature_dims: model.meta.feature_dims ?? null },
  };
  writeMetrics(ctx.outDir, metricsJson);

  // strips and the misclassified list come from the held-out splits: test, else val
  const pool: "test" | "val" = scored.test.rows.length ? "test" : "val";
  const { most, least } = strips[pool].result();
  const misclassified = (["test", "val"] as const).map((s) => misclassifiedOf(scored[s], s, threshold));
  const prov = ctx.provenance;
  const html = renderEvaluateReport({
    title: reportTitle(ctx.name, prov),
    threshold,
    thresholdNote,
    sets,
    history,
    findings,
    resolvedFindings: resolved,
    trainFindings: history?.findings ?? [],
    evalFindings,
    modelKind: model.kind ?? model.meta.kind ?? "transformer",
    pooling: poolingOf(model.meta.params),
    mostConfident: most,
    leastConfident: least,
    misclassified,
    facts: {
      ...(model.meta.backend ? { "trained on": model.meta.backend } : {}),
      ...(model.backend ? { "scored on": model.backend } : {}),
      ...(model.meta.seq_len ? { "seq_len": model.meta.seq_len } : {}),
      ...(model.meta.feature_dims ? { "feature dims": model.meta.feature_dims } : {}),
      ...(history?.best_epoch != null ? { "kept epoch": history.best_epoch } : {}),
      clips: `${count("train").scored} train · ${count("val").scored} val · ${count("test").scored} test`,
    },
    excluded,
    provenance: prov ?? null,
    testSet,
  });
  writeFileSync(join(ctx.outDir, "report.html"), html);

  return summarize(test, val, threshold, thresholdNote, excluded, unresolvedErrors(findings, resolved), evalFindings, testSet);
}

function reportTitle(stage: string, prov: Provenance | undefined): string {
  if (!prov || !prov.run.id) return `dfd evaluate — ${stage}`;
  const pipeline = prov.pipeline.split(/[\\/]/).slice(-2).join("/");
  return `${pipeline} · ${stage} · run ${prov.run.id}`;
}

function poolingOf(params: unknown): string | undefined {
  const p = params && typeof params === "object" ? (params as Record<string, unknown>).pooling : undefined;
  return typeof p === "string" ? p : undefined;
}

/** Scores a batch; when the model rejects it, scores clip by clip so only the bad ones fail. */
async function scoreBatch(model: ScoringModel, mats: Matrix[]): Promise<({ score: number; attention: number[] } | Error)[]> {
  try {
    const out = await model.score(mats);
    if (out.length !== mats.length) throw new Error(`model returned ${out.length} scores for ${mats.length} clips`);
    return out;
  } catch {
    const out: ({ score: number; attention: number[] } | Error)[] = [];
    for (const m of mats) {
      try {
        const [r] = await model.score([m]);
        out.push(r ?? new Error("model returned no score"));
      } catch (e) {
        out.push(e as Error);
      }
    }
    return out;
  }
}

/** Keeps the k clips furthest from the threshold and the k nearest to it (with their attention)
 * as clips stream past: the same clips, in the same order, as sorting them all by distance (ties by
 * id) and taking both ends — without holding every clip's attention. */
export class Confidence {
  private top: ReportClip[] = [];
  private bottom: ReportClip[] = [];
  private n = 0;
  constructor(readonly k: number, readonly threshold: number) {}
  /** Sort order: more confident first, then by id. */
  private before = (a: ReportClip, b: ReportClip): number =>
    Math.abs(b.score - this.threshold) - Math.abs(a.score - this.threshold) || a.id.localeCompare(b.id);
  offer(c: ReportClip): void {
    this.n++;
    if (!this.k) return;
    const clip: ReportClip = { id: c.id, path: c.path, label: c.label, source: c.source, split: c.split, score: c.score, attention: c.attention };
    insertBounded(this.top, clip, this.before, this.k);
    insertBounded(this.bottom, clip, (a, b) => this.before(b, a), this.k);
  }
  result(): { most: ReportClip[]; least: ReportClip[] } {
    return { most: this.top, least: this.bottom.slice(0, Math.max(0, Math.min(this.k, this.n - this.k))) };
  }
}

function insertBounded<T>(list: T[], x: T, cmp: (a: T, b: T) => number, k: number): void {
  let i = list.length;
  while (i > 0 && cmp(x, list[i - 1]!) < 0) i--;
  if (i >= k) return;
  list.splice(i, 0, x);
  if (list.length > k) list.pop();
}

/** The split's misclassified clips, most confidently wrong first (ties by id), the first
 * MISCLASSIFIED_LISTED of them with the total count. */
export function misclassifiedOf(s: Scores, split: "test" | "val", threshold: number): { split: "test" | "val"; total: number; clips: { id: string; path: string; label: "real" | "fake"; source: string | null; score: number }[] } {
  const wrong: number[] = [];
  s.rows.forEach((r, i) => {
    if ((s.scores[i]! >= threshold ? "fake" : "real") !== r.label) wrong.push(i);
  });
  wrong.sort((a, b) => Math.abs(s.scores[b]! - threshold) - Math.abs(s.scores[a]! - threshold) || s.rows[a]!.id.localeCompare(s.rows[b]!.id));
  return {
    split,
    total: wrong.length,
    clips: wrong.slice(0, MISCLASSIFIED_LISTED).map((i) => ({ id: s.rows[i]!.id, path: s.rows[i]!.path, label: s.rows[i]!.label, source: s.rows[i]!.source, score: s.scores[i]! })),
  };
}

function summarize(test: SetMetrics | null, val: SetMetrics | null, threshold: number, thresholdNote: string, excluded: { id: string; split: string; reason: string }[],
  leaks: Finding[], evalFindings: Finding[], testSet: { clips: number; sha256: string }): StageSummary {
  const metrics: Record<string, number> = {};
  const put = (k: string, v: number | null | undefined) => {
    if (typeof v === "number" && Number.isFinite(v)) metrics[k] = v;
  };
  put("test_auc", test?.auc);
  put("test_acc", test?.at_threshold.accuracy);
  put("test_f1", test?.at_threshold.f1);
  put("test_pr_auc", test?.pr_auc);
  put("val_auc", val?.auc);
  put("val_acc", val?.at_threshold.accuracy);
  put("threshold", threshold);
  const fmt = (x: number | null | undefined, d = 3) => (typeof x === "number" ? x.toFixed(d) : "n/a");
  const line = (name: string, m: SetMetrics | null) =>
    m && m.n
      ? `${name}: AUC ${fmt(m.auc)}${m.auc_ci95 ? ` [${fmt(m.auc_ci95[0])}–${fmt(m.auc_ci95[1])}]` : ""} · acc ${fmt(m.at_threshold.accuracy)} · F1 ${fmt(m.at_threshold.f1)} · ${m.fake} fake / ${m.real} real`
      : `${name}: no clips`;
  const lines = [line("test", test), line("val", val), `threshold ${fmt(threshold)} (${thresholdNote}) · report.html`];
  if (excluded.length) lines.push(`${excluded.length} clip(s) not scored: see metrics.json "excluded"`);
  if (leaks.length) lines.push(`⚠ diagnose found ${leaks.length} error-level shortcut(s) in this data set that the split does not resolve: these scores may measure its format, not fakeness`);
  return {
    metrics,
    lines,
    ...(evalFindings.length ? { findings: evalFindings } : {}),
    facts: { test_clips: testSet.clips, test_set: testSet.sha256 },
    ...(excluded.length ? { skipped: excluded.map((e) => ({ item: `${e.id} (${e.split})`, error: e.reason })) } : {}),
  };
}
