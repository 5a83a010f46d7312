// The decision threshold a trained detector ships with, and the sanity checks of a training run
// (issue 11): findings that say when a number would otherwise flatter — a model kept from epoch 1
// while validation loss rose, a threshold pushed to an extreme, a validation set too small to tune
// anything on. Pure functions of the history, shared by train and any stage that fits detectors.
import { f1OptimalThreshold } from "../lib/metrics.js";
import type { Finding } from "../stage.js";
import { classCounts } from "./clips.js";

/** Below this many clips of either class in val, the threshold is not tuned on val. */
export const MIN_VAL_PER_CLASS = 10;
/** The stated rule when the threshold is not tuned. */
export const DEFAULT_THRESHOLD = 0.5;
/** A tuned threshold outside this range is reported: it says the scores are badly calibrated, or
 * that a handful of clips placed it. */
export const THRESHOLD_RANGE: readonly [number, number] = [0.05, 0.95];

export type ThresholdSource = "val-f1" | "default-small-val" | "default-no-val";

export interface ThresholdChoice {
  threshold: number;
  source: ThresholdSource;
  /** In words, for summaries and reports. */
  note: string;
}

/** F1-optimal on val when val has at least MIN_VAL_PER_CLASS clips of each class; else 0.5. */
export function chooseThreshold(valScores: readonly number[], valLabels: readonly number[]): ThresholdChoice {
  const { real, fake } = classCounts(valLabels);
  if (real >= MIN_VAL_PER_CLASS && fake >= MIN_VAL_PER_CLASS)
    return { threshold: f1OptimalThreshold(valScores, valLabels), source: "val-f1", note: "F1-optimal on val" };
  if (real === 0 || fake === 0)
    return { threshold: DEFAULT_THRESHOLD, source: "default-no-val", note: `${DEFAULT_THRESHOLD}: no validation clips of both classes` };
  return {
    threshold: DEFAULT_THRESHOLD,
    source: "default-small-val",
    note: `${DEFAULT_THRESHOLD}: val has ${real} real / ${fake} fake clips, fewer than ${MIN_VAL_PER_CLASS} per class to tune on`,
  };
}

/** Words for a stored threshold_source (history.json, dfd.json). */
export function thresholdNote(source: string | undefined, valReal?: number, valFake?: number): string {
  switch (source) {
    case "val-f1": return "F1-optimal on val";
    case "default-small-val":
      return `${DEFAULT_THRESHOLD}: val has ${valReal ?? "?"} real / ${valFake ?? "?"} fake clips, fewer than ${MIN_VAL_PER_CLASS} per class to tune on`;
    case "default-no-val":
    case "default":
      return `${DEFAULT_THRESHOLD}: no validation clips of both classes`;
    default: return source && source !== "unknown" ? source : "saved with the model";
  }
}

export interface EpochLosses {
  epoch: number;
  val_loss: number | null;
}

/** Findings about one training run. `epochs` empty for models fitted without epochs (linear). */
export function trainingFindings(t: { epochs: readonly EpochLosses[]; bestEpoch: number | null; threshold: ThresholdChoice; valReal: number; valFake: number; lr?: number }): Finding[] {
  const out: Finding[] = [];
  const losses = t.epochs.map((e) => e.val_loss).filter((v): v is number => v !== null);
  if (t.bestEpoch !== null && t.bestEpoch <= 1 && losses.length >= 2) {
    const last = losses.at(-1)!;
    const rose = losses.slice(1).filter((v) => v > losses[0]!).length;
    if (rose > (losses.length - 1) / 2)
      out.push({
        id: "train:best-epoch-1",
        severity: "warn",
        reason: `training kept the epoch-1 weights: validation loss rose from ${losses[0]!.toFixed(4)} at epoch 1 to ${last.toFixed(4)} at epoch ${losses.length} and never improved`,
        advice: `the model fits the training set in one epoch and gets worse on val from there: lower lr${t.lr !== undefined ? ` (now ${t.lr})` : ""}, add dropout or weight_decay, or compare with model: linear; check that val resembles train`,
        data: { best_epoch: t.bestEpoch, epochs: losses.length, val_loss_first: losses[0]!, val_loss_last: last },
      });
  }
  const { threshold: th, source } = t.threshold;
  if (source === "val-f1" && (th < THRESHOLD_RANGE[0] || th > THRESHOLD_RANGE[1]))
    out.push({
      id: "train:threshold-extreme",
      severity: "warn",
      reason: `the decision threshold tuned on val is ${fmt(th)}, outside [${THRESHOLD_RANGE.join(", ")}]: the scores are poorly calibrated or a few val clips placed it`,
      advice: "accuracy and F1 at this threshold will not transfer to new data: read the threshold-free ROC-AUC and the 0.5 rows of the report; a larger val set places the threshold better",
      data: { threshold: th },
    });
  if (source === "default-small-val")
    out.push({
      id: "train:small-val",
      severity: "warn",
      reason: `the validation set has ${t.valReal} real / ${t.valFake} fake clips (fewer than ${MIN_VAL_PER_CLASS} per class): the threshold is ${DEFAULT_THRESHOLD} by rule, not tuned${t.epochs.length ? ", and early stopping watches a noisy loss" : ""}`,
      advice: `give val at least ${MIN_VAL_PER_CLASS} clips of each class (split's val fraction) for a tuned threshold`,
      data: { val_real: t.valReal, val_fake: t.valFake, threshold: DEFAULT_THRESHOLD },
    });
  if (source === "default-no-val")
    out.push({
      id: "train:no-val",
      severity: "warn",
      reason: `no validation clips of both classes (${t.valReal} real / ${t.valFake} fake): the threshold is ${DEFAULT_THRESHOLD} by rule${t.epochs.length ? " and early stopping watched the training loss" : ""}`,
      advice: "give the split a val fraction so the model is chosen on clips it did not train on",
      data: { val_real: t.valReal, val_fake: t.valFake },
    });
  return out;
}

function fmt(x: number): string {
  return x >= 0.01 && x <= 0.99 ? x.toFixed(3) : x.toPrecision(3);
}
