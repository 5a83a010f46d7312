// The diagnose stage's body (loaded lazily by index.ts): read videos.jsonl, analyse, judge, write
// diagnostics.json + report.md, and only then fail if `fail_on` says so.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeDiagnostics } from "../../src/artifacts/diagnostics.js";
import { featuresInput, readFeaturesInfo, readVideos } from "../../src/artifacts/features.js";
import { dataSetName, requireBothClasses } from "../../src/dataset/classes.js";
import { type StageContext, type StageSummary } from "../../src/stage.js";
import { appliedOf } from "./advice.js";
import { analyze } from "./analyze.js";
import { atLeast, findingsOf, fmt, round } from "./findings.js";
import type { DiagnoseParams } from "./params.js";
import { renderReport } from "./report.js";

export const REPORT_FILE = "report.md";

export async function runDiagnose(ctx: StageContext<DiagnoseParams>): Promise<StageSummary> {
  const p = ctx.params;
  const extractDir = featuresInput(ctx);
  const videos = readVideos(extractDir);
  requireBothClasses(videos, dataSetName(ctx, extractDir));
  const clips = `${videos.length.toLocaleString("en-US")} clips`;
  const a = await analyze(videos, p, appliedOf(readFeaturesInfo(extractDir).params), async (done, total, phase) => {
    ctx.progress(done, total, `${phase} (${clips})`);
    await new Promise((r) => setImmediate(r)); // let a live view redraw between phases
  });
  const findings = findingsOf(a, p);

  writeDiagnostics(ctx.outDir, {
    classes: a.classes,
    findings,
    auc: Object.fromEntries([...a.aucs.map((x) => [x.attribute, round(x.auc)] as const), ["frames_extracted", round(a.sequence.auc)]]),
    metadata_classifier_auc: round(a.classifier.auc),
    duplicates: a.duplicates,
    sources: a.sources,
    // how the numbers were made, so two reports can be compared
    method: { folds: a.classifier.folds, seed: p.seed, duplicate_distance: p.duplicate_distance, classifier_attributes: a.classifier.attributes },
  });
  const report = renderReport(a, findings, p.duplicate_distance);
  writeFileSync(join(ctx.outDir, REPORT_FILE), report);

  const count = (s: string) => findings.filter((f) => f.severity === s).length;
  const top = a.aucs.filter((x) => x.auc >= p.auc_warn).slice(0, 4).map((x) => `${x.attribute} ${fmt(x.auc)}`);
  const lines = [
    `${a.ok.length} clips (real ${a.classes.real.count - a.classes.real.failed}, fake ${a.classes.fake.count - a.classes.fake.failed}): ${count("error")} error(s), ${count("warn")} warning(s)`,
    top.length ? `metadata shortcuts (AUC): ${top.join(", ")}` : `no single metadata attribute reaches AUC ${p.auc_warn}`,
    `all metadata together: AUC ${fmt(a.classifier.auc)} (${a.classifier.folds}-fold cross-validated)`,
  ];
  if (a.duplicates.length) lines.push(`${a.duplicates.length} near-duplicate pair(s)`);

  if (p.fail_on !== "never") {
    const failing = findings.filter((f) => atLeast(f.severity, p.fail_on as "warn" | "error"));
    if (failing.length) {
      // the runner discards a failed stage's outputs, but keeps its log: the report goes there
      ctx.log.info(`${REPORT_FILE}:\n${report}`);
      throw new Error(
        `diagnose: ${failing.length} finding(s) at or above fail_on: ${p.fail_on} (the full ${REPORT_FILE} is in the stage log):\n` +
          failing.map((f) => `  ${f.severity} ${f.id}: ${f.reason}`).join("\n"),
      );
    }
  }
  return {
    lines,
    findings,
    metrics: { metadata_classifier_auc: round(a.classifier.auc), max_attribute_auc: round(a.aucs[0]?.auc ?? Number.NaN) },
  };
}
