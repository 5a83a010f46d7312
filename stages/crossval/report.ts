// report.md: the cross-generator table a paper in this field prints — per model the mean fold AUC
// with its interval, one row per fold (what it held out), one row per held-out source.
import type { CrossvalJson } from "../../src/artifacts/crossval.js";

export function renderReport(r: CrossvalJson): string {
  const out: string[] = [];
  const k = r.plan.length / (r.repeats || 1);
  const how = r.folds === null ? `leave one source group out (${k} folds)` : `${k} folds of whole source groups${r.repeats > 1 ? `, ${r.repeats} repeats` : ""}`;
  out.push(`# Cross-validation: ${how}`, "");
  out.push(`${r.clips} clips in ${r.units} source groups (group_by ${r.group_by}); features ${r.features.name ?? "?"} (${r.features.dims ?? "?"} dims).`);
  out.push("Every clip is scored by the model of the one fold that held its whole source group out of training.", "");
  out.push("| model | mean fold AUC [95 % CI] | pooled AUC [95 % CI, sources resampled] | mean source AUC | balanced accuracy |", "|---|---|---|---|---|");
  for (const m of Object.values(r.models))
    out.push(`| ${m.model} | ${num(m.auc)} ${ci(m.auc_ci95)} (${m.folds_with_auc}/${m.folds.length} folds) | ${num(m.pooled_auc)} ${ci(m.pooled_auc_ci95)} | ${num(m.mean_source_auc)} | ${num(m.balanced_accuracy)} |`);
  out.push("");
  for (const m of Object.values(r.models)) {
    out.push(`## ${m.model}`, "");
    for (const n of m.notes) out.push(`- ${n}`);
    if (m.repeats) out.push(`- per repeat (seed: mean fold AUC / pooled AUC): ${m.repeats.map((x) => `${x.seed}: ${num(x.auc)} / ${num(x.pooled_auc)}`).join("; ")}`);
    if (m.notes.length || m.repeats) out.push("");
    const rep = m.repeats ? "repeat | " : "";
    out.push(`| ${rep}fold | held out | train / val / test | AUC | threshold | fake recall | real recall |`, `|${"---|".repeat(m.repeats ? 8 : 7)}`);
    for (const f of m.folds)
      out.push(`| ${m.repeats ? `${f.repeat} | ` : ""}${f.fold} | ${f.held_out.join(", ")} | ${f.train} / ${f.val} / ${f.n} (${f.real} real, ${f.fake} fake) | ${num(f.auc)} | ${num(f.threshold)} | ${num(f.fake_recall)} | ${num(f.real_recall)} |`);
    out.push("", `| source | class | clips | fold${m.repeats ? " (repeat 1)" : ""} | recall | mean score | AUC vs other class (all folds) | AUC vs other class (its fold) |`, "|---|---|---|---|---|---|---|---|");
    for (const s of m.sources)
      out.push(`| ${s.source} | ${s.label} | ${s.n} | ${s.fold} | ${num(s.recall)} | ${num(s.mean_score)} | ${num(s.auc)} | ${num(s.auc_in_fold)} |`);
    out.push("");
  }
  return out.join("\n");
}

function num(x: number | null): string {
  return x === null ? "–" : x.toFixed(3);
}

function ci(c: [number, number] | null): string {
  return c ? `[${c[0].toFixed(3)}–${c[1].toFixed(3)}]` : "";
}
