// `dfd path <stage>`: the directory of the stage's current cached output (for scripts:
// `ls $(dfd path extract)`). Fails, saying why, when the stage is not fresh.
import { execute } from "../runner/executor.js";
import { openProject } from "../runner/project.js";
import { checkStages, DEFAULT_PIPELINE, guard, type Io } from "./common.js";

export function pathCommand(io: Io, stage: string, flags: { pipeline?: string; set?: string[] }): Promise<number> {
  return guard(io, async () => {
    const project = await openProject(flags.pipeline ?? DEFAULT_PIPELINE, { registry: io.registry, sets: flags.set ?? [] });
    try {
      checkStages(project.pipeline, [stage], "path");
      const r = await execute(project.pipeline, { store: project.store, mode: "plan", until: stage, artifactsDir: project.artifactsDir });
      const o = r.stages.find((s) => s.name === stage)!;
      if (o.status === "cached" && o.outputHash) {
        io.out(project.store.objectDir(o.outputHash) + "\n");
        return 0;
      }
      const why = o.reasons.length ? o.reasons.join("; ") : "no cached output";
      io.err(`dfd: stage ${stage} has no current cached output (${o.notNeeded ? why : `stale: ${why}`}); run \`dfd run --until ${stage}\` first\n`);
      return 1;
    } finally {
      await project.close();
    }
  });
}
