// Everything diagnose measures, as plain data: per-class stats, per-attribute shortcut AUCs, the
// all-metadata classifier, near-duplicates. findings.ts judges it; report.ts renders it.
import { NOTHING_APPLIED, type Applied } from "./advice.js";
import { SEQUENCE_LENGTH, SOURCE_ATTRIBUTES, STAT_ATTRIBUTES } from "./attributes.js";
import { metadataClassifierAuc } from "./classifier.js";
import { sourcesByClass, type SourcesJson } from "../../src/dataset/sources.js";
import { nearDuplicates, type DuplicatePair } from "./duplicates.js";
import type { DiagnoseParams } from "./params.js";
import { attributeAuc, type AttributeAuc } from "./shortcut.js";
import { byLabel, usable, type Label, type VideoRecord } from "../../src/artifacts/features.js";
import { classStats, type ClassStats } from "./stats.js";

export interface Analysis {
  /** Every clip in videos.jsonl. */
  all: VideoRecord[];
  /** Clips extracted without error: what the model will see, and what is measured. */
  ok: VideoRecord[];
  classes: Record<Label, ClassStats>;
  /** One per source-metadata attribute, strongest first. */
  aucs: AttributeAuc[];
  /** The extracted sequence length's AUC (what the model reads). */
  sequence: AttributeAuc;
  classifier: { auc: number; folds: number; attributes: string[] };
  duplicates: DuplicatePair[];
  /** Which sources hold which class (usable clips). */
  sources: SourcesJson;
  /** Remedies extract already applied (its extract.json). */
  applied: Applied;
}

/** Reports the phase about to start: `done` of `total` phases finished. */
export type OnPhase = (done: number, total: number, phase: string) => void | Promise<void>;

export const PHASES = ["class statistics", "metadata AUCs", "metadata classifier", "near-duplicates"] as const;

export async function analyze(
  all: VideoRecord[],
  p: Pick<DiagnoseParams, "folds" | "seed" | "duplicate_distance">,
  applied: Applied = NOTHING_APPLIED,
  onPhase: OnPhase = () => {},
): Promise<Analysis> {
  const phase = (i: number) => onPhase(i, PHASES.length, PHASES[i]!);
  await phase(0);
  const ok = all.filter(usable);
  const allBy = byLabel(all);
  const okBy = byLabel(ok);
  const classes = {
    real: classStats(allBy.real, okBy.real, STAT_ATTRIBUTES),
    fake: classStats(allBy.fake, okBy.fake, STAT_ATTRIBUTES),
  };
  const labels = ok.map((v) => (v.label === "fake" ? 1 : 0));
  const opt = { folds: p.folds, seed: p.seed };
  await phase(1);
  const aucs = SOURCE_ATTRIBUTES.map((a) => attributeAuc(a, ok, labels, opt)).sort(
    (x, y) => (Number.isNaN(y.auc) ? -1 : y.auc) - (Number.isNaN(x.auc) ? -1 : x.auc),
  );
  const sequence = attributeAuc(SEQUENCE_LENGTH, ok, labels, opt);
  await phase(2);
  // resolution is width×height again: keep it out of the classifier so no signal counts twice
  const classifierAttrs = SOURCE_ATTRIBUTES.filter((a) => a.name !== "resolution");
  const classifier = metadataClassifierAuc(classifierAttrs, ok, labels, opt);
  await phase(3);
  const duplicates = p.duplicate_distance === null ? [] : nearDuplicates(ok, p.duplicate_distance);
  await onPhase(PHASES.length, PHASES.length, "done");
  return {
    all,
    ok,
    classes,
    aucs,
    sequence,
    classifier: { auc: classifier.auc, folds: classifier.folds, attributes: classifierAttrs.map((a) => a.name) },
    duplicates,
    sources: sourcesByClass(ok),
    applied,
  };
}
