// report.html of the evaluate stage: one self-contained page (inline CSS and SVG, no scripts, no
// network) with the headline numbers, ROC/PR/training curves, confusion matrices, per-source recall,
// the diagnose findings and per-frame attention strips of the most and least confident clips.
import type { CurvePoint } from "../lib/metrics.js";
import type { Finding } from "../stage.js";
import type { TrainHistory } from "../artifacts/model.js";
import type { SetMetrics, ThresholdReport } from "../../stages/evaluate/metrics.js";
import { esc, num, page, pct } from "./html.js";
import { heatStrip, linePlot, type Marker, type Series } from "./svg.js";

export type SplitName = "train" | "val" | "test";

export interface ReportSet {
  split: SplitName;
  metrics: SetMetrics;
  curve: CurvePoint[];
}

export interface ReportClip {
  id: string;
  path: string;
  label: "real" | "fake";
  source: string | null;
  split: SplitName;
  score: number;
  attention: number[];
}

/** Training history as evaluate reads it from the train stage's history.json. */
export type ReportHistory = TrainHistory;

export interface EvaluateReportData {
  title: string;
  threshold: number;
  /** How the threshold was chosen, in words ("F1-optimal on val"). */
  thresholdNote: string;
  /** The model's pooling ("attention" | "mean"), when known: mean pooling has flat strips. */
  pooling?: string;
  sets: ReportSet[];
  history: ReportHistory | null;
  /** null: no diagnose stage in needs (says so on the page); []: diagnose found nothing. */
  findings: Finding[] | null;
  mostConfident: ReportClip[];
  leastConfident: ReportClip[];
  facts: Record<string, string | number>;
  excluded: { id: string; reason: string }[];
}

const COLORS: Record<SplitName, string> = { test: "#c0392b", val: "#2471a3", train: "#95a5a6" };

export function renderEvaluateReport(d: EvaluateReportData): string {
  const test = d.sets.find((s) => s.split === "test")?.metrics;
  const val = d.sets.find((s) => s.split === "val")?.metrics;
  const body = [
    `<header><h1>${esc(d.title)}</h1><p class="facts">${Object.entries(d.facts)
      .map(([k, v]) => `<span><b>${esc(k)}</b> ${esc(v)}</span>`)
      .join("")}</p></header>`,
    shortcutBanner(d.findings),
    headline(test, val, d.threshold, d.thresholdNote),
    notes(d.sets),
    `<section><h2>Curves</h2><div class="row">${rocPlot(d)}${prPlot(d)}</div></section>`,
    trainingSection(d.history),
    metricsSection(d),
    perSourceSection(d.sets),
    findingsSection(d.findings),
    attentionSection(d),
    excludedSection(d.excluded),
  ].join("\n");
  return page(d.title, CSS, body);
}

/** Above the headline numbers, never below them: when diagnose found error-level leakage, a high
 * score is more likely the data set's format than fakeness (the 8-frame story this tool exists for). */
function shortcutBanner(findings: Finding[] | null): string {
  const errors = (findings ?? []).filter((f) => f.severity === "error");
  if (!errors.length) return "";
  return `<section class="banner"><b>Read these numbers with suspicion.</b> diagnose found ${errors.length} error-level problem${errors.length === 1 ? "" : "s"} in the data set, e.g. ${esc(errors[0]!.reason)}. A model can score this high by reading such shortcuts instead of detecting fakes: see <a href="#diagnostics">Data-set diagnostics</a> below.</section>`;
}

function headline(test: SetMetrics | undefined, val: SetMetrics | undefined, threshold: number, thresholdNote: string): string {
  const ci = test?.auc_ci95 ? `<small>95 % CI ${num(test.auc_ci95[0])}–${num(test.auc_ci95[1])}</small>` : "";
  const card = (label: string, value: string, extra = "") => `<div class="card"><div class="v">${value}</div><div class="k">${esc(label)}</div>${extra}</div>`;
  return `<section class="cards">${[
    card("test ROC-AUC", num(test?.auc), ci),
    card("test accuracy", pct(test?.at_threshold.accuracy)),
    card("test F1", num(test?.at_threshold.f1)),
    card("test PR-AUC", num(test?.pr_auc)),
    card("val ROC-AUC", num(val?.auc)),
    card(`threshold (${thresholdNote})`, num(threshold)),
  ].join("")}</section>`;
}

function notes(sets: ReportSet[]): string {
  const lines = sets.flatMap((s) => s.metrics.notes.map((n) => `${s.split}: ${n}`));
  return lines.length ? `<ul class="notes">${lines.map((l) => `<li>${esc(l)}</li>`).join("")}</ul>` : "";
}

function rocPlot(d: EvaluateReportData): string {
  const series: Series[] = d.sets.map((s) => ({
    name: `${s.split}${s.metrics.auc === null ? "" : ` (AUC ${num(s.metrics.auc)})`}`,
    points: s.curve.map((p) => [p.fpr, p.tpr] as const),
    color: COLORS[s.split],
    dashed: s.split === "train",
  }));
  const markers: Marker[] = d.sets
    .filter((s) => s.split !== "train" && s.curve.length)
    .map((s) => {
      const c = s.metrics.at_threshold.confusion;
      const fpr = c.fp + c.tn ? c.fp / (c.fp + c.tn) : 0;
      const tpr = c.tp + c.fn ? c.tp / (c.tp + c.fn) : 0;
      return { x: fpr, y: tpr, color: COLORS[s.split], label: `${s.split} at threshold ${num(d.threshold)}` };
    });
  return linePlot({ title: "ROC", xLabel: "false positive rate (reals flagged)", yLabel: "true positive rate (fakes caught)", series, x: [0, 1], y: [0, 1], reference: [0, 0, 1, 1], markers, legend: "br", emptyText: "needs both classes" });
}

function prPlot(d: EvaluateReportData): string {
  const series: Series[] = d.sets.map((s) => ({
    name: `${s.split}${s.metrics.pr_auc === null ? "" : ` (AP ${num(s.metrics.pr_auc)})`}`,
    points: prSteps(s.curve),
    color: COLORS[s.split],
    dashed: s.split === "train",
  }));
  return linePlot({ title: "Precision–recall", xLabel: "recall (fakes caught)", yLabel: "precision", series, x: [0, 1], y: [0, 1.02], legend: "bl", emptyText: "needs both classes" });
}

/** Step-wise PR curve whose area is the average precision: up/down to each point's precision at
 * the previous recall, then across. */
function prSteps(curve: CurvePoint[]): [number, number][] {
  const out: [number, number][] = [];
  curve.forEach((p, i) => {
    if (i > 0) out.push([curve[i - 1]!.recall, p.precision]);
    out.push([p.recall, p.precision]);
  });
  return out;
}

function trainingSection(h: ReportHistory | null): string {
  const few = (h?.epochs.length ?? 0) <= 30;
  const pts = (key: "train_loss" | "val_loss" | "val_auc") =>
    (h?.epochs ?? []).filter((e) => e[key] !== null && Number.isFinite(e[key])).map((e) => [e.epoch, e[key]!] as const);
  const vline = h?.best_epoch != null ? { x: h.best_epoch, label: `kept epoch ${h.best_epoch}` } : undefined;
  const empty = h ? "no per-epoch values in history.json" : "history.json not found";
  const loss = linePlot({
    title: "Training loss",
    xLabel: "epoch",
    yLabel: "loss",
    series: [
      { name: "train", points: pts("train_loss"), color: COLORS.train, dots: few },
      { name: "val", points: pts("val_loss"), color: COLORS.val, dots: few },
    ],
    integerX: true,
    legend: "tr",
    vline,
    emptyText: empty,
  });
  const auc = pts("val_auc");
  const aucPlot = auc.length
    ? linePlot({ title: "Validation ROC-AUC", xLabel: "epoch", yLabel: "AUC", series: [{ name: "val", points: auc, color: COLORS.val, dots: few }], y: [Math.min(0.5, ...auc.map((p) => p[1])), 1], integerX: true, legend: "br", vline, emptyText: empty })
    : "";
  const facts = h
    ? [
        `${h.epochs.length} epoch${h.epochs.length === 1 ? "" : "s"}${h.stopped_early ? " (stopped early)" : ""}`,
        h.best_epoch != null ? `weights of epoch ${h.best_epoch} kept` : "",
        h.backend ? `backend ${h.backend}` : "",
      ].filter(Boolean)
    : [];
  return `<section><h2>Training</h2>${facts.length ? `<p class="hint">${esc(facts.join(" · "))}</p>` : ""}<div class="row">${loss}${aucPlot}</div></section>`;
}

function metricsSection(d: EvaluateReportData): string {
  const rows: string[] = [];
  const same = d.threshold === 0.5; // then the 0.5 rows would repeat the chosen ones
  for (const s of d.sets) {
    const at = [[`${num(d.threshold)} (chosen)`, s.metrics.at_threshold], ["0.5", s.metrics.at_0_5]] as const;
    for (const [name, t] of same ? at.slice(0, 1) : at) {
      rows.push(
        `<tr${s.split === "train" ? ' class="dim"' : ""}><td>${esc(s.split)}${s.split === "train" ? " <small>(seen in training)</small>" : ""}</td><td>${esc(name)}</td><td>${s.metrics.n}</td>` +
          `<td>${pct(t.accuracy)}</td><td>${num(t.precision)}</td><td>${num(t.recall)}</td><td>${num(t.specificity)}</td><td>${num(t.f1)}</td>` +
          `<td>${num(s.metrics.auc)}</td><td>${num(s.metrics.pr_auc)}</td></tr>`,
      );
    }
  }
  const table =
    `<table><thead><tr><th>split</th><th>threshold</th><th>clips</th><th>accuracy</th><th>precision</th><th>recall</th><th>specificity</th><th>F1</th><th>ROC-AUC</th><th>PR-AUC</th></tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table>`;
  const matrices = d.sets
    .filter((s) => s.split !== "train")
    .flatMap((s) => [confusion(`${s.split} @ ${num(d.threshold)}`, s.metrics.at_threshold), ...(same ? [] : [confusion(`${s.split} @ 0.5`, s.metrics.at_0_5)])])
    .join("");
  return `<section><h2>Metrics</h2>${table}<h3>Confusion matrices</h3><div class="row">${matrices}</div></section>`;
}

function confusion(title: string, t: ThresholdReport): string {
  const c = t.confusion;
  const max = Math.max(c.tp, c.fp, c.tn, c.fn, 1);
  const cell = (v: number, good: boolean) =>
    `<td class="cm" style="background:rgba(${good ? "39,174,96" : "192,57,43"},${(0.08 + 0.55 * (v / max)).toFixed(2)})">${v}</td>`;
  return (
    `<table class="confusion"><caption>${esc(title)}</caption>` +
    `<tr><th></th><th>→ real</th><th>→ fake</th></tr>` +
    `<tr><th>real</th>${cell(c.tn, true)}${cell(c.fp, false)}</tr>` +
    `<tr><th>fake</th>${cell(c.fn, false)}${cell(c.tp, true)}</tr></table>`
  );
}

function perSourceSection(sets: ReportSet[]): string {
  const shown = sets.filter((s) => s.split !== "train");
  const sources = [...new Set(shown.flatMap((s) => Object.keys(s.metrics.per_source)))].sort();
  if (!sources.length) return "";
  const head = shown.map((s) => `<th colspan="3">${esc(s.split)}</th>`).join("");
  const sub = shown.map(() => "<th>clips</th><th>recall</th><th>mean score</th>").join("");
  const rows = sources.map((src) => {
    const cells = shown
      .map((s) => {
        const p = s.metrics.per_source[src];
        if (!p) return "<td>0</td><td>–</td><td>–</td>";
        const kind = p.fake && p.real ? `${p.fake} fake, ${p.real} real` : p.fake ? "fake" : "real";
        return `<td>${p.n} <small>${esc(kind)}</small></td><td>${bar(p.recall)}</td><td>${num(p.mean_score)}</td>`;
      })
      .join("");
    return `<tr><td>${esc(src)}</td>${cells}</tr>`;
  });
  return (
    `<section><h2>Per-source recall</h2><p class="hint">Recall = share of the source's clips given their own label at the chosen threshold (fakes caught, or reals passed).</p>` +
    `<table><thead><tr><th rowspan="2">source</th>${head}</tr><tr>${sub}</tr></thead><tbody>${rows.join("")}</tbody></table></section>`
  );
}

function bar(x: number): string {
  const w = Math.round(60 * x);
  return `<span class="bar"><span style="width:${w}px"></span></span> ${pct(x, 0)}`;
}

function findingsSection(findings: Finding[] | null): string {
  if (findings === null) return `<section><h2>Data-set diagnostics</h2><p class="hint">No diagnose stage in this stage's needs: add one to see leakage findings here.</p></section>`;
  if (!findings.length) return `<section><h2>Data-set diagnostics</h2><p>diagnose found nothing to report.</p></section>`;
  const order = { error: 0, warn: 1, info: 2 } as const;
  const items = [...findings]
    .sort((a, b) => (order[a.severity] ?? 3) - (order[b.severity] ?? 3))
    .map(
      (f) =>
        `<li><span class="sev ${esc(f.severity)}">${esc(f.severity)}</span> <b>${esc(f.reason)}</b>` +
        `${f.advice ? `<br><span class="advice">${esc(f.advice)}</span>` : ""} <code>${esc(f.id)}</code></li>`,
    );
  return `<section id="diagnostics"><h2>Data-set diagnostics</h2><ul class="findings">${items.join("")}</ul></section>`;
}

function attentionSection(d: EvaluateReportData): string {
  if (!d.mostConfident.length && !d.leastConfident.length) return "";
  const block = (title: string, clips: ReportClip[]) =>
    `<h3>${esc(title)}</h3><table class="att"><thead><tr><th>clip</th><th>label</th><th>score</th><th>frames</th><th>attention per frame</th></tr></thead><tbody>` +
    clips
      .map((c) => {
        const wrong = (c.score >= d.threshold ? "fake" : "real") !== c.label;
        return (
          `<tr><td class="clip" title="${esc(c.path)}">${esc(c.path)}<br><small>${esc(c.split)}${c.source ? ` · ${esc(c.source)}` : ""}</small></td>` +
          `<td>${esc(c.label)}${wrong ? ' <span class="sev error">wrong</span>' : ""}</td><td>${num(c.score)}</td><td>${c.attention.length}</td>` +
          `<td>${heatStrip(c.attention, { width: 420, color: c.label === "fake" ? "#c0392b" : "#2471a3" })}</td></tr>`
        );
      })
      .join("") +
    `</tbody></table>`;
  return (
    `<section><h2>Where the model looked</h2><p class="hint">${
      d.pooling === "mean"
        ? "This model uses mean pooling: every frame in its window weighs the same, so the strips show only which frames were seen."
        : "Per-frame attention-pooling weights (darker = more weight, scaled to each clip's largest weight)."
    } Confidence = distance of the score from the threshold.</p>` +
    block("Most confident clips", d.mostConfident) +
    block("Least confident clips", d.leastConfident) +
    `</section>`
  );
}

function excludedSection(excluded: { id: string; reason: string }[]): string {
  if (!excluded.length) return "";
  return `<section><h2>Not scored</h2><ul>${excluded.map((e) => `<li><code>${esc(e.id)}</code>: ${esc(e.reason)}</li>`).join("")}</ul></section>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#222;margin:0 auto;padding:16px 24px 40px;max-width:1200px;background:#fff}
h1{font-size:22px;margin:4px 0}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #e3e3e3;padding-bottom:4px}h3{font-size:14px;margin:16px 0 6px}
.facts span{display:inline-block;margin-right:16px;color:#555}.facts b{color:#222;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin-top:12px}.card{border:1px solid #e3e3e3;border-radius:6px;padding:8px 14px;min-width:120px}
.card .v{font-size:24px;font-weight:600}.card .k{color:#666;font-size:12px}.card small{color:#666;font-size:11px}
.row{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
table{border-collapse:collapse;font-size:13px}th,td{padding:4px 9px;text-align:right;border-bottom:1px solid #eee}th{background:#fafafa;font-weight:600}
td:first-child,th:first-child{text-align:left}tr.dim td{color:#888}
table.confusion{margin-right:8px}table.confusion caption{font-weight:600;padding:4px;text-align:left}td.cm{text-align:center;font-weight:600;min-width:54px}
.plot{border:1px solid #eee;border-radius:6px;background:#fff}
.plot .t{font-weight:600;font-size:13px}.plot .k{font-size:10px;fill:#555}.plot .a{font-size:11px;fill:#333}.plot .l{font-size:11px;fill:#222}
.plot .g{stroke:#eee}.plot .lg{fill:#fff;fill-opacity:.85;stroke:#e3e3e3}.plot .frame{fill:none;stroke:#bbb}.plot .ref{stroke:#999;stroke-dasharray:4 4}.plot .vl{stroke:#8e44ad;stroke-dasharray:3 3}.plot .empty{fill:#999;font-size:12px}
.notes{background:#fff8e1;border:1px solid #f5d76e;border-radius:6px;padding:6px 10px 6px 28px;margin-top:14px}
.hint{color:#666;font-size:12px;margin:2px 0 8px}
.sev{display:inline-block;border-radius:3px;padding:0 6px;font-size:11px;font-weight:600;text-transform:uppercase;color:#fff;background:#7f8c8d}
.sev.error{background:#c0392b}.sev.warn{background:#d68910}.sev.info{background:#2471a3}
.banner{margin-top:12px;padding:10px 14px;border:1px solid #c0392b;border-left:6px solid #c0392b;background:#fdf2f0;border-radius:4px}.findings li{margin-bottom:6px}.advice{color:#555}code{font-size:11px;color:#777}
.bar{display:inline-block;width:60px;height:8px;background:#eee;vertical-align:middle}.bar span{display:block;height:8px;background:#27ae60}
table.att td{vertical-align:middle}td.clip{max-width:300px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;text-align:left}
.strip{display:block;border-radius:2px}
`;
