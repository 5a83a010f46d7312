// `dfd predict --model latest` (or a run id / prefix / latest~N): the model a recorded run trained,
// i.e. the cached output of its train stage. A path that exists is always taken as a path.
// `latest` / `latest~N` count only the runs that trained a model, so a later `dfd run --until
// diagnose` (or a run that failed before train) does not hide the model before it; which run was
// picked is said on stderr.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError } from "../runner/diagnostic.js";
import { artifactsDirFor, openArtifacts } from "../runner/project.js";

/** What this module reads of a run (a full record or a digest). */
interface RunLike {
  id: string;
  stages: { name: string; kind: string; status: string; outputHash: string | null; error?: string }[];
}
type StageRec = RunLike["stages"][number];

/** The train stage of `run` that produced a model, or why there is none. */
function trainedBy(run: RunLike): { stage: StageRec } | { why: string } {
  const trains = run.stages.filter((s) => s.kind === "train");
  if (trains.length === 0) return { why: `run ${run.id} has no train stage` };
  const made = trains.filter((s) => s.outputHash);
  if (made.length > 1) return { why: `run ${run.id} has ${made.length} train stages (${made.map((s) => s.name).join(", ")}): give the model directory instead (\`dfd path <stage>\`)` };
  if (made.length === 1) return { stage: made[0]! };
  const t = trains[0]!;
  return { why: `stage ${t.name} of run ${run.id} produced no model (${t.status}${t.error ? `: ${t.error.split("\n")[0]}` : ""})` };
}

export async function resolveModelRef(
  model: string,
  cwd: string,
  pipelineFile: string,
  note: (line: string) => void = (l) => void process.stderr.write(l + "\n"),
): Promise<string> {
  if (existsSync(resolve(cwd, model))) return model;
  const latest = /^latest(?:~(\d+))?$/.exec(model);
  const looksLikeRun = !!latest || /^\d{8}(-\d{0,6}(-[0-9a-f]{0,6})?)?$/.test(model);
  if (!looksLikeRun) throw new Error(`--model ${model}: no such directory (give a train stage's output, \`dfd path train\`, or a run: latest, latest~N, a run id)`);
  const pipeline = resolve(cwd, pipelineFile);
  if (!existsSync(artifactsDirFor(pipeline))) throw new Error(`--model ${model}: no runs recorded next to ${pipeline} (use --pipeline to point at the project)`);
  const { store } = await openArtifacts(pipeline);
  const records = store.runs;
  try {
    let run: RunLike;
    let stage: StageRec;
    if (latest) {
      // the N-th newest run that trained a model, reading run digests a page at a time
      const back = Number(latest[1] ?? 0);
      const trained: { run: RunLike; stage: StageRec; position: number }[] = [];
      let first: RunLike | undefined;
      let seen = 0;
      const page = 200;
      while (trained.length <= back) {
        const runs = await records.digests(page, seen);
        first ??= runs[0];
        for (const r of runs) {
          const t = trainedBy(r);
          if ("stage" in t) trained.push({ run: r, stage: t.stage, position: seen });
          seen++;
        }
        if (runs.length < page) break;
      }
      if (!first) throw new ConfigError(`--model ${model}: no runs recorded yet: \`dfd run\` first`);
      const hit = trained[back];
      if (!hit) {
        if (!trained.length) throw new ConfigError(`--model ${model}: none of the ${seen} recorded run(s) trained a model (the latest, ${first.id}: ${whyNot(first)}); run the pipeline through train first`);
        throw new ConfigError(`--model ${model}: only ${trained.length} run(s) recorded that trained a model (latest~${trained.length - 1} is the oldest)`);
      }
      ({ run, stage } = hit);
      const skipped = hit.position; // newer runs, none of which trained (when back is 0)
      note(`dfd predict: the model of run ${run.id} (stage ${stage.name})${back === 0 && skipped > 0 ? `, the latest run that trained one (${skipped} newer run${skipped === 1 ? "" : "s"} did not)` : ""}`);
    } else {
      run = await records.resolve(model);
      const t = trainedBy(run);
      if (!("stage" in t)) throw new ConfigError(`--model ${model}: ${t.why}${t.why.includes("give the model directory") ? "" : "; give a run that trained (`--model latest` picks the latest one) or the model directory"}`);
      stage = t.stage;
      note(`dfd predict: the model of run ${run.id} (stage ${stage.name})`);
    }
    const dir = store.objectDir(stage.outputHash!);
    if (!existsSync(dir)) throw new Error(`--model ${model}: the model of run ${run.id} (stage ${stage.name}) is no longer cached (removed by dfd gc?); re-run it with dfd run`);
    return dir;
  } finally {
    await store.close();
  }
}

function whyNot(run: RunLike): string {
  const t = trainedBy(run);
  return "why" in t ? t.why.replace(`run ${run.id} `, "") : "trained";
}
