// Renders comparisons and run lists for the terminal (aligned text) and for CI job summaries
// (GitHub-flavoured Markdown).
import type { Comparison } from "./compare.js";
import { fmt } from "./compare.js";

const RELATION_MARK = { shared: "= shared", different: "≠ different", "only-a": "only in A", "only-b": "only in B" } as const;

/** Cells for numbers that belong together (a table column; a metric's A, B and Δ): whole numbers
 * when every value is whole (an epoch count), else `digits` decimals; "—" for a missing value. */
export function numberColumn(values: (number | undefined)[], digits = 4): string[] {
  const whole = values.every((v) => v === undefined || Number.isNaN(v) || Number.isInteger(v));
  return values.map((v) => (v === undefined || Number.isNaN(v) ? "—" : whole ? String(v) : v.toFixed(digits)));
}

/** Aligns rows of cells into columns (first row = header). */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  const line = (r: string[]) => r.map((c, i) => c + " ".repeat((widths[i] ?? 0) - [...c].length)).join("  ").trimEnd();
  const [head, ...body] = rows;
  if (!head) return "";
  return [line(head), widths.map((w) => "─".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

export function mdTable(rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const [head, ...body] = rows;
  if (!head) return "";
  return [`| ${head.map(esc).join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...body.map((r) => `| ${r.map(esc).join(" | ")} |`)].join("\n");
}

function overridesText(o: string[]): string {
  return o.length ? o.join(" ") : "(none)";
}

function sections(c: Comparison) {
  const runs = [
    ["", "run", "started", "status", "--set"],
    ["A", c.a.id, c.a.startedAt, c.a.status, overridesText(c.a.overrides)],
    ["B", c.b.id, c.b.startedAt, c.b.status, overridesText(c.b.overrides)],
  ];
  const params = [["param", "A", "B"], ...c.params.map((p) => [p.path, fmt(p.a), fmt(p.b)])];
  const marked = new Set(c.testSets.filter((t) => t.same === false).map((t) => t.stage));
  const metrics = [["metric", "A", "B", "Δ (B − A)"], ...c.metrics.map((m) => {
    const [a, b, delta] = numberColumn([m.a, m.b, m.delta]) as [string, string, string];
    return [`${m.name}${marked.has(m.name.slice(0, m.name.indexOf("."))) ? " †" : ""}`, a, b, m.delta !== undefined && m.delta > 0 ? `+${delta}` : delta];
  })];
  const stages = [
    ["stage", "kind", "", "key A", "key B"],
    ...c.stages.map((s) => [s.name, s.kind, RELATION_MARK[s.relation], shortKey(s.a?.key, s.a?.status), shortKey(s.b?.key, s.b?.status)]),
  ];
  return { runs, params, metrics, stages };
}

function shortKey(key: string | null | undefined, status: string | undefined): string {
  if (status === undefined) return "—";
  return key ? `${key.slice(0, 10)} (${status})` : `(${status})`;
}

/** One line per stage that scored a test set in both runs, when it is known to be the same. */
function sameTestSets(c: Comparison): string[] {
  return c.testSets.filter((t) => t.same === true)
    .map((t) => `test set: ${t.stage} scored the same ${t.a.clips === null ? "clips" : `${t.a.clips} clip${t.a.clips === 1 ? "" : "s"}`} in both runs`);
}

export function renderComparisonText(c: Comparison): string {
  const s = sections(c);
  const warn = c.warnings.map((w) => `⚠ ${w}`);
  const out = [...(warn.length ? [...warn, ""] : []), table(s.runs), ""];
  out.push(c.params.length ? table(s.params) : "params: identical", "");
  out.push(c.metrics.length ? table(s.metrics) : "metrics: none recorded (no evaluate stage ran in these runs)");
  if (warn.length && c.metrics.length) out.push("† measured on different test sets in A and B (see the warning above)");
  out.push(...sameTestSets(c), "");
  out.push(table(s.stages), "");
  if (c.firstDivergence) out.push(`first divergence: ${c.firstDivergence.stage}`, ...c.firstDivergence.reasons.map((r) => `  - ${r}`));
  else out.push("no divergence: every stage shares its cache key");
  return out.join("\n");
}

export function renderComparisonMarkdown(c: Comparison): string {
  const s = sections(c);
  const out = [`### dfd compare \`${c.a.id}\` → \`${c.b.id}\``, ""];
  for (const w of c.warnings) out.push(`> [!WARNING]`, `> **${w.slice(0, w.indexOf(":"))}**${w.slice(w.indexOf(":"))}`, "");
  out.push(mdTable(s.runs), "");
  out.push("#### Metrics", "", c.metrics.length ? mdTable(s.metrics) : "_no metrics recorded_", "");
  if (c.warnings.length && c.metrics.length) out.push("† measured on different test sets in A and B", "");
  for (const line of sameTestSets(c)) out.push(`_${line}_`, "");
  out.push("#### Params that differ", "", c.params.length ? mdTable(s.params) : "_identical_", "");
  out.push("#### Stages", "", mdTable(s.stages), "");
  if (c.firstDivergence)
    out.push(`**First divergence: \`${c.firstDivergence.stage}\`**`, "", ...c.firstDivergence.reasons.map((r) => `- ${r}`), "");
  else out.push("**No divergence**: every stage shares its cache key.", "");
  return out.join("\n");
}
