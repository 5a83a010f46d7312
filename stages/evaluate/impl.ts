// evaluate's body: load the model, score every split's clips, compute the metrics, write
// metrics.json, predictions.jsonl and report.html. The scoring model is a parameter of
// evaluateWith() so the maths and the report can be checked against scores chosen by hand.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Matrix } from "../../src/lib/npy.js";
import { writeJsonl } from "../../src/lib/jsonl.js";
import { MODEL_DIR, modelInput } from "../../src/artifacts/model.js";
import { thresholdNote as describeThreshold } from "../../src/model/threshold.js";
import { optionalInputOf, type Finding, type StageContext, type StageSummary } from "../../src/stage.js";
import { renderEvaluateReport, type ReportClip, type ReportSet, type SplitName } from "../../src/report/evaluate.js";
import { curvePoints, setMetrics, type Scored, type SetMetrics } from "./metrics.js";
import { featuresInput, readClipFeatures, readClips, type ClipRow } from "../../src/artifacts/features.js";
import { readSplit, splitInput } from "../../src/artifacts/split.js";
import { readFindings, readHistory } from "./inputs.js";
import type { EvaluateParams } from "./index.js";

/** What evaluate needs of a model: src/model/detector.ts's Detector satisfies it. */
export interface ScoringModel {
  meta: { kind?: string; threshold: number; threshold_source?: string; seq_len?: number | null; feature_dims?: number; backend?: string; extract?: unknown; params?: unknown };
  /** The backend scoring runs on in this process (may differ from the one that trained). */
  backend?: string;
  score(clips: Matrix[]): Promise<{ score: number; attention: number[] }[]>;
  dispose(): void;
}

/** One line of predictions.jsonl: a scored clip as the report shows it, plus the decision. */
export interface Prediction extends ReportClip {
  predicted: "real" | "fake";
  frames: number;
}

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

export async function evaluateWith(
  ctx: Pick<StageContext<EvaluateParams>, "name" | "params" | "inputs" | "outDir" | "progress" | "log" | "signal">,
  model: ScoringModel,
): Promise<StageSummary> {
  const p = ctx.params;
  const trainDir = modelInput(ctx);
  const extractDir = featuresInput(ctx);
  const split = readSplit(splitInput(ctx));
  const videos = readClips(extractDir);
  const findings = readFindings(optionalInputOf(ctx, "diagnose"));
  const history = readHistory(trainDir);
  const threshold = Number.isFinite(model.meta.threshold) ? model.meta.threshold : 0.5;
  if (!Number.isFinite(model.meta.threshold)) ctx.log.warn(`${join(trainDir, "model", "dfd.json")} has no threshold: using 0.5`);
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
        throw new Error(`${join(splitInput(ctx), "split.json")}: clip "${id}" (${s}) is not in ${join(extractDir, "videos.jsonl")}: were split and extract run on the same data?`);
      if (!row.features) excluded.push({ id, split: s, reason: row.error ?? "no features extracted" });
      else todo.push({ row, split: s });
    }
  }

  const preds: Prediction[] = [];
  for (let i = 0; i < todo.length; i += p.batch_size) {
    ctx.signal.throwIfAborted();
    const batch = todo.slice(i, i + p.batch_size);
    const mats = batch.map(({ row }) => readClipFeatures(extractDir, row, model.meta.feature_dims, (d) => `the model expects ${d}: was the model trained on another extract?`));
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
      preds.push({
        id: row.id,
        path: row.path,
        label: row.label,
        source: row.source,
        split: s,
        score,
        predicted: score >= threshold ? "fake" : "real",
        frames: mats[k]!.rows,
        attention: attention.map((w) => Math.round(w * 1e5) / 1e5),
      });
    });
    ctx.progress(Math.min(i + p.batch_size, todo.length), todo.length, "clips scored");
  }

  if (!preds.length && todo.length) throw new Error(`no clip could be scored; last failure: ${excluded.at(-1)?.reason ?? "unknown"}`);

  const scored = (s: SplitName): Scored[] => preds.filter((x) => x.split === s).map((x) => ({ score: x.score, label: x.label === "fake" ? 1 : 0, source: x.source }));
  const sets: ReportSet[] = splits.map((s, i) => ({
    split: s,
    // the AUC interval only where it is worth the time: the held-out test split
    metrics: setMetrics(scored(s), { threshold, bootstrap: s === "test" ? p.bootstrap : 0, seed: p.seed + i }),
    curve: curvePoints(scored(s)),
  }));
  const metricsOf = (s: SplitName): SetMetrics | null => sets.find((x) => x.split === s)?.metrics ?? null;
  const test = metricsOf("test");
  const val = metricsOf("val");

  const count = (s: SplitName) => ({
    clips: split[s].length,
    scored: preds.filter((x) => x.split === s).length,
    real: preds.filter((x) => x.split === s && x.label === "real").length,
    fake: preds.filter((x) => x.split === s && x.label === "fake").length,
  });
  const metricsJson = {
    threshold,
    threshold_source: thresholdNote,
    val,
    test,
    train: metricsOf("train"),
    per_source: test?.per_source ?? {},
    counts: { val: count("val"), test: count("test"), train: count("train"), excluded: excluded.length },
    excluded,
    model: { backend: model.meta.backend ?? null, scored_on: model.backend ?? null, seq_len: model.meta.seq_len ?? null, feature_dims: model.meta.feature_dims ?? null },
  };
  writeFileSync(join(ctx.outDir, "metrics.json"), JSON.stringify(metricsJson, null, 2) + "\n");
  writeJsonl(join(ctx.outDir, "predictions.jsonl"), preds);

  const { most, least } = confidentClips(preds, threshold, p.strips);
  const html = renderEvaluateReport({
    title: `dfd evaluate — ${ctx.name}`,
    threshold,
    thresholdNote,
    sets,
    history,
    findings,
    pooling: poolingOf(model.meta.params),
    mostConfident: most,
    leastConfident: least,
    facts: {
      ...(model.meta.backend ? { "trained on": model.meta.backend } : {}),
      ...(model.backend ? { "scored on": model.backend } : {}),
      ...(model.meta.seq_len ? { "seq_len": model.meta.seq_len } : {}),
      ...(model.meta.feature_dims ? { "feature dims": model.meta.feature_dims } : {}),
      ...(history?.best_epoch != null ? { "kept epoch": history.best_epoch } : {}),
      clips: `${count("train").scored} train · ${count("val").scored} val · ${count("test").scored} test`,
    },
    excluded,
  });
  writeFileSync(join(ctx.outDir, "report.html"), html);

  return summarize(test, val, threshold, thresholdNote, excluded, findings);
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

/** The clips furthest from and nearest to the threshold, from the held-out splits (test, else val). */
export function confidentClips(preds: Prediction[], threshold: number, k: number): { most: ReportClip[]; least: ReportClip[] } {
  let pool = preds.filter((x) => x.split === "test");
  if (!pool.length) pool = preds.filter((x) => x.split === "val");
  const byConf = [...pool].sort((a, b) => Math.abs(b.score - threshold) - Math.abs(a.score - threshold) || a.id.localeCompare(b.id));
  const most = byConf.slice(0, k);
  const least = byConf.slice(Math.max(k, byConf.length - k)).reverse();
  return { most, least };
}

function summarize(test: SetMetrics | null, val: SetMetrics | null, threshold: number, thresholdNote: string, excluded: { id: string; split: string; reason: string }[], findings: Finding[] | null): StageSummary {
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
  const leaks = (findings ?? []).filter((f) => f.severity === "error").length;
  if (leaks) lines.push(`⚠ diagnose found ${leaks} error-level shortcut(s) in this data set: these scores may measure its format, not fakeness`);
  return { metrics, lines, ...(excluded.length ? { skipped: excluded.map((e) => ({ item: `${e.id} (${e.split})`, error: e.reason })) } : {}) };
}
