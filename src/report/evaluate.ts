// report.html of the evaluate stage: one self-contained page (inline CSS and SVG, no scripts, no
// network) with the headline numbers and what they rest on (clip counts, caveats, sanity
// findings), ROC/PR/training curves, confusion matrices, per-source recall and AUC, every
// misclassified clip (up to a cap, with the count), the diagnose findings, per-frame attention
// strips of the most and least confident clips, and where it all came from (provenance). Its size
// does not grow with the number of clips: curves are thinned, long lists capped.
import type { CurvePoint } from "../lib/metrics.js";
import type { Finding } from "../stage.js";
import type { TrainHistory } from "../artifacts/model.js";
import type { Provenance } from "../stage.js";
import type { SetMetrics, ThresholdReport } from "../lib/metrics.js";
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
  /** diagnose finding ids the split resolved (split.json resolved_findings): not counted in the banner. */
  resolvedFindings?: readonly string[];
  /** Sanity findings of the training run (history.json) and of this evaluation. */
  trainFindings?: Finding[];
  evalFindings?: Finding[];
  /** "transformer" | "linear" (the linear probe has no per-frame attention). */
  modelKind?: string;
  mostConfident: ReportClip[];
  leastConfident: ReportClip[];
  /** Per held-out split: the misclassified clips listed (most confidently wrong first) and their total. */
  misclassified?: MisclassifiedList[];
  facts: Record<string, string | number>;
  excluded: { id: string; reason: string }[];
  /** Where the run came from; null outside a pipeline run. */
  provenance?: Provenance | null;
  testSet?: { clips: number; sha256: string };
}

export interface MisclassifiedList {
  split: "test" | "val";
  total: number;
  clips: { id: string; path: string; label: "real" | "fake"; source: string | null; score: number }[];
}

/** Sources listed in the per-source table (the largest first beyond this; all are in metrics.json). */
const SOURCES_LISTED = 60;
/** Content groups listed with their AUC. */
const GROUPS_LISTED = 30;

const COLORS: Record<SplitName, string> = { test: "#c0392b", val: "#2471a3", train: "#95a5a6" };

export function renderEvaluateReport(d: EvaluateReportData): string {
  const test = d.sets.find((s) => s.split === "test")?.metrics;
  const val = d.sets.find((s) => s.split === "val")?.metrics;
  const body = [
    `<header><h1>${esc(d.title)}</h1><p class="facts">${Object.entries(d.facts)
      .map(([k, v]) => `<span><b>${esc(k)}</b> ${esc(v)}</span>`)
      .join("")}</p></header>`,
    shortcutBanner(d.findings, d.resolvedFindings ?? [], test),
    headline(test, val, d.threshold, d.thresholdNote),
    notes(d.sets),
    sanitySection([...(d.trainFindings ?? []), ...(d.evalFindings ?? [])]),
    `<section><h2>Curves</h2><div class="row">${rocPlot(d)}${prPlot(d)}</div></section>`,
    trainingSection(d.history),
    metricsSection(d),
    perSourceSection(d.sets),
    perGroupSection(d.sets),
    misclassifiedSection(d.misclassified ?? [], d.threshold),
    findingsSection(d.findings, d.resolvedFindings ?? []),
    attentionSection(d),
    excludedSection(d.excluded),
    provenanceSection(d.provenance ?? null, d.testSet),
  ].join("\n");
  return page(d.title, CSS, body);
}

/** Above the headline numbers, never below them: when diagnose found error-level leakage that the
 * split does not resolve, the score may measure the data set's format rather than fakeness (the
 * 8-frame story this tool exists for). The wording follows the number it sits above. */
function shortcutBanner(findings: Finding[] | null, resolved: readonly string[], test: SetMetrics | undefined): string {
  const all = (findings ?? []).filter((f) => f.severity === "error");
  const errors = all.filter((f) => !resolved.includes(f.id));
  if (!errors.length) return "";
  const auc = test?.auc ?? null;
  const what =
    auc === null
      ? "The test ROC-AUC is undefined here, and any score on such data may reflect these shortcuts rather than fakeness."
      : auc >= 0.7
        ? `A model can score this high (test ROC-AUC ${num(auc)}) by reading such shortcuts instead of detecting fakes.`
        : auc > 0.3
          ? `The test ROC-AUC is ${num(auc)}, near chance: whatever the model learnt, shortcuts included, did not carry over to the test clips.`
          : `The test ROC-AUC is ${num(auc)}, below chance: the model learnt a relation that reverses on the test clips, as a shortcut does when its direction differs between the training and test sources.`;
  const skipped = all.length - errors.length;
  return `<section class="banner"><b>Read these numbers with suspicion.</b> diagnose found ${errors.length} error-level problem${errors.length === 1 ? "" : "s"} in the data set, e.g. ${esc(errors[0]!.reason)}. ${esc(what)} See <a href="#diagnostics">Data-set diagnostics</a> below.` +
    (skipped ? ` <small>(${skipped} more error-level finding${skipped === 1 ? "" : "s"} resolved by the split: not counted.)</small>` : "") + `</section>`;
}

function headline(test: SetMetrics | undefined, val: SetMetrics | undefined, threshold: number, thresholdNote: string): string {
  const ci = test?.auc_ci95 ? `<small>95 % CI ${num(test.auc_ci95[0])}–${num(test.auc_ci95[1])}</small>` : "";
  const few = test && test.n && (test.real < MIN_PER_CLASS || test.fake < MIN_PER_CLASS);
  const on = test && test.n ? `<small>on ${test.n} clips (${test.fake} fake / ${test.real} real)${few ? " — too few to trust" : ""}</small>` : "";
  const card = (label: string, value: string, extra = "") => `<div class="card"><div class="v">${value}</div><div class="k">${esc(label)}</div>${extra}</div>`;
  return `<section class="cards">${[
    card("test ROC-AUC", num(test?.auc), ci + on),
    card("test accuracy", pct(test?.at_threshold.accuracy)),
    card("test F1", num(test?.at_threshold.f1)),
    card("test PR-AUC", num(test?.pr_auc)),
    card("val ROC-AUC", num(val?.auc)),
    card(`threshold (${thresholdNote})`, num(threshold)),
  ].join("")}</section>`;
}

/** Mirrors stages/evaluate/sanity.ts MIN_TEST_PER_CLASS for the card's caveat. */
const MIN_PER_CLASS = 10;

function sanitySection(findings: Finding[]): string {
  if (!findings.length) return "";
  return `<section class="sanity"><h2>Checks on this run</h2><ul class="findings">${findings.map(findingItem).join("")}</ul></section>`;
}

function findingItem(f: Finding): string {
  return `<li><span class="sev ${esc(f.severity)}">${esc(f.severity)}</span> <b>${esc(f.reason)}</b>` +
    `${f.advice ? `<br><span class="advice">${esc(f.advice)}</span>` : ""} <code>${esc(f.id)}</code></li>`;
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
  if (h?.model === "linear" && h.linear) return linearSection(h);
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

function linearSection(h: ReportHistory): string {
  const l = h.linear!;
  const how = l.l2_source === "val-loss" ? "chosen by validation log-loss" : l.l2_source === "default-no-val" ? "default: no validation clips of both classes to choose on" : "set in params";
  const rows = l.fits
    .map((f) => `<tr${f.l2 === l.l2 ? ' class="kept"' : ""}><td>${f.l2}</td><td>${num(f.val_loss, 4)}</td><td>${num(f.val_auc)}</td><td>${f.iterations}${f.converged ? "" : " (not converged)"}</td></tr>`)
    .join("");
  return `<section><h2>Training</h2><p class="hint">Linear probe: logistic regression on ${l.features} clip statistics, L2 penalty ${l.l2} (${esc(how)}), train loss ${num(l.train_loss, 4)}.</p>` +
    `<table><thead><tr><th>l2</th><th>val loss</th><th>val ROC-AUC</th><th>iterations</th></tr></thead><tbody>${rows}</tbody></table></section>`;
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
  const sizes = new Map<string, number>();
  for (const s of shown) for (const [k, v] of Object.entries(s.metrics.per_source)) sizes.set(k, (sizes.get(k) ?? 0) + v.n);
  if (!sizes.size) return "";
  const all = [...sizes.keys()].sort();
  const sources = all.length > SOURCES_LISTED ? [...all].sort((a, b) => sizes.get(b)! - sizes.get(a)! || a.localeCompare(b)).slice(0, SOURCES_LISTED).sort() : all;
  const head = shown.map((s) => `<th colspan="4">${esc(s.split)}</th>`).join("");
  const sub = shown.map(() => "<th>clips</th><th>recall</th><th>AUC</th><th>mean score</th>").join("");
  let pureSources = 0;
  const rows = sources.map((src) => {
    const cells = shown
      .map((s) => {
        const p = s.metrics.per_source[src];
        if (!p) return "<td>0</td><td>–</td><td>–</td><td>–</td>";
        const kind = p.fake && p.real ? `${p.fake} fake, ${p.real} real` : p.fake ? "fake" : "real";
        if (!(p.fake && p.real)) pureSources++;
        const auc = p.auc !== null ? num(p.auc) : p.auc_vs_other !== null ? `${num(p.auc_vs_other)}<sup>*</sup>` : "–";
        return `<td>${p.n} <small>${esc(kind)}</small></td><td>${bar(p.recall)}</td><td>${auc}</td><td>${num(p.mean_score)}</td>`;
      })
      .join("");
    return `<tr><td>${esc(src)}</td>${cells}</tr>`;
  });
  const more = all.length > sources.length ? `<p class="hint">${all.length - sources.length} smaller sources not listed: every source is in metrics.json (<code>per_source</code> of each split).</p>` : "";
  return (
    `<section><h2>Per-source recall and AUC</h2><p class="hint">Recall = share of the source's clips given their own label at the chosen threshold (fakes caught, or reals passed). ` +
    `AUC within a source needs both classes in it${pureSources ? `; a source holding one class (a generator, a camera) has none, so <sup>*</sup> marks the AUC of its clips against every clip of the other class in the split instead (for a generator: its fakes against all the reals)` : ""}.</p>` +
    `<table><thead><tr><th rowspan="2">source</th>${head}</tr><tr>${sub}</tr></thead><tbody>${rows.join("")}</tbody></table>${more}</section>`
  );
}

function perGroupSection(sets: ReportSet[]): string {
  const shown = sets.filter((s) => s.split !== "train" && s.metrics.per_group);
  if (!shown.length) return "";
  const blocks = shown.map((s) => {
    const g = s.metrics.per_group!;
    const defined = Object.entries(g.auc);
    const listed = defined.slice(0, GROUPS_LISTED).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${num(v)}</td></tr>`).join("");
    return `<h3>${esc(s.split)}: ${g.groups} group${g.groups === 1 ? "" : "s"}, ${defined.length} with both classes${defined.length ? `, mean AUC within a group ${num(g.mean_auc)}` : ""}</h3>` +
      (g.one_class ? `<p class="hint">${g.one_class} group${g.one_class === 1 ? " holds" : "s hold"} one class only in this split: no AUC there.</p>` : "") +
      (listed ? `<table><thead><tr><th>group</th><th>AUC</th></tr></thead><tbody>${listed}</tbody></table>` : "") +
      (defined.length > GROUPS_LISTED ? `<p class="hint">${defined.length - GROUPS_LISTED} more in metrics.json (<code>per_group</code>).</p>` : "");
  });
  return `<section><h2>AUC within content groups</h2><p class="hint">A group pairs a real clip with the fakes made from it (manifest <code>group</code>): AUC within a group asks whether the model ranks those fakes above their own original, with the content held fixed.</p>${blocks.join("")}</section>`;
}

function misclassifiedSection(lists: MisclassifiedList[], threshold: number): string {
  const shown = lists.filter((l) => l.total > 0);
  if (!lists.length) return "";
  if (!shown.length) return `<section><h2>Misclassified clips</h2><p>None at threshold ${num(threshold)}.</p></section>`;
  const blocks = shown.map((l) => {
    const rows = l.clips
      .map((c) => `<tr class="${c.label === "fake" ? "mf" : "mr"}"><td>${esc(c.path)}</td><td>${esc(c.source ?? "")}</td><td>${c.label === "fake" ? "missed" : "flagged"}</td><td>${num(c.score)}</td></tr>`)
      .join("");
    const fakes = l.clips.filter((c) => c.label === "fake").length;
    const id = `mis-${l.split}`;
    return `<h3>${esc(l.split)}: ${l.total} misclassified${l.total > l.clips.length ? `, the ${l.clips.length} most confidently wrong listed` : ""}</h3>` +
      `<div class="filter"><input type="radio" name="${id}" id="${id}-all" checked><label for="${id}-all">all (${l.clips.length})</label>` +
      `<input type="radio" name="${id}" id="${id}-f"><label for="${id}-f">fakes missed (${fakes})</label>` +
      `<input type="radio" name="${id}" id="${id}-r"><label for="${id}-r">reals flagged (${l.clips.length - fakes})</label>` +
      `<div class="scroll"><table class="mis"><thead><tr><th>clip</th><th>source</th><th>fake missed / real flagged</th><th>score</th></tr></thead><tbody>${rows}</tbody></table></div></div>`;
  });
  return `<section><h2>Misclassified clips</h2><p class="hint">Every clip the model got wrong at threshold ${num(threshold)}, most confidently wrong first${shown.some((l) => l.total > l.clips.length) ? "; beyond the cap all are in predictions.jsonl (<code>predicted</code> ≠ <code>label</code>)" : ""}.</p>${blocks.join("")}</section>`;
}

function bar(x: number): string {
  const w = Math.round(60 * x);
  return `<span class="bar"><span style="width:${w}px"></span></span> ${pct(x, 0)}`;
}

function findingsSection(findings: Finding[] | null, resolved: readonly string[]): string {
  if (findings === null) return `<section><h2>Data-set diagnostics</h2><p class="hint">No diagnose stage in this stage's needs: add one to see leakage findings here.</p></section>`;
  if (!findings.length) return `<section><h2>Data-set diagnostics</h2><p>diagnose found nothing to report.</p></section>`;
  const order = { error: 0, warn: 1, info: 2 } as const;
  const items = [...findings]
    .sort((a, b) => (order[a.severity] ?? 3) - (order[b.severity] ?? 3))
    .map((f) => resolved.includes(f.id) ? findingItem(f).replace("</li>", ` <small class="resolved">resolved by the split</small></li>`) : findingItem(f));
  return `<section id="diagnostics"><h2>Data-set diagnostics</h2><ul class="findings">${items.join("")}</ul></section>`;
}

function attentionSection(d: EvaluateReportData): string {
  if (!d.mostConfident.length && !d.leastConfident.length) return "";
  if (d.modelKind === "linear")
    return `<section><h2>Where the model looked</h2><p class="hint">The linear probe reads statistics of the whole clip (every frame counts alike): it has no per-frame attention to show.</p></section>`;
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

function provenanceSection(p: Provenance | null, testSet: { clips: number; sha256: string } | undefined): string {
  if (!p && !testSet) return "";
  const rows: [string, string][] = [];
  if (p) {
    if (p.run.id) rows.push(["run", `${p.run.id}${p.run.startedAt ? ` · started ${p.run.startedAt}` : ""}`]);
    rows.push(["pipeline", p.pipeline]);
    rows.push(["data", p.data ? `${p.data.path} · sha256 ${p.data.hash}` : "none (generated by the pipeline)"]);
    for (const [k, v] of Object.entries(p.environment)) rows.push([k, v]);
  }
  if (testSet) rows.push(["test set", `${testSet.clips} clips · sha256 of the sorted ids ${testSet.sha256}`]);
  const table = `<table class="prov"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("")}</tbody></table>`;
  const upstream = p?.upstream.length
    ? `<h3>Upstream stages</h3><table class="prov"><thead><tr><th>stage</th><th>kind</th><th>output</th><th>params</th></tr></thead><tbody>${p.upstream
        .map((u) => `<tr><td>${esc(u.name)}</td><td>${esc(u.kind)}</td><td><code>${esc(u.outputHash?.slice(0, 12) ?? "–")}</code></td><td><code class="params">${esc(JSON.stringify(u.params))}</code></td></tr>`)
        .join("")}</tbody></table>`
    : "";
  return `<section><h2>Provenance</h2>${table}${upstream}</section>`;
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
tr.kept td{font-weight:600;background:#f3f8ee}.resolved{color:#27ae60;font-weight:600}
.filter>input{margin-left:10px}.filter label{font-size:12px;color:#555;margin-right:4px}
.scroll{max-height:420px;overflow:auto;border:1px solid #eee;margin-top:4px}table.mis td:first-child{max-width:520px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.filter>input:nth-of-type(2):checked~.scroll tr.mr,.filter>input:nth-of-type(3):checked~.scroll tr.mf{display:none}
table.prov th{text-align:left;vertical-align:top;white-space:nowrap}table.prov td{text-align:left;word-break:break-all}code.params{font-size:11px;color:#444}
`;
