// `dfd path <stage>`: the directory of the stage's current cached output (for scripts:
// `ls $(dfd path extract)`); with --run REF, the output that recorded run used or made. Fails,
// saying why, when there is none.
import { existsSync } from "node:fs";
import { Planner } from "../runner/plan.js";
import { renderReasons } from "../runner/reasons.js";
import { checkStages, guard, openQuestion, pipelineFile, type Io } from "./common.js";

export function pathCommand(io: Io, stage: string, flags: { pipeline?: string; set?: string[]; run?: string; json?: boolean }): Promise<number> {
  return guard(io, async () => {
    const q = await openQuestion(io, pipelineFile(undefined, flags.pipeline), flags);
    const { project } = q;
    const answer = (dir: string) => {
      io.out(flags.json ? JSON.stringify({ stage, path: dir, ...(q.run ? { run: q.run.id } : {}) }) + "\n" : dir + "\n");
      return 0;
    };
    const fail = (msg: string) => {
      io.err(`dfd: ${msg}\n`);
      if (flags.json) io.out(JSON.stringify({ stage, path: null, status: "failed", exitCode: 1, error: msg }) + "\n");
      return 1;
    };
    try {
      checkStages(project.pipeline, [stage], "path");
      if (q.run) {
        // What that run recorded: its stage's output, if it is still in the store.
        const s = q.run.stages.find((x) => x.name === stage);
        if (!s) return fail(`run ${q.run.id} did not include stage ${stage} (it ran: ${q.run.stages.map((x) => x.name).join(", ") || "nothing"})`);
        if (!s.outputHash) return fail(`stage ${stage} of run ${q.run.id} has no output (${s.status}${s.error ? `: ${s.error.split("\n")[0]}` : ""})`);
        const dir = project.store.objects.dir(s.outputHash);
        if (!existsSync(dir)) return fail(`the output of stage ${stage} in run ${q.run.id} is no longer cached (removed by dfd gc?); re-run it: dfd run --until ${stage} ${q.run.overrides.map((o) => `--set ${o}`).join(" ")}`.trimEnd());
        return answer(dir);
      }
      if (q.note) io.err(q.note + "\n");
      const outcomes = await new Planner(project.pipeline, { store: project.store, artifactsDir: project.artifactsDir, until: stage }).plan();
      const o = outcomes.find((s) => s.name === stage)!;
      if (o.status === "cached" && o.outputHash && !o.remote) return answer(project.store.objects.dir(o.outputHash));
      const why = o.remote ? "its output is cached on the remote, not here" : o.reasons.length ? renderReasons(o.reasons).join("; ") : "no cached output";
      return fail(`stage ${stage} has no current cached output (${o.notNeeded || o.remote ? why : `stale: ${why}`}); run \`dfd run --until ${stage}\` first`);
    } finally {
      await project.close();
    }
  }, flags.json && { stage, path: null });
}
