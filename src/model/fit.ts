// The model library's one entry point for fitting: fitDetector(params, train, val) fits either
// kind (transformer or linear probe), chooses the decision threshold, checks the run for the
// things that make numbers flatter than they are, and returns a ready Detector plus what the
// model artifact needs. The train stage and a cross-validation stage both call it; neither
// imports the other.
import type { TrainHistory } from "../artifacts/model.js";
import { writeLinearModel, type LinearMeta, type TransformerMeta } from "../artifacts/model.js";
import { rocAuc } from "../lib/metrics.js";
import type { Json } from "../params.js";
import type { Finding, Logger } from "../stage.js";
import { classCounts, type ClipSet } from "./clips.js";
import { linearDetector, type Detector } from "./detector.js";
import { fitLinear } from "./linear.js";
import type { ModelParams } from "./params.js";
import { chooseThreshold, trainingFindings } from "./threshold.js";

export interface FitDetectorOptions {
  /** The features' extract params, saved with the model so predict re-extracts alike. */
  extract?: Record<string, Json> | null;
  signal?: AbortSignal;
  log?: Pick<Logger, "info" | "warn" | "debug">;
  /** Progress: epochs (transformer) or clips read (linear). */
  progress?(done: number, total: number, note?: string): void;
}

export interface FittedDetector {
  /** Ready to score (owns the weights: dispose() when done). */
  detector: Detector;
  /** history.json: deterministic, no timings. */
  history: TrainHistory;
  /** Timings and host facts for the run record (StageSummary.facts), never for an artifact. */
  facts: Record<string, string | number | boolean>;
  /** Sanity findings (also in history.findings). */
  findings: Finding[];
  /** Short lines for the run summary: what was fitted, the backend and why. */
  lines: string[];
  /** Headline numbers for the run record. */
  metrics: Record<string, number>;
  /** Writes the model directory (model.json + weights.bin or linear.json, and dfd.json). */
  save(modelDir: string): Promise<void>;
}

/** Fits a detector of `p.model` kind on `train`, validating on `val` (may be empty). Clips are
 * read through the ClipSets on demand; the train set needs both classes. */
export async function fitDetector(p: ModelParams, train: ClipSet, val: ClipSet | undefined, o: FitDetectorOptions = {}): Promise<FittedDetector> {
  const tc = classCounts(train.labels);
  if (train.ids.length === 0) throw new Error("no usable training clips");
  if (!tc.real || !tc.fake) throw new Error(`the train split needs both real and fake clips (has ${tc.real} real, ${tc.fake} fake)`);
  if (val && val.ids.length === 0) val = undefined;
  return p.model === "linear" ? fitLinearDetector(p, train, val, o) : fitTransformerDetector(p, train, val, o);
}

function paramsJson(p: ModelParams): Record<string, Json> {
  return JSON.parse(JSON.stringify(p)) as Record<string, Json>;
}

function valCounts(val: ClipSet | undefined) {
  return val ? classCounts(val.labels) : { real: 0, fake: 0 };
}

async function fitLinearDetector(p: ModelParams, train: ClipSet, val: ClipSet | undefined, o: FitDetectorOptions): Promise<FittedDetector> {
  const started = performance.now();
  const r = fitLinear(p.linear, train, val, { signal: o.signal, progress: o.progress });
  const seconds = (performance.now() - started) / 1000;
  const vc = valCounts(val);
  const choice = chooseThreshold(r.valScores, val?.labels ?? []);
  const findings = trainingFindings({ epochs: [], bestEpoch: null, threshold: choice, valReal: vc.real, valFake: vc.fake });
  const kept = r.fits.find((f) => f.l2 === r.weights.l2)!;
  if (!kept.converged)
    findings.push({
      id: "train:not-converged",
      severity: "warn",
      reason: `the logistic regression did not converge in ${p.linear.max_iter} iterations (l2 ${r.weights.l2})`,
      advice: "raise linear.max_iter, or a larger linear.l2 (a tiny penalty on separable data has no finite optimum)",
    });
  const meta: LinearMeta = {
    kind: "linear", threshold: choice.threshold, threshold_source: choice.source, feature_dims: r.weights.feature_dims,
    seq_len: null, extract: o.extract ?? null, backend: "js", params: paramsJson(p),
  };
  const valAuc = val && vc.real && vc.fake ? rocAuc(r.valScores, val.labels) : Number.NaN;
  const history: TrainHistory = {
    model: "linear", backend: "js", epochs: [], best_epoch: null, stopped_early: false,
    linear: { l2: r.weights.l2, l2_source: r.l2Source, features: r.features, train_loss: r.train_loss, fits: r.fits },
    threshold: choice.threshold, threshold_source: choice.source,
    train_clips: train.ids.length, val_clips: val?.ids.length ?? 0, val_real: vc.real, val_fake: vc.fake, findings,
  };
  const detector = linearDetector(r.weights, meta);
  const metrics: Record<string, number> = { threshold: choice.threshold, l2: r.weights.l2 };
  if (kept.val_loss !== null) metrics.val_loss = kept.val_loss;
  if (Number.isFinite(valAuc)) metrics.val_auc = valAuc;
  const l2Note = r.l2Source === "val-loss" ? ` (lowest val loss of ${r.fits.length})` : r.l2Source === "default-no-val" ? " (no val to choose on)" : "";
  return {
    detector, history, findings, metrics,
    facts: { backend: "js", seconds: round(seconds, 2), iterations: kept.iterations, statistics: r.features },
    lines: [
      `linear probe: ${r.features} statistics (${p.linear.stats.join(", ")} × ${r.weights.feature_dims} features), l2 ${r.weights.l2}${l2Note}` +
        (Number.isFinite(valAuc) ? `, val AUC ${valAuc.toFixed(3)}` : "") + `, threshold ${choice.threshold.toFixed(3)} (${choice.note}), ${seconds.toFixed(1)} s`,
    ],
    async save(dir) {
      writeLinearModel(dir, r.weights, meta);
    },
  };
}

async function fitTransformerDetector(p: ModelParams, train: ClipSet, val: ClipSet | undefined, o: FitDetectorOptions): Promise<FittedDetector> {
  const { computeNormalization } = await import("./batches.js");
  const { backendReason, useBackend } = await import("./backend.js");
  const { validateConfig } = await import("./config.js");
  const { fit } = await import("./train.js");
  const { saveModel } = await import("./io.js");
  const { transformerDetector } = await import("./transformer-detector.js");
  const { disposeWeights } = await import("./weights.js");

  // one streaming pass over the train clips: normalisation statistics, and a width check
  const dims = train.read(0).cols;
  const widthCheck = (set: ClipSet, part: string) =>
    function* () {
      for (let i = 0; i < set.ids.length; i++) {
        const m = set.read(i);
        if (m.cols !== dims) throw new Error(`${part} clip ${set.ids[i]}: ${m.cols} feature dims, clip ${train.ids[0]} has ${dims}`);
        yield m;
      }
    };
  const normalization = computeNormalization(widthCheck(train, "train")());
  if (val) for (const _ of widthCheck(val, "val")());
  if (!val) o.log?.warn("train: no validation clips — early stopping watches the training loss and the threshold is 0.5");

  const config = { inputDims: dims, dModel: p.d_model, layers: p.layers, heads: p.heads, ff: p.ff, dropout: p.dropout, pooling: p.pooling, seqLen: p.seq_len };
  validateConfig(config);
  const choice = await useBackend(p.backend);
  for (const s of choice.skipped) o.log?.debug(`backend ${s.backend} unavailable: ${s.reason}`);
  const why = backendReason(choice, p.backend);
  o.log?.info(`${why}; ${train.ids.length} train / ${val?.ids.length ?? 0} val clips, ${dims} features`);

  const started = performance.now();
  const result = await fit(train, val, {
    config, normalization,
    loss: p.loss.type === "focal" ? { type: "focal", alpha: p.loss.alpha, gamma: p.loss.gamma } : { type: "bce" },
    lr: p.lr, weightDecay: p.weight_decay, clipNorm: p.clip_norm, batchSize: p.batch_size,
    maxEpochs: p.max_epochs, minEpochs: p.min_epochs, patience: p.patience,
    randomPadding: p.random_padding, seed: p.seed, threads: p.threads, signal: o.signal,
    onEpoch(e, { maxEpochs, etaSeconds }) {
      const note = `epoch ${e.epoch}/${maxEpochs} loss ${e.train_loss.toFixed(4)}` +
        (e.val_loss !== null ? ` val_loss ${e.val_loss.toFixed(4)}` : "") +
        (e.val_auc !== null ? ` val_auc ${e.val_auc.toFixed(3)}` : "") + ` ETA ${Math.round(etaSeconds)}s`;
      o.progress?.(e.epoch, maxEpochs, note);
      o.log?.debug(note);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  // early stopping ends before max_epochs: the progress then ends at the epochs run, not at a stale fraction
  if (result.stoppedEarly) o.progress?.(result.history.length, result.history.length, `stopped early at epoch ${result.history.length} of ${p.max_epochs} (best ${result.bestEpoch})`);
  const vc = valCounts(val);
  const threshold = chooseThreshold(result.bestValScores, val?.labels ?? []);
  const findings = trainingFindings({ epochs: result.history, bestEpoch: result.bestEpoch, threshold, valReal: vc.real, valFake: vc.fake, lr: p.lr });
  const meta: TransformerMeta = {
    kind: "transformer", threshold: threshold.threshold, threshold_source: threshold.source, seq_len: p.seq_len, feature_dims: dims,
    normalization, extract: o.extract ?? null, backend: choice.backend, params: paramsJson(p), model: config,
  };
  const history: TrainHistory = {
    model: "transformer", backend: choice.backend, threads: result.threads,
    epochs: result.history.map((e) => ({ epoch: e.epoch, train_loss: e.train_loss, val_loss: e.val_loss, val_auc: e.val_auc, grad_norm: e.grad_norm })),
    best_epoch: result.bestEpoch, stopped_early: result.stoppedEarly, steps: result.steps,
    threshold: threshold.threshold, threshold_source: threshold.source,
    train_clips: train.ids.length, val_clips: val?.ids.length ?? 0, val_real: vc.real, val_fake: vc.fake, findings,
  };
  let detector: Detector;
  try {
    detector = transformerDetector(result.weights, config, meta, choice);
  } catch (e) {
    disposeWeights(result.weights);
    throw e;
  }
  const best = result.history[result.bestEpoch - 1];
  const metrics: Record<string, number> = { best_epoch: result.bestEpoch, threshold: threshold.threshold };
  if (best?.val_loss != null) metrics.val_loss = best.val_loss;
  if (best?.val_auc != null) metrics.val_auc = best.val_auc;
  return {
    detector, history, findings, metrics,
    facts: { backend: choice.backend, threads: result.threads, epochs: result.history.length, best_epoch: result.bestEpoch, seconds: round(seconds, 1), ms_per_step: round(result.msPerStep, 1) },
    lines: [
      why,
      `${choice.backend}: ${result.history.length} epochs${result.stoppedEarly ? " (early stop)" : ""}, best ${result.bestEpoch}` +
        (best?.val_auc != null ? `, val AUC ${best.val_auc.toFixed(3)}` : "") +
        `, threshold ${threshold.threshold.toFixed(3)} (${threshold.note}), ${seconds.toFixed(1)} s (${result.msPerStep.toFixed(0)} ms/step)`,
    ],
    async save(dir) {
      await saveModel(dir, result.weights, meta);
    },
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
