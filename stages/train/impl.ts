// train's implementation (loaded lazily by index.ts): read features and the split, standardise
// with train-set statistics, pick the backend, fit, and write model/ + history.json.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Matrix } from "../../src/lib/npy.js";
import { computeNormalization, standardize } from "../../src/model/batches.js";
import { useBackend } from "../../src/model/backend.js";
import { validateConfig, type ModelConfig } from "../../src/model/config.js";
import { saveModel, type DfdMeta } from "../../src/model/io.js";
import { fit, type Dataset } from "../../src/model/train.js";
import { disposeWeights } from "../../src/model/weights.js";
import type { Json } from "../../src/params.js";
import { inputOf, type StageContext, type StageSummary } from "../../src/stage.js";
import { featuresInput, readClipFeatures, readClips, readFeaturesInfo, type ClipRow } from "../../src/artifacts/features.js";
import { readSplit, splitInput } from "../../src/artifacts/split.js";
import type { TrainParams } from "./params.js";

export async function runTrain(ctx: StageContext<TrainParams>): Promise<StageSummary> {
  const p = ctx.params;
  const extractDir = featuresInput(ctx);
  const splitDir = splitInput(ctx);
  const split = readSplit(splitDir);
  const rows = readClips(extractDir);
  const info = readFeaturesInfo(extractDir);
  const skipped: { item: string; error: string }[] = [];

  const load = (ids: string[], part: string): { ids: string[]; raw: Matrix[]; labels: number[] } => {
    const out = { ids: [] as string[], raw: [] as Matrix[], labels: [] as number[] };
    for (const id of ids) {
      const row: ClipRow | undefined = rows.get(id);
      if (!row)
        throw new Error(`${join(splitDir, "split.json")}: ${part} lists clip "${id}", which is not in ${join(extractDir, "videos.jsonl")}`);
      if (row.error !== null || row.features === null || row.frames === 0) {
        skipped.push({ item: id, error: row.error ?? "no features" });
        continue;
      }
      const m = readClipFeatures(extractDir, row, info.dims, (d) => `extract.json says ${d}`);
      if (m.rows === 0) {
        skipped.push({ item: id, error: "no frames" });
        continue;
      }
      out.ids.push(id);
      out.raw.push(m);
      out.labels.push(row.label === "fake" ? 1 : 0);
    }
    return out;
  };
  const trainRaw = load(split.train, "train");
  const valRaw = load(split.val, "val");
  if (trainRaw.ids.length === 0) throw new Error(`${join(splitDir, "split.json")}: no usable training clips`);
  if (!trainRaw.labels.includes(0) || !trainRaw.labels.includes(1))
    throw new Error(`${join(splitDir, "split.json")}: the train split needs both real and fake clips ` +
      `(has ${trainRaw.labels.filter((l) => l === 0).length} real, ${trainRaw.labels.filter((l) => l === 1).length} fake)`);
  const dims = trainRaw.raw[0]!.cols;
  for (const [i, m] of [...trainRaw.raw, ...valRaw.raw].entries())
    if (m.cols !== dims) throw new Error(`${join(extractDir, "features")}: clips have different feature widths (${dims} and ${m.cols}, clip #${i})`);

  const normalization = computeNormalization(trainRaw.raw);
  const train: Dataset = { ids: trainRaw.ids, labels: trainRaw.labels, clips: trainRaw.raw.map((m) => standardize(m, normalization)) };
  const val: Dataset = { ids: valRaw.ids, labels: valRaw.labels, clips: valRaw.raw.map((m) => standardize(m, normalization)) };
  if (val.clips.length === 0) ctx.log.warn("train: no validation clips — early stopping watches the training loss and the threshold is 0.5");

  const config: ModelConfig = {
    inputDims: dims, dModel: p.d_model, layers: p.layers, heads: p.heads, ff: p.ff,
    dropout: p.dropout, pooling: p.pooling, seqLen: p.seq_len,
  };
  try {
    validateConfig(config);
  } catch (e) {
    throw new Error(`stage ${ctx.name}: ${(e as Error).message.replace(/^model config: /, "")}`);
  }

  const choice = await useBackend(p.backend);
  for (const s of choice.skipped) ctx.log.debug(`backend ${s.backend} unavailable: ${s.reason}`);
  ctx.log.info(`backend: ${choice.backend}${choice.skipped.length ? ` (skipped ${choice.skipped.map((s) => s.backend).join(", ")})` : ""}; ` +
    `${train.clips.length} train / ${val.clips.length} val clips, ${dims} features`);

  const started = performance.now();
  const result = await fit(train, val, {
    config,
    loss: p.loss.type === "focal" ? { type: "focal", alpha: p.loss.alpha, gamma: p.loss.gamma } : { type: "bce" },
    lr: p.lr, weightDecay: p.weight_decay, clipNorm: p.clip_norm, batchSize: p.batch_size,
    maxEpochs: p.max_epochs, minEpochs: p.min_epochs, patience: p.patience,
    randomPadding: p.random_padding, seed: p.seed, threads: p.threads, signal: ctx.signal,
    onEpoch(e, { maxEpochs, etaSeconds }) {
      const note = `epoch ${e.epoch}/${maxEpochs} loss ${e.train_loss.toFixed(4)}` +
        (e.val_loss !== null ? ` val_loss ${e.val_loss.toFixed(4)}` : "") +
        (e.val_auc !== null ? ` val_auc ${e.val_auc.toFixed(3)}` : "") + ` ETA ${Math.round(etaSeconds)}s`;
      ctx.progress(e.epoch, maxEpochs, note);
      ctx.log.debug(note);
    },
  });
  const seconds = (performance.now() - started) / 1000;

  try {
    const meta: DfdMeta = {
      threshold: result.threshold,
      seq_len: p.seq_len,
      feature_dims: dims,
      normalization,
      extract: info.params,
      backend: choice.backend,
      params: p as unknown as Record<string, Json>,
      model: config,
    };
    await saveModel(join(ctx.outDir, "model"), result.weights, meta);
  } finally {
    disposeWeights(result.weights);
  }
  const best = result.history[result.bestEpoch - 1];
  const history = {
    backend: choice.backend,
    threads: result.threads,
    backend_skipped: choice.skipped,
    epochs: result.history,
    best_epoch: result.bestEpoch,
    stopped_early: result.stoppedEarly,
    threshold: result.threshold,
    threshold_source: result.thresholdSource,
    seconds: round(seconds, 3),
    steps: result.steps,
    ms_per_step: round(result.msPerStep, 1),
    train_clips: train.clips.length,
    val_clips: val.clips.length,
  };
  writeFileSync(join(ctx.outDir, "history.json"), JSON.stringify(history, null, 1) + "\n");

  const metrics: Record<string, number> = { best_epoch: result.bestEpoch, threshold: result.threshold };
  if (best?.val_loss != null) metrics.val_loss = best.val_loss;
  if (best?.val_auc != null) metrics.val_auc = best.val_auc;
  return {
    lines: [
      `${choice.backend}: ${result.history.length} epochs${result.stoppedEarly ? " (early stop)" : ""}, best ${result.bestEpoch}` +
        (best?.val_auc != null ? `, val AUC ${best.val_auc.toFixed(3)}` : "") +
        `, threshold ${result.threshold.toFixed(3)}, ${seconds.toFixed(1)} s (${result.msPerStep.toFixed(0)} ms/step)`,
    ],
    metrics,
    facts: { backend: choice.backend, threads: result.threads, epochs: result.history.length, best_epoch: result.bestEpoch, seconds: round(seconds, 1), ms_per_step: round(result.msPerStep, 1) },
    skipped: skipped.length ? skipped : undefined,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
