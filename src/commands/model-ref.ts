// `dfd predict --model latest` (or a run id / prefix / latest~N): the model a recorded run trained,
// i.e. the cached output of its train stage. A path that exists is always taken as a path.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { artifactsDirFor, openArtifacts } from "../runner/project.js";

export async function resolveModelRef(model: string, cwd: string, pipelineFile: string): Promise<string> {
  if (existsSync(resolve(cwd, model))) return model;
  const looksLikeRun = /^latest(~\d+)?$/.test(model) || /^\d{8}(-\d{0,6}(-[0-9a-f]{0,6})?)?$/.test(model);
  if (!looksLikeRun) throw new Error(`--model ${model}: no such directory (give a train stage's output, \`dfd path train\`, or a run: latest, latest~N, a run id)`);
  const pipeline = resolve(cwd, pipelineFile);
  if (!existsSync(artifactsDirFor(pipeline))) throw new Error(`--model ${model}: no runs recorded next to ${pipeline} (use --pipeline to point at the project)`);
  const { store } = await openArtifacts(pipeline);
  const records = store.runs;
  try {
    const run = await records.resolve(model);
    const trains = run.stages.filter((s) => s.kind === "train");
    if (trains.length !== 1)
      throw new Error(`--model ${model}: run ${run.id} has ${trains.length} train stages${trains.length ? ` (${trains.map((s) => s.name).join(", ")})` : ""}: give the model directory instead (\`dfd path <stage>\`)`);
    const t = trains[0]!;
    if (!t.outputHash) throw new Error(`--model ${model}: stage ${t.name} of run ${run.id} produced no model (${t.status}${t.error ? `: ${t.error.split("\n")[0]}` : ""})`);
    const dir = store.objectDir(t.outputHash);
    if (!existsSync(dir)) throw new Error(`--model ${model}: the model of run ${run.id} (stage ${t.name}) is no longer cached (removed by dfd gc?); re-run it with dfd run`);
    return dir;
  } finally {
    await store.close();
  }
}
