// `dfd status`: each stage fresh or stale, with every reason.
import { execute } from "../runner/executor.js";
import { openProject } from "../runner/project.js";
import { guard, type Io } from "./common.js";

export function statusCommand(io: Io, file: string, flags: { set?: string[]; json?: boolean }): Promise<number> {
  return guard(io, async () => {
    const project = await openProject(file, { registry: io.registry, sets: flags.set ?? [] });
    try {
      const r = await execute(project.pipeline, { store: project.store, mode: "plan", artifactsDir: project.artifactsDir });
      const stages = r.stages.map((s) => ({
        name: s.name,
        state: s.status === "cached" || s.notNeeded ? ("fresh" as const) : ("stale" as const),
        reasons: s.reasons,
      }));
      const human = flags.json ? io.err : io.out;
      const w = Math.max(...stages.map((s) => s.name.length), 5);
      for (const s of stages) {
        human(`${s.name.padEnd(w)}  ${s.state}${s.reasons.length === 1 ? `: ${s.reasons[0]}` : ""}\n`);
        if (s.reasons.length > 1) for (const reason of s.reasons) human(`${" ".repeat(w)}    ${reason}\n`);
      }
      if (flags.json) io.out(JSON.stringify({ stages }) + "\n");
      return 0;
    } finally {
      await project.close();
    }
  }, flags.json && { stages: [] });
}
