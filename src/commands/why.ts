// `dfd why <stage>`: every changed key component old → new; for a cached stage, which run made it.
import { short } from "../runner/canonical.js";
import { Planner } from "../runner/plan.js";
import { renderReasons } from "../runner/reasons.js";
import { findingsLine, renderFinding } from "../runner/reporter.js";
import { checkStages, guard, openQuestion, pipelineFile, type Io } from "./common.js";

export function whyCommand(io: Io, stage: string, flags: { pipeline?: string; set?: string[]; run?: string; json?: boolean }): Promise<number> {
  return guard(io, async () => {
    const q = await openQuestion(io, pipelineFile(undefined, flags.pipeline), flags);
    const { project } = q;
    try {
      checkStages(project.pipeline, [stage], "why");
      const outcomes = await new Planner(project.pipeline, { store: project.store, artifactsDir: project.artifactsDir, until: stage }).plan();
      const o = outcomes.find((s) => s.name === stage)!;
      const reasons = renderReasons(o.reasons);
      const lines: string[] = [];
      let producedBy: { run: string; at: string; seconds: number } | undefined;
      let state: "fresh" | "stale";
      if (o.status === "cached" && o.entry) {
        state = "fresh";
        const e = o.entry;
        const rec = await project.store.runs.get(e.runId);
        producedBy = { run: e.runId, at: e.createdAt, seconds: e.seconds };
        lines.push(`${stage}: fresh — cached output ${short(e.outputHash)} produced by run ${e.runId} at ${e.createdAt} (${e.seconds.toFixed(1)} s)${o.remote ? " on another machine (on the remote; `dfd run` fetches it)" : rec ? "" : " (run record gone)"}`);
        lines.push(`  key ${o.key}`);
        if (!o.remote) lines.push(`  output ${project.store.objects.dir(e.outputHash)}`);
        const findings = e.summary?.findings ?? [];
        if (findings.length) lines.push(`  findings when it ran: ${findingsLine(findings).slice(2)}`, ...findings.map((f) => `    ${renderFinding(f)}`));
      } else if (o.notNeeded) {
        state = "fresh";
        lines.push(`${stage}: ${reasons.join("; ")}`);
      } else {
        state = "stale";
        lines.push(`${stage}: stale${o.status === "skipped" ? " (cannot run: upstream problem)" : ""}`);
        for (const reason of reasons) lines.push(`  ${reason}`);
        if (o.key) lines.push(`  new key ${o.key}`);
      }
      if (q.note) io.err(q.note + "\n");
      if (flags.json) {
        io.err(lines.join("\n") + "\n");
        io.out(JSON.stringify({ name: stage, state, reasons, reasonsTyped: o.reasons, key: o.key, ...(q.run ? { run: q.run.id } : {}), ...(producedBy ? { producedBy } : {}) }) + "\n");
      } else io.out(lines.join("\n") + "\n");
      return 0;
    } finally {
      await project.close();
    }
  }, flags.json && {});
}
