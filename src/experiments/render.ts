// Renders comparisons and run lists for the terminal (aligned text) and for CI job summaries
// (GitHub-flavoured Markdown).
import type { Comparison } from "./compare.js";
import { fmt } from "./compare.js";

const RELATION_MARK = { shared: "= shared", different: "≠ different", "only-a": "only in A", "only-b": "only in B" } as const;

export function num(v: number | undefined, digits = 4): string {
  if (v === undefined || Number.isNaN(v)) return "—";
  if (Number.isInteger(v) && Math.abs(v) >= 1) return String(v);
  return v.toFixed(digits);
}

export function signed(v: number | undefined, digits = 4): string {
  if (v === undefined || Number.isNaN(v)) return "—";
  const s = v.toFixed(digits);
  return v > 0 ? `+${s}` : s;
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
  const metrics = [["metric", "A", "B", "Δ (B − A)"], ...c.metrics.map((m) => [m.name, num(m.a), num(m.b), signed(m.delta)])];
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

export function renderComparisonText(c: Comparison): string {
  const s = sections(c);
  const out = [table(s.runs), ""];
  out.push(c.params.length ? table(s.params) : "params: identical", "");
  out.push(c.metrics.length ? table(s.metrics) : "metrics: none recorded (no evaluate stage ran in these runs)", "");
  out.push(table(s.stages), "");
  if (c.firstDivergence) out.push(`first divergence: ${c.firstDivergence.stage}`, ...c.firstDivergence.reasons.map((r) => `  - ${r}`));
  else out.push("no divergence: every stage shares its cache key");
  return out.join("\n");
}

export function renderComparisonMarkdown(c: Comparison): string {
  const s = sections(c);
  const out = [`### dfd compare \`${c.a.id}\` → \`${c.b.id}\``, "", mdTable(s.runs), ""];
  out.push("#### Metrics", "", c.metrics.length ? mdTable(s.metrics) : "_no metrics recorded_", "");
  out.push("#### Params that differ", "", c.params.length ? mdTable(s.params) : "_identical_", "");
  out.push("#### Stages", "", mdTable(s.stages), "");
  if (c.firstDivergence)
    out.push(`**First divergence: \`${c.firstDivergence.stage}\`**`, "", ...c.firstDivergence.reasons.map((r) => `- ${r}`), "");
  else out.push("**No divergence**: every stage shares its cache key.", "");
  return out.join("\n");
}
