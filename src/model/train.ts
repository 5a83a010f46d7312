// The training loop: seeded init and shuffling, Adam(W) with global-norm clipping, per-epoch
// validation, early stopping on validation loss (never before min_epochs; best weights restored),
// loud failure on a non-finite loss. Yields to the event loop between batches so progress is
// drawn and Ctrl-C is honoured.
import * as tf from "@tensorflow/tfjs-core";
import type { Matrix } from "../lib/npy.js";
import { rocAuc, f1OptimalThreshold } from "../lib/metrics.js";
import { packBatch, placeClip, type Batch } from "./batches.js";
import type { ModelConfig } from "./config.js";
import { DropoutSource } from "./dropout.js";
import { lossFn, type LossSpec } from "./loss.js";
import { Adam, clipByGlobalNorm } from "./optimizer.js";
import { scoreClips } from "./predict.js";
import { Rng } from "./rng.js";
import "./gradients.js";
import { forward } from "./transformer.js";
import { initWeights, type Weights } from "./weights.js";

/** Clips already standardised, labels 1 = fake, 0 = real. */
export interface Dataset {
  ids: string[];
  clips: Matrix[];
  labels: number[];
}

export interface FitOptions {
  config: ModelConfig;
  loss: LossSpec;
  lr: number;
  weightDecay: number;
  clipNorm: number;
  batchSize: number;
  maxEpochs: number;
  minEpochs: number;
  patience: number;
  randomPadding: boolean;
  seed: number;
  signal?: AbortSignal;
  /** Called after every epoch (progress, logging). */
  onEpoch?(e: EpochRecord, info: { maxEpochs: number; etaSeconds: number }): void;
}

export interface EpochRecord {
  epoch: number;
  train_loss: number;
  /** null when there is no validation set. */
  val_loss: number | null;
  val_auc: number | null;
  /** Mean global gradient norm before clipping. */
  grad_norm: number;
  seconds: number;
}

export interface FitResult {
  weights: Weights;
  history: EpochRecord[];
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** F1-optimal threshold on validation (0.5 without a usable validation set). */
  threshold: number;
  thresholdSource: "val-f1" | "default";
  steps: number;
  msPerStep: number;
}

/** State of one training run: weights, optimizer, dropout masks. */
export class Trainer {
  readonly weights: Weights;
  readonly optimizer: Adam;
  readonly dropout: DropoutSource;
  private readonly byVarName = new Map<string, string>();
  constructor(readonly config: ModelConfig, readonly opts: Pick<FitOptions, "loss" | "lr" | "weightDecay" | "clipNorm" | "seed">) {
    const rng = new Rng(opts.seed);
    this.weights = initWeights(config, rng.int(2 ** 31));
    this.dropout = new DropoutSource(config.dropout, rng.int(2 ** 31));
    this.optimizer = new Adam(this.weights, { lr: opts.lr, weightDecay: opts.weightDecay });
    for (const [name, v] of this.weights) this.byVarName.set(v.name, name);
  }

  /** One optimisation step on a packed batch; returns the loss and the pre-clip gradient norm. */
  step(b: Batch, labels: number[]): { loss: number; gradNorm: number } {
    const x = tf.tensor3d(b.x, [b.batch, b.seqLen, b.dims]);
    const mask = tf.tensor2d(b.mask, [b.batch, b.seqLen]);
    const y = tf.tensor1d(labels);
    const vars = [...this.weights.values()];
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = forward(this.weights, this.config, x, mask, { dropout: this.dropout });
      return lossFn(this.opts.loss, logits, y);
    }, vars);
    x.dispose();
    mask.dispose();
    y.dispose();
    const loss = value.dataSync()[0]!;
    value.dispose();
    const names = Object.keys(grads);
    if (!Number.isFinite(loss)) {
      for (const n of names) grads[n]!.dispose();
      throw new NonFiniteLossError(loss);
    }
    const clipped = clipByGlobalNorm(names.map((n) => grads[n]!), this.opts.clipNorm);
    for (const n of names) grads[n]!.dispose();
    const byName = new Map<string, tf.Tensor>();
    names.forEach((n, i) => byName.set(this.byVarName.get(n) ?? n, clipped.grads[i]!));
    this.optimizer.step(byName);
    for (const g of clipped.grads) g.dispose();
    return { loss, gradNorm: clipped.norm };
  }

  /** Evaluation-mode mean loss and scores on a data set. */
  evaluate(data: Dataset): { loss: number; scores: number[] } {
    const { logits, scores } = scoreClips(this.weights, this.config, data.clips);
    const loss = tf.tidy(() => lossFn(this.opts.loss, tf.tensor1d(logits), tf.tensor1d(data.labels)).dataSync()[0]!);
    return { loss, scores };
  }

  snapshot(): Map<string, tf.Tensor> {
    const s = new Map<string, tf.Tensor>();
    for (const [name, v] of this.weights) s.set(name, tf.clone(v));
    return s;
  }

  restore(s: Map<string, tf.Tensor>): void {
    for (const [name, v] of this.weights) v.assign(s.get(name)!);
  }

  /** Disposes the optimizer state; the weights stay (the caller owns them). */
  disposeOptimizer(): void {
    this.optimizer.dispose();
  }
}

export class NonFiniteLossError extends Error {
  constructor(readonly value: number) {
    super(`training loss became ${value}`);
  }
}

export async function fit(train: Dataset, val: Dataset | undefined, o: FitOptions): Promise<FitResult> {
  if (train.clips.length === 0) throw new Error("no training clips");
  const trainer = new Trainer(o.config, o);
  const rng = new Rng(o.seed + 1);
  const history: EpochRecord[] = [];
  const useVal = val !== undefined && val.clips.length > 0;
  let best = { epoch: 0, loss: Infinity, scores: [] as number[] };
  let snapshot: Map<string, tf.Tensor> | undefined;
  let steps = 0, stepMs = 0, stoppedEarly = false;
  const started = performance.now();
  try {
    for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
      const t0 = performance.now();
      const order = rng.shuffle(train.clips.map((_, i) => i));
      let lossSum = 0, normSum = 0, batches = 0;
      for (let i = 0; i < order.length; i += o.batchSize) {
        const idx = order.slice(i, i + o.batchSize);
        const clips = idx.map((j) => train.clips[j]!);
        const windows = clips.map((m) => placeClip(m.rows, o.config.seqLen, o.randomPadding ? rng : undefined));
        const s0 = performance.now();
        let r;
        try {
          r = trainer.step(packBatch(clips, o.config.seqLen, windows), idx.map((j) => train.labels[j]!));
        } catch (e) {
          if (e instanceof NonFiniteLossError)
            throw new Error(`training diverged: loss is ${e.value} at epoch ${epoch}, batch ${batches + 1} ` +
              `(lr ${o.lr}); lower lr, or check the features for extreme values`);
          throw e;
        }
        stepMs += performance.now() - s0;
        steps++;
        lossSum += r.loss;
        normSum += r.gradNorm;
        batches++;
        await new Promise((resolve) => setImmediate(resolve));
        if (o.signal?.aborted) throw o.signal.reason ?? new Error("aborted");
      }
      const record: EpochRecord = {
        epoch,
        train_loss: lossSum / batches,
        val_loss: null,
        val_auc: null,
        grad_norm: normSum / batches,
        seconds: 0,
      };
      let monitored = record.train_loss;
      let scores: number[] = [];
      if (useVal) {
        const ev = trainer.evaluate(val);
        if (!Number.isFinite(ev.loss)) throw new Error(`validation loss is ${ev.loss} at epoch ${epoch}`);
        record.val_loss = ev.loss;
        const auc = rocAuc(ev.scores, val.labels);
        record.val_auc = Number.isFinite(auc) ? auc : null;
        monitored = ev.loss;
        scores = ev.scores;
      }
      record.seconds = (performance.now() - t0) / 1000;
      history.push(record);
      if (monitored < best.loss) {
        best = { epoch, loss: monitored, scores };
        snapshot?.forEach((t) => t.dispose());
        snapshot = trainer.snapshot();
      }
      const elapsed = (performance.now() - started) / 1000;
      o.onEpoch?.(record, { maxEpochs: o.maxEpochs, etaSeconds: (elapsed / epoch) * (o.maxEpochs - epoch) });
      if (epoch >= o.minEpochs && epoch - best.epoch >= o.patience && epoch < o.maxEpochs) {
        stoppedEarly = true;
        break;
      }
    }
    if (snapshot) trainer.restore(snapshot);
  } catch (e) {
    trainer.disposeOptimizer();
    for (const v of trainer.weights.values()) v.dispose();
    throw e;
  } finally {
    snapshot?.forEach((t) => t.dispose());
  }
  trainer.disposeOptimizer();
  const twoClasses = useVal && val.labels.includes(0) && val.labels.includes(1);
  return {
    weights: trainer.weights,
    history,
    bestEpoch: best.epoch,
    stoppedEarly,
    threshold: twoClasses ? f1OptimalThreshold(best.scores, val.labels) : 0.5,
    thresholdSource: twoClasses ? "val-f1" : "default",
    steps,
    msPerStep: steps ? stepMs / steps : 0,
  };
}
