// Judges an Analysis: turns numbers into findings with a severity, a one-line reason and the
// remedy. Thresholds come from the params so CI can be as strict as it likes.
import type { Finding, Severity } from "../../src/stage.js";
import { autoGroupBy } from "../../src/dataset/grouping.js";
import { ADVICE, adviceFor } from "./advice.js";
import type { Analysis } from "./analyze.js";
import type { DiagnoseParams } from "./params.js";
import type { AttributeAuc } from "./shortcut.js";
import { SOURCE_ATTRIBUTES } from "./attributes.js";
import type { ClassStats, NumericStats } from "./stats.js";
import type { Label } from "../../src/artifacts/features.js";

type Thresholds = Pick<DiagnoseParams, "auc_warn" | "auc_error" | "imbalance_warn" | "frame_ratio_warn" | "frame_ratio_error">;

const RANK: Record<Severity, number> = { info: 0, warn: 1, error: 2 };
export const worst = (...s: Severity[]): Severity => s.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), "info");
export const atLeast = (s: Severity, level: Severity): boolean => RANK[s] >= RANK[level];

export function aucSeverity(auc: number, t: Thresholds): Severity {
  if (Number.isNaN(auc)) return "info";
  return auc >= t.auc_error ? "error" : auc >= t.auc_warn ? "warn" : "info";
}

export function findingsOf(a: Analysis, t: Thresholds): Finding[] {
  const out: Finding[] = [];
  const { real, fake } = a.classes;
  const n = { real: real.count - real.failed, fake: fake.count - fake.failed };

  // class balance first: with an empty class nothing else below means anything
  const imbalance = balanceFinding(n, t);
  if (imbalance) out.push(imbalance);
  if (n.real === 0 || n.fake === 0) return [...out, ...failedFinding(a)];

  out.push(...frameFindings(a, t));
  for (const auc of a.aucs) {
    if (auc.attribute === "source_frames") continue; // reported by frame-count-ratio with its table
    const sev = aucSeverity(auc.auc, t);
    if (sev === "info") continue;
    out.push({
      id: `metadata-auc:${auc.attribute}`,
      severity: sev,
      reason: `${auc.attribute} alone separates the classes (AUC ${fmt(auc.auc)}${auc.method === "values" && auc.kind === "numeric" ? " from its exact values, out of fold" : ""}): ${describe(auc, a)}`,
      advice: adviceFor(auc.attribute, a.applied),
      data: aucData(auc),
    });
  }
  const cls = a.classifier;
  if (!Number.isNaN(cls.auc)) {
    const strongest = a.aucs.filter((x) => !Number.isNaN(x.auc)).slice(0, 3).map((x) => `${x.attribute} ${fmt(x.auc)}`);
    out.push({
      id: "metadata-classifier",
      severity: aucSeverity(cls.auc, t),
      reason: `a logistic regression on metadata alone detects fakes with ${cls.folds}-fold cross-validated AUC ${fmt(cls.auc)} (strongest: ${strongest.join(", ")})`,
      advice: aucSeverity(cls.auc, t) === "info" ? "metadata does not give the labels away" : ADVICE.classifier,
      data: { auc: round(cls.auc), folds: cls.folds, attributes: cls.attributes },
    });
  }
  out.push(...sourceFindings(a.classes));
  out.push(...classPureFinding(a));
  out.push(...duplicateFindings(a));
  out.push(...failedFinding(a));
  return out.sort((x, y) => RANK[y.severity] - RANK[x.severity]);
}

/** The researcher's check (source frame counts per class, with its table) and what the model
 * actually reads (the extracted sequence length). */
function frameFindings(a: Analysis, t: Thresholds): Finding[] {
  const out: Finding[] = [];
  const src = { real: a.classes.real.numeric.source_frames, fake: a.classes.fake.numeric.source_frames };
  const srcAuc = a.aucs.find((x) => x.attribute === "source_frames");
  if (src.real?.mean && src.fake?.mean && srcAuc) {
    const ratio = Math.max(src.real.mean, src.fake.mean) / Math.min(src.real.mean, src.fake.mean);
    const sev = worst(ratioSeverity(ratio, t), aucSeverity(srcAuc.auc, t));
    out.push({
      id: "frame-count-ratio",
      severity: sev,
      reason: `source frame counts (mean, min–max): fake ${range(src.fake)}, real ${range(src.real)} — ${fmt(ratio, 1)}× apart, AUC ${fmt(srcAuc.auc)}`,
      advice: sev === "info" ? "frame counts are comparable between classes" : ADVICE.sourceLength,
      data: { ratio: round(ratio), auc: round(srcAuc.auc), table: frameTable(a.classes) },
    });
  }
  const seq = { real: a.classes.real.numeric.frames, fake: a.classes.fake.numeric.frames };
  if (seq.real?.mean && seq.fake?.mean) {
    const constant = seq.real.min === seq.real.max && seq.fake.min === seq.fake.max && seq.real.min === seq.fake.min;
    const ratio = Math.max(seq.real.mean, seq.fake.mean) / Math.min(seq.real.mean, seq.fake.mean);
    const sev = constant ? "info" : worst(ratioSeverity(ratio, t), aucSeverity(a.sequence.auc, t));
    out.push({
      id: "sequence-length",
      severity: sev,
      reason: constant
        ? `every clip yields ${seq.real.min} feature rows: the model cannot read the length`
        : `the extracted sequence length the model sees separates the classes (AUC ${fmt(a.sequence.auc)}${a.sequence.method === "values" ? " from its exact values, out of fold" : ""}): fake ${range(seq.fake)}, real ${range(seq.real)}`,
      advice: sev === "info" ? "nothing to do" : ADVICE.fixedFrames,
      data: { ratio: round(ratio), auc: round(a.sequence.auc), constant },
    });
  }
  return out;
}

function ratioSeverity(ratio: number, t: Thresholds): Severity {
  return ratio >= t.frame_ratio_error ? "error" : ratio >= t.frame_ratio_warn ? "warn" : "info";
}

function balanceFinding(n: Record<Label, number>, t: Thresholds): Finding | undefined {
  const [small, big] = n.real <= n.fake ? (["real", "fake"] as const) : (["fake", "real"] as const);
  if (n[small] === 0)
    return {
      id: "class-imbalance",
      severity: "error",
      reason: `no usable ${small} clip (${n[big]} ${big}): nothing to tell apart`,
      advice: `add ${small} clips to the data set`,
      data: { real: n.real, fake: n.fake },
    };
  const ratio = n[big] / n[small];
  if (ratio < t.imbalance_warn) return undefined;
  return {
    id: "class-imbalance",
    severity: "warn",
    reason: `${n[big]} ${big} vs ${n[small]} ${small} clips (${fmt(ratio, 1)}:1)`,
    advice: ADVICE.imbalance,
    data: { real: n.real, fake: n.fake, ratio: round(ratio) },
  };
}

function sourceFindings(classes: Record<Label, ClassStats>): Finding[] {
  const out: Finding[] = [];
  const known = (c: ClassStats) => Object.keys(c.sources).filter((s) => s !== "(unknown)");
  if (!known(classes.real).length && !known(classes.fake).length)
    return [{ id: "no-source", severity: "info", reason: "no clip has a source: single-source and group_by: source checks are unavailable", advice: ADVICE.noSource }];
  for (const label of ["fake", "real"] as const) {
    const c = classes[label];
    const srcs = known(c);
    const n = c.count - c.failed;
    if (srcs.length === 1 && n >= 2)
      out.push({
        id: `single-source:${label}`,
        severity: "warn",
        reason: `all ${n} ${label} clips come from one source (${srcs[0]}): the detector learns that source, not ${label}ness`,
        advice: ADVICE.singleSource,
        data: { source: srcs[0]!, clips: n },
      });
  }
  return out;
}

/** Every source all-real or all-AI: a split that shares a source between train and test scores
 * source recognition. Error when some source has several clips (a random split can share it). */
function classPureFinding(a: Analysis): Finding[] {
  const s = a.sources;
  if (!s.pure) return [];
  const n = { real: Object.keys(s.real).length, fake: Object.keys(s.fake).length };
  const sizes = [...Object.values(s.real), ...Object.values(s.fake)];
  const known = sizes.reduce((x, y) => x + y, 0);
  const shareable = sizes.some((k) => k >= 2);
  const auto = autoGroupBy(a.ok);
  const few = n.real <= n.fake ? "real" : "fake";
  const coverage = known < a.ok.length ? `; ${known} of ${a.ok.length} clips have a source` : "";
  return [
    {
      id: "class-pure-sources",
      severity: shareable ? "error" : "info",
      reason: shareable
        ? `every source is all-real or all-AI (${n.real} real, ${n.fake} fake sources${coverage}): a random split puts clips of one source in both train and test, and the test score then measures source recognition, not detection`
        : `every source is all-real or all-AI, but each holds one clip${coverage}: no split can share a source between train and test`,
      advice: !shareable
        ? "nothing to do"
        : auto.group_by === "source"
          ? ADVICE.groupBySource
          : auto.group_by === "source+group"
            ? ADVICE.groupBySourceAndGroup
          : auto.group_by === "group"
            ? ADVICE.groupByGroup
            : ADVICE.moreSources(few, n[few]),
      data: { real_sources: n.real, fake_sources: n.fake, clips_with_source: known, auto_group_by: auto.group_by },
    },
  ];
}

function duplicateFindings(a: Analysis): Finding[] {
  if (!a.duplicates.length) return [];
  const label = new Map(a.ok.map((v) => [v.id, v.label]));
  const cross = a.duplicates.filter(([x, y]) => label.get(x) !== label.get(y));
  const out: Finding[] = [];
  if (cross.length)
    out.push({
      id: "near-duplicates:cross-class",
      severity: "warn",
      reason: `${cross.length} near-duplicate pair(s) labelled differently, e.g. ${cross.slice(0, 3).map(([x, y, d]) => `${x}~${y} (${d})`).join(", ")}`,
      advice: ADVICE.crossDuplicates,
      data: { pairs: cross.slice(0, 50).map((p) => [...p]) },
    });
  const within = a.duplicates.length - cross.length;
  if (within)
    out.push({
      id: "near-duplicates",
      severity: "info",
      reason: `${within} near-duplicate pair(s) within a class: copies across train and test would inflate the score`,
      advice: ADVICE.duplicates,
      data: { pairs: within },
    });
  return out;
}

function failedFinding(a: Analysis): Finding[] {
  const failed = a.all.length - a.ok.length;
  if (!failed) return [];
  const { real, fake } = a.classes;
  return [
    {
      id: "extraction-failed",
      severity: "warn",
      reason: `${failed} clip(s) failed extraction (real ${real.failed}, fake ${fake.failed}) and are left out`,
      advice: ADVICE.failed,
      data: { real: real.failed, fake: fake.failed },
    },
  ];
}

/** "fake h264 40, gif 13; real gif 50" or "fake 8.0 (8–8), real 55.2 (32–92)"; a numeric
 * attribute that separates by exact value (widths 512 vs 640) is shown by its values. */
export function describe(auc: AttributeAuc, a: Analysis): string {
  const side = (label: Label): string => {
    const num = a.classes[label].numeric[auc.attribute];
    if (num && auc.method === "rank") return `${label} ${range(num)}`;
    const attr = SOURCE_ATTRIBUTES.find((x) => x.name === auc.attribute);
    // entries, not an object: integer-like keys ("240") would be reordered by JS
    const entries: [string, number][] =
      num && attr
        ? countValues(a.ok.filter((v) => v.label === label).map((v) => attr.get(v)).map((x) => (x === null ? "(unknown)" : trim(Number(x)))))
        : Object.entries(a.classes[label].categorical[auc.attribute] ?? {});
    const head = entries.slice(0, 3).map(([k, v]) => `${k} ×${v}`).join(", ");
    return `${label} ${head}${entries.length > 3 ? `, +${entries.length - 3} more` : ""}`;
  };
  return `${side("fake")}; ${side("real")}`;
}

function countValues(values: readonly string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m.entries()].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
}

function range(s: NumericStats): string {
  if (s.mean === null) return "unknown";
  return `${human(s.mean)} (${trim(s.min!)}–${trim(s.max!)})`;
}

/** 8.0, 55.2, 4 260, 6.2M: readable in one line. */
function human(x: number): string {
  const ax = Math.abs(x);
  if (ax >= 1e6) return `${(x / 1e6).toFixed(1)}M`;
  if (ax >= 1e4) return `${(x / 1e3).toFixed(0)}k`;
  return x.toFixed(1);
}

/** The original printed table, rows per class: count, mean, min, max of source and extracted frames. */
export function frameTable(classes: Record<Label, ClassStats>): string[] {
  const rows = ["class  clips  source frames mean (min–max)  extracted frames mean (min–max)"];
  for (const label of ["real", "fake"] as const) {
    const c = classes[label];
    const s = c.numeric.source_frames;
    const e = c.numeric.frames;
    rows.push(`${label.padEnd(5)}  ${String(c.count - c.failed).padStart(5)}  ${(s ? range(s) : "-").padEnd(30)} ${e ? range(e) : "-"}`);
  }
  return rows;
}

function aucData(x: AttributeAuc): Record<string, number | string> {
  const d: Record<string, number | string> = { auc: round(x.auc), method: x.method, missing: x.missing };
  if (x.rank !== undefined) d.rank_auc = round(x.rank);
  d.values_auc = round(x.values);
  return d;
}

export function fmt(x: number, digits = 2): string {
  return Number.isNaN(x) ? "n/a" : x.toFixed(digits);
}
function trim(x: number): string {
  if (Math.abs(x) >= 1e4) return human(x);
  return Number.isInteger(x) ? String(x) : x.toFixed(2).replace(/0+$/, "").replace(/\.$/, "");
}
/** NaN stays NaN (JSON.stringify writes it as null). */
export function round(x: number, digits = 4): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}
