// `dfd why <stage>`: every changed key component old → new; for a cached stage, which run made it.
import { short } from "../runner/canonical.js";
import { execute } from "../runner/executor.js";
import { openProject } from "../runner/project.js";
import { Records } from "../runner/records.js";
import { checkStages, DEFAULT_PIPELINE, guard, type Io } from "./common.js";

export function whyCommand(io: Io, stage: string, flags: { pipeline?: string; set?: string[]; json?: boolean }): Promise<number> {
  return guard(io, async () => {
    const project = await openProject(flags.pipeline ?? DEFAULT_PIPELINE, { registry: io.registry, sets: flags.set ?? [] });
    try {
      checkStages(project.pipeline, [stage], "why");
      const r = await execute(project.pipeline, { store: project.store, mode: "plan", until: stage, artifactsDir: project.artifactsDir });
      const o = r.stages.find((s) => s.name === stage)!;
      const lines: string[] = [];
      let producedBy: { run: string; at: string; seconds: number } | undefined;
      let state: "fresh" | "stale";
      if (o.status === "cached" && o.entry) {
        state = "fresh";
        const e = o.entry;
        const rec = await new Records(project.store.db).get(e.runId);
        producedBy = { run: e.runId, at: e.createdAt, seconds: e.seconds };
        lines.push(`${stage}: fresh — cached output ${short(e.outputHash)} produced by run ${e.runId} at ${e.createdAt} (${e.seconds.toFixed(1)} s)${rec ? "" : " (run record gone)"}`);
        lines.push(`  key ${o.key}`);
        lines.push(`  output ${project.store.objectDir(e.outputHash)}`);
      } else if (o.notNeeded) {
        state = "fresh";
        lines.push(`${stage}: ${o.reasons.join("; ")}`);
      } else {
        state = "stale";
        lines.push(`${stage}: stale${o.status === "skipped" ? " (cannot run: upstream problem)" : ""}`);
        for (const reason of o.reasons) lines.push(`  ${reason}`);
        if (o.key) lines.push(`  new key ${o.key}`);
      }
      if (flags.json) {
        io.err(lines.join("\n") + "\n");
        io.out(JSON.stringify({ name: stage, state, reasons: o.reasons, key: o.key, ...(producedBy ? { producedBy } : {}) }) + "\n");
      } else io.out(lines.join("\n") + "\n");
      return 0;
    } finally {
      await project.close();
    }
  }, flags.json && {});
}
