// Where a pipeline's artifacts live and how commands open them.
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Registry } from "./kinds.js";
import { LocalStore } from "./local-store.js";
import { loadPipeline, type Pipeline } from "./resolve.js";
import type { StageStore } from "./store-api.js";
import { attachRemote, remoteSpecOf, type AttachOptions } from "../remote/attach.js";

/** artifacts/ next to pipeline.yaml, or $DFD_ARTIFACTS. */
export function artifactsDirFor(pipelineFile: string, env = process.env): string {
  return env.DFD_ARTIFACTS ? resolve(env.DFD_ARTIFACTS) : join(dirname(resolve(pipelineFile)), "artifacts");
}

export interface Project {
  pipeline: Pipeline;
  /** What runs and plans use: the local store, or a remote-backed store wrapping it. */
  store: StageStore;
  /** This machine's store (administration: gc, verify; read-only detection). */
  local: LocalStore;
  artifactsDir: string;
  close(): Promise<void>;
}

export async function openProject(file: string, opts: { registry: Registry; sets?: string[]; cwd?: string; remote?: Pick<AttachOptions, "strict" | "warn"> }): Promise<Project> {
  const pipeline = await loadPipeline(file, opts);
  const artifactsDir = artifactsDirFor(pipeline.file);
  try {
    mkdirSync(artifactsDir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EACCES" && code !== "EROFS" && code !== "EPERM") throw e;
  }
  const local = await LocalStore.open(artifactsDir);
  // The team's remote cache when one is configured (src/remote/): this store first, then the remote.
  const store = await attachRemote(local, pipeline.config.remote, { artifactsDir, ...opts.remote }).catch(async (e) => { await local.close(); throw e; });
  return { pipeline, store, local, artifactsDir, close: () => store.close() };
}

/** The store without loading the pipeline (runs, compare, gc, verify): a broken pipeline.yaml
 * must not stop you reading what has already run. */
export async function openArtifacts(pipelineFile: string): Promise<{ dir: string; store: LocalStore }> {
  const dir = artifactsDirFor(pipelineFile);
  if (!existsSync(dir)) throw new Error(`no artifacts at ${dir}: nothing has run yet (dfd run ${pipelineFile})`);
  return { dir, store: await LocalStore.open(dir) };
}

/** openArtifacts with the remote tier when one is configured: run records and cache entries made
 * on other machines too (runs --remote, compare). */
export async function openShared(pipelineFile: string): Promise<{ dir: string; store: StageStore & { close(): Promise<void> } }> {
  const { dir, store: local } = await openArtifacts(pipelineFile);
  const store = await attachRemote(local, remoteSpecOf(pipelineFile), { artifactsDir: dir }).catch(async (e) => { await local.close(); throw e; });
  return { dir, store };
}

/** Leftover stage work dirs from interrupted runs. Only call while holding the lock. */
export async function cleanTmp(artifactsDir: string): Promise<void> {
  const tmp = join(artifactsDir, "tmp");
  let names: string[] = [];
  try { names = readdirSync(tmp); } catch { return; }
  await Promise.all(names.map((n) => rm(join(tmp, n), { recursive: true, force: true })));
}
