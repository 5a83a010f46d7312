// `dfd status`: each stage fresh or stale, with every reason (the planner's, rendered).
import { plan, stateOf } from "../runner/plan.js";
import { renderReasons } from "../runner/reasons.js";
import { guard, openQuestion, pipelineFile, type Io } from "./common.js";

export function statusCommand(io: Io, file: string | undefined, flags: { pipeline?: string; set?: string[]; run?: string; json?: boolean }): Promise<number> {
  return guard(io, async () => {
    const q = await openQuestion(io, pipelineFile(file, flags.pipeline), flags);
    const { project } = q;
    try {
      const outcomes = await plan(project.pipeline, { store: project.store, artifactsDir: project.artifactsDir });
      const stages = outcomes.map((s) => ({
        name: s.name,
        state: stateOf(s) === "fresh" ? ("fresh" as const) : ("stale" as const),
        reasons: renderReasons(s.reasons),
        ...(s.remote ? { remote: true } : {}),
      }));
      const human = flags.json ? io.err : io.out;
      if (q.note) io.err(q.note + "\n");
      const w = Math.max(...stages.map((s) => s.name.length), 5);
      for (const s of stages) {
        const state = s.remote ? "fresh (cached on the remote)" : s.state;
        human(`${s.name.padEnd(w)}  ${state}${s.reasons.length === 1 ? `: ${s.reasons[0]}` : ""}\n`);
        if (s.reasons.length > 1) for (const reason of s.reasons) human(`${" ".repeat(w)}    ${reason}\n`);
      }
      if (flags.json) io.out(JSON.stringify({ ...(q.run ? { run: q.run.id } : {}), stages }) + "\n");
      return 0;
    } finally {
      await project.close();
    }
  }, flags.json && { stages: [] });
}
