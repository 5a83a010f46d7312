// report.md: the same facts as diagnostics.json, as tables a person reads before trusting a score.
import type { Finding } from "../../src/stage.js";
import type { Analysis } from "./analyze.js";
import { SEQUENCE_LENGTH, STAT_ATTRIBUTES } from "./attributes.js";
import { clusters } from "../../src/dataset/clusters.js";
import { fmt, frameTable } from "./findings.js";
import type { NumericStats } from "./stats.js";

const ICON = { error: "✖ error", warn: "⚠ warn", info: "ℹ info" } as const;

export function renderReport(a: Analysis, findings: readonly Finding[], maxDistance: number | null): string {
  const { real, fake } = a.classes;
  const L: string[] = [];
  L.push("# Data set diagnostics", "");
  L.push(`${a.all.length} clips: ${real.count} real, ${fake.count} fake` +
    (real.failed + fake.failed ? ` (${real.failed + fake.failed} failed extraction and are left out below)` : "") + ".", "");

  L.push("## Findings", "");
  if (!findings.length) L.push("None.", "");
  else {
    L.push("| severity | finding | reason | advice |", "|---|---|---|---|");
    for (const f of findings) L.push(`| ${ICON[f.severity]} | \`${f.id}\` | ${cell(f.reason)} | ${cell(f.advice ?? "")} |`);
    L.push("");
  }

  L.push("## Frame counts per class", "", "```", ...frameTable(a.classes), "```", "");

  L.push("## Metadata shortcut AUC", "");
  L.push("How well each attribute of the source clip alone separates fake from real: 0.5 = useless, 1.0 = a",
    "perfect shortcut. Numeric: rank AUC; categorical: out-of-fold fake rate per value (see docs/diagnose.md).", "");
  L.push("| attribute | AUC | method | unknown |", "|---|---:|---|---:|");
  for (const x of [...a.aucs, { ...a.sequence, attribute: `${SEQUENCE_LENGTH.name} (extracted)` }])
    L.push(`| ${x.attribute} | ${fmt(x.auc)} | ${x.method} | ${x.missing} |`);
  L.push("", `All metadata together (logistic regression, ${a.classifier.folds}-fold cross-validated): **AUC ${fmt(a.classifier.auc)}**.`, "");

  L.push("## Numeric attributes", "", "| attribute | real mean ± std (min–max) | fake mean ± std (min–max) |", "|---|---|---|");
  for (const attr of STAT_ATTRIBUTES) {
    if (attr.kind !== "numeric") continue;
    L.push(`| ${attr.doc} | ${num(real.numeric[attr.name])} | ${num(fake.numeric[attr.name])} |`);
  }
  L.push("");

  L.push("## Categorical attributes", "", "| attribute | real | fake |", "|---|---|---|");
  for (const attr of STAT_ATTRIBUTES) {
    if (attr.kind !== "categorical") continue;
    L.push(`| ${attr.doc} | ${counts(real.categorical[attr.name])} | ${counts(fake.categorical[attr.name])} |`);
  }
  L.push(`| source | ${counts(real.sources)} | ${counts(fake.sources)} |`, "");

  L.push("## Near-duplicates", "");
  if (maxDistance === null) L.push("Not checked (duplicate_distance: null).", "");
  else if (!a.duplicates.length) L.push("None found.", "");
  else {
    // clusters first (what split keeps together), then the closest pairs
    const byId = new Map(a.all.map((v) => [v.id, v]));
    const found = clusters(a.duplicates);
    L.push(`${a.duplicates.length} pair(s) within mean dHash distance ${maxDistance} form ${found.length} cluster(s):`, "");
    found.forEach((c, i) => {
      const labels = new Set(c.map((id) => byId.get(id)?.label));
      L.push(`${i + 1}. ${c.length} clips${labels.size > 1 ? " (**both classes**)" : ""}: ${c.slice(0, 12).map((id) => clip(byId.get(id))).join(", ")}${c.length > 12 ? `, +${c.length - 12} more` : ""}`);
    });
    L.push("", "| clip A | clip B | distance |", "|---|---|---:|");
    for (const [x, y, d] of a.duplicates.slice(0, 30)) L.push(`| ${clip(byId.get(x))} | ${clip(byId.get(y))} | ${d} |`);
    if (a.duplicates.length > 30) L.push(`| … ${a.duplicates.length - 30} more in diagnostics.json | | |`);
    L.push("");
  }
  return L.join("\n");
}

function num(s: NumericStats | undefined): string {
  if (!s || s.mean === null) return "unknown";
  const r = (x: number) => (Math.abs(x) >= 1000 ? Math.round(x).toLocaleString("en-US") : String(Math.round(x * 100) / 100));
  return `${r(s.mean)} ± ${r(s.std!)} (${r(s.min!)}–${r(s.max!)})` + (s.missing ? `, ${s.missing} unknown` : "");
}

function counts(c: Record<string, number> | undefined): string {
  const e = Object.entries(c ?? {});
  if (!e.length) return "–";
  return e.slice(0, 8).map(([k, v]) => `${cell(k)} ×${v}`).join(", ") + (e.length > 8 ? `, +${e.length - 8} more` : "");
}

function clip(v: { id: string; label: string | null; path: string } | undefined): string {
  return v ? `${v.label} \`${cell(v.path)}\`` : "?";
}

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
