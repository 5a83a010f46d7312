// Opening the store for the experiment commands (runs, compare, gc): they need the artifacts dir
// only, not a valid pipeline — a broken pipeline.yaml must not stop you reading old runs.
import { existsSync } from "node:fs";
import { artifactsDirFor } from "../runner/project.js";
import { Records } from "../runner/records.js";
import { Store } from "../runner/store.js";

export async function openArtifacts(pipelineFile: string): Promise<{ dir: string; store: Store; records: Records }> {
  const dir = artifactsDirFor(pipelineFile);
  if (!existsSync(dir)) throw new Error(`no artifacts at ${dir}: nothing has run yet (dfd run ${pipelineFile})`);
  const store = await Store.open(dir);
  return { dir, store, records: new Records(store.db) };
}
