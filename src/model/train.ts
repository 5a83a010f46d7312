// The training loop: seeded init and shuffling, Adam(W) with global-norm clipping, per-epoch
// validation, early stopping on validation loss (never before min_epochs; best weights restored),
// loud failure on a non-finite loss. Yields to the event loop between batches so progress is
// drawn and Ctrl-C is honoured.
import * as tf from "@tensorflow/tfjs-core";
import type { Matrix } from "../lib/npy.js";
import { rocAuc } from "../lib/metrics.js";
import { packBatch, placeClip, standardize, type Batch, type Normalization } from "./batches.js";
import type { ClipSet } from "./clips.js";
import type { ModelConfig } from "./config.js";
import { DropoutSource } from "./dropout.js";
import { lossFn, NonFiniteLossError, type LossSpec } from "./loss.js";
import { clipByGlobalNorm, FlatAdam } from "./optimizer.js";
import { DataParallel } from "./parallel.js";
import { scoreClips } from "./predict.js";
import { Rng } from "./rng.js";
import "./gradients.js";
import { forward } from "./transformer.js";
import { initWeights, type Weights } from "./weights.js";

export { NonFiniteLossError } from "./loss.js";

/** Each weight's offset and length in the flat arrays. */
export interface FlatLayout {
  offsets: number[];
  sizes: number[];
  shapes: number[][];
  total: number;
}

export function flatLayout(shapes: number[][]): FlatLayout {
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const offsets: number[] = [];
  let total = 0;
  for (const n of sizes) {
    offsets.push(total);
    total += n;
  }
  return { offsets, sizes, shapes, total };
}

/** Clips scored per model call in evaluation (validation each epoch, the Detector). */
export const SCORE_BATCH = 32;

export interface FitOptions {
  config: ModelConfig;
  /** Standardisation applied to every clip as it is read (train-set statistics). */
  normalization: Normalization;
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
  /** Data-parallel threads on the wasm/cpu backends (native TensorFlow threads by itself). The
   * result depends on it (each thread draws its own dropout masks), so it is a train param. */
  threads?: number;
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
  /** Wall time of the epoch (progress and the run record only: never written into an artifact). */
  seconds: number;
}

export interface FitResult {
  weights: Weights;
  history: EpochRecord[];
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Validation scores of the kept weights ([] without validation clips). */
  bestValScores: number[];
  steps: number;
  msPerStep: number;
  /** Data-parallel threads actually used. */
  threads: number;
}

/** State of one training run: weights, optimizer, dropout masks. With data-parallel training
 * every thread holds one (same init seed, so identical weights; `rank` gives each its own dropout
 * stream) and all apply the same summed gradients, so the weights stay identical. */
export class Trainer {
  readonly weights: Weights;
  readonly dropout: DropoutSource;
  /** Weight names in a fixed order: the layout of the flat weight and gradient arrays. */
  readonly names: string[];
  readonly layout: FlatLayout;
  /** Flat master copy of the weights, which the optimizer updates. */
  readonly params: Float32Array;
  private readonly optimizer: FlatAdam;
  private readonly gradBuf: Float32Array;
  private readonly byVarName = new Map<string, string>();
  readonly opts: Pick<FitOptions, "loss" | "lr" | "weightDecay" | "clipNorm" | "seed">;
  constructor(readonly config: ModelConfig, opts: Pick<FitOptions, "loss" | "lr" | "weightDecay" | "clipNorm" | "seed">, rank = 0) {
    // only plain values: data-parallel workers receive a structured clone of these
    this.opts = { loss: opts.loss, lr: opts.lr, weightDecay: opts.weightDecay, clipNorm: opts.clipNorm, seed: opts.seed };
    const rng = new Rng(opts.seed);
    this.weights = initWeights(config, rng.int(2 ** 31));
    this.dropout = new DropoutSource(config.dropout, rng.int(2 ** 31) + 7919 * rank);
    this.names = [...this.weights.keys()];
    for (const [name, v] of this.weights) this.byVarName.set(v.name, name);
    this.layout = flatLayout(this.names.map((n) => this.weights.get(n)!.shape));
    this.params = new Float32Array(this.layout.total);
    this.readWeights();
    this.gradBuf = new Float32Array(this.layout.total);
    const decay = this.layout.shapes.flatMap((s, i): [number, number][] =>
      s.length > 1 ? [[this.layout.offsets[i]!, this.layout.offsets[i]! + this.layout.sizes[i]!]] : []);
    this.optimizer = new FlatAdam(this.params, { lr: opts.lr, weightDecay: opts.weightDecay }, decay);
  }

  /** Copies the variables into the flat master copy (after init or a restore). */
  private readWeights(): void {
    this.names.forEach((n, i) => this.params.set(this.weights.get(n)!.dataSync() as Float32Array, this.layout.offsets[i]!));
  }

  /** Loss and gradients (in `names` order) of a packed batch, both multiplied by `scale`. */
  gradients(b: Batch, labels: number[], scale = 1): { loss: number; grads: tf.Tensor[] } {
    const x = tf.tensor3d(b.x, [b.batch, b.seqLen, b.dims]);
    const mask = tf.tensor2d(b.mask, [b.batch, b.seqLen]);
    const y = tf.tensor1d(labels);
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = forward(this.weights, this.config, x, mask, { dropout: this.dropout });
      const l = lossFn(this.opts.loss, logits, y);
      return scale === 1 ? l : tf.mul(l, scale);
    }, [...this.weights.values()]);
    x.dispose();
    mask.dispose();
    y.dispose();
    const loss = value.dataSync()[0]!;
    value.dispose();
    const byName = new Map<string, tf.Tensor>();
    for (const [varName, g] of Object.entries(grads)) byName.set(this.byVarName.get(varName) ?? varName, g);
    return { loss, grads: this.names.map((n) => byName.get(n)!) };
  }

  /** Copies gradient tensors (in `names` order) into a flat array and disposes them. */
  flatten(grads: tf.Tensor[], into: Float32Array = this.gradBuf): Float32Array {
    grads.forEach((g, i) => {
      into.set(g.dataSync() as Float32Array, this.layout.offsets[i]!);
      g.dispose();
    });
    return into;
  }

  /** Clips a flat gradient (in place) by global norm, takes one Adam step and refreshes the
   * variables. Returns the pre-clip norm. */
  applyFlat(g: Float32Array): number {
    const norm = clipByGlobalNorm(g, this.opts.clipNorm);
    this.optimizer.step(g);
    this.names.forEach((n, i) => {
      const { offsets, sizes, shapes } = this.layout;
      // a copy: the cpu backend would otherwise alias the master array
      const t = tf.tensor(this.params.slice(offsets[i]!, offsets[i]! + sizes[i]!), shapes[i]!);
      this.weights.get(n)!.assign(t);
      t.dispose();
    });
    return norm;
  }

  /** applyFlat for gradient tensors (disposes them). */
  apply(grads: tf.Tensor[]): number {
    return this.applyFlat(this.flatten(grads));
  }

  /** One optimisation step on a packed batch; returns the loss and the pre-clip gradient norm. */
  step(b: Batch, labels: number[]): { loss: number; gradNorm: number } {
    const { loss, grads } = this.gradients(b, labels);
    if (!Number.isFinite(loss)) {
      for (const g of grads) g.dispose();
      throw new NonFiniteLossError(loss);
    }
    return { loss, gradNorm: this.apply(grads) };
  }

  /** Evaluation-mode mean loss and scores on a clip set, read and scored SCORE_BATCH clips at a time. */
  evaluate(data: ClipSet, norm: Normalization): { loss: number; scores: number[] } {
    const logits: number[] = [], scores: number[] = [];
    for (let i = 0; i < data.ids.length; i += SCORE_BATCH) {
      const part: Matrix[] = [];
      for (let j = i; j < Math.min(i + SCORE_BATCH, data.ids.length); j++) part.push(standardize(data.read(j), norm));
      const r = scoreClips(this.weights, this.config, part, SCORE_BATCH);
      logits.push(...r.logits);
      scores.push(...r.scores);
    }
    const loss = tf.tidy(() => lossFn(this.opts.loss, tf.tensor1d(logits), tf.tensor1d([...data.labels])).dataSync()[0]!);
    return { loss, scores };
  }

  snapshot(): Map<string, tf.Tensor> {
    const s = new Map<string, tf.Tensor>();
    for (const [name, v] of this.weights) s.set(name, tf.clone(v));
    return s;
  }

  restore(s: Map<string, tf.Tensor>): void {
    for (const [name, v] of this.weights) v.assign(s.get(name)!);
    this.readWeights();
  }

  /** Kept for symmetry with the weights' disposal: the optimizer state is plain JS memory. */
  disposeOptimizer(): void {}
}

/** Trains on `train` (clips read on demand, standardised with `o.normalization`), validating on
 * `val` after every epoch. */
export async function fit(train: ClipSet, val: ClipSet | undefined, o: FitOptions): Promise<FitResult> {
  if (train.ids.length === 0) throw new Error("no training clips");
  const trainer = new Trainer(o.config, o);
  const backend = tf.getBackend();
  const threads = backend === "wasm" || backend === "cpu" ? Math.max(1, o.threads ?? 1) : 1;
  let group: DataParallel | undefined;
  const rng = new Rng(o.seed + 1);
  const history: EpochRecord[] = [];
  const useVal = val !== undefined && val.ids.length > 0;
  let best = { epoch: 0, loss: Infinity, scores: [] as number[] };
  let snapshot: Map<string, tf.Tensor> | undefined;
  let steps = 0, stepMs = 0, stoppedEarly = false;
  const started = performance.now();
  try {
    if (threads > 1) group = await DataParallel.create(trainer, threads, backend as "wasm" | "cpu");
    for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
      const t0 = performance.now();
      const order = rng.shuffle(train.ids.map((_, i) => i));
      let lossSum = 0, normSum = 0, batches = 0;
      for (let i = 0; i < order.length; i += o.batchSize) {
        const idx = order.slice(i, i + o.batchSize);
        const clips = idx.map((j) => standardize(train.read(j), o.normalization));
        const windows = clips.map((m) => placeClip(m.rows, o.config.seqLen, o.randomPadding ? rng : undefined));
        const s0 = performance.now();
        let r;
        try {
          const batch = packBatch(clips, o.config.seqLen, windows);
          const labels = idx.map((j) => train.labels[j]!);
          r = group ? await group.step(batch, labels) : trainer.step(batch, labels);
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
        const ev = trainer.evaluate(val, o.normalization);
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
    await group?.close();
  }
  trainer.disposeOptimizer();
  return {
    weights: trainer.weights,
    history,
    bestEpoch: best.epoch,
    stoppedEarly,
    bestValScores: best.scores,
    steps,
    msPerStep: steps ? stepMs / steps : 0,
    threads,
  };
}
