// Per-class descriptive statistics of the metadata: numeric → mean/std/min/max, categorical →
// counts. These are the tables of report.md and `classes` in diagnostics.json.
import type { ClassStats, NumericStats } from "../../src/artifacts/diagnostics.js";
import type { Attribute } from "./attributes.js";
import { sourceOf, type Label, type VideoRecord } from "../../src/artifacts/features.js";

export type { ClassStats, NumericStats };

export const UNKNOWN = "(unknown)";

export function numericStats(values: readonly (number | null)[]): NumericStats {
  const xs = values.filter((x): x is number => x !== null);
  const missing = values.length - xs.length;
  if (!xs.length) return { n: 0, missing, mean: null, std: null, min: null, max: null };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
  // a loop, not Math.min(...xs): spreading 100 000+ values overflows the call stack
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { n: xs.length, missing, mean, std: Math.sqrt(variance), min, max };
}

export function categoryCounts(values: readonly (string | null)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v ?? UNKNOWN] = (out[v ?? UNKNOWN] ?? 0) + 1;
  return sortedByCount(out);
}

/** Stats of one class: `all` = every clip of the class, `ok` = those extracted without error. */
export function classStats(all: readonly VideoRecord[], ok: readonly VideoRecord[], attrs: readonly Attribute[]): ClassStats {
  const stats: ClassStats = {
    count: all.length,
    failed: all.length - ok.length,
    sources: categoryCounts(ok.map(sourceOf)),
    numeric: {},
    categorical: {},
  };
  for (const a of attrs) {
    if (a.kind === "numeric") stats.numeric[a.name] = numericStats(ok.map((v) => a.get(v)));
    else stats.categorical[a.name] = categoryCounts(ok.map((v) => a.get(v)));
  }
  return stats;
}

function sortedByCount(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}
