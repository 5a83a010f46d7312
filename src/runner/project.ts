// Where a pipeline's artifacts live and how commands open them.
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Registry } from "../registry.js";
import { loadPipeline, type Pipeline } from "./resolve.js";
import { Records } from "./records.js";
import { Store } from "./store.js";

/** artifacts/ next to pipeline.yaml, or $DFD_ARTIFACTS. */
export function artifactsDirFor(pipelineFile: string, env = process.env): string {
  return env.DFD_ARTIFACTS ? resolve(env.DFD_ARTIFACTS) : join(dirname(resolve(pipelineFile)), "artifacts");
}

export interface Project {
  pipeline: Pipeline;
  store: Store;
  artifactsDir: string;
  close(): Promise<void>;
}

export async function openProject(file: string, opts: { registry: Registry; sets?: string[] }): Promise<Project> {
  const pipeline = await loadPipeline(file, opts);
  const artifactsDir = artifactsDirFor(pipeline.file);
  mkdirSync(artifactsDir, { recursive: true });
  const store = await Store.open(artifactsDir);
  return { pipeline, store, artifactsDir, close: () => store.close() };
}

/** The store and run records without loading the pipeline (runs, compare, gc, verify): a broken
 * pipeline.yaml must not stop you reading what has already run. */
export async function openArtifacts(pipelineFile: string): Promise<{ dir: string; store: Store; records: Records }> {
  const dir = artifactsDirFor(pipelineFile);
  if (!existsSync(dir)) throw new Error(`no artifacts at ${dir}: nothing has run yet (dfd run ${pipelineFile})`);
  const store = await Store.open(dir);
  return { dir, store, records: new Records(store.db) };
}

/** Leftover stage work dirs from interrupted runs. Only call while holding the lock. */
export async function cleanTmp(artifactsDir: string): Promise<void> {
  const tmp = join(artifactsDir, "tmp");
  let names: string[] = [];
  try { names = readdirSync(tmp); } catch { return; }
  await Promise.all(names.map((n) => rm(join(tmp, n), { recursive: true, force: true })));
}
