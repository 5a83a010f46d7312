// Wires `--executor bullmq` into a run: for each fanned-out stage, an ItemExecutor that sends its
// items to `dfd worker`s (coordinator.ts), built from what the planner knows about the stage (its
// key components: code version, environment, keyed params, inputs, data set) and the store.
import { readdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ItemExecutor } from "../runner/in-process.js";
import type { StageOutcome } from "../runner/plan.js";
import type { Pipeline, ResolvedStage } from "../runner/resolve.js";
import type { StageStore } from "../runner/store-api.js";
import { TieredStore } from "../remote/tiered.js";
import { bullmqItems, type DistributedStage } from "./coordinator.js";
import type { InputMode, LocalTree } from "./inputs.js";
import { openQueueConnection } from "./redis.js";

export type ItemExecutorFor = (stage: ResolvedStage, outcome: StageOutcome) => ItemExecutor | undefined;

/** Checks the queue (reachable, noeviction) and the remote (configured, writable) up front, and
 * returns the per-stage factory the executor calls for fanned-out stages. */
export async function bullmqExecutor(queue: string, pipeline: Pipeline, store: StageStore, inputs: InputMode = "remote"): Promise<ItemExecutorFor> {
  if (!(store instanceof TieredStore))
    throw new Error("--executor bullmq needs a remote cache (`remote:` in pipeline.yaml or DFD_REMOTE): workers fetch the items' inputs from it and put their results there");
  if (store.remote.readOnly) throw new Error(`--executor bullmq needs a writable remote cache; ${store.remote.url} is read-only (read_only / DFD_REMOTE_READ_ONLY)`);
  (await openQueueConnection(queue)).disconnect();
  const remote = store.remote;
  const endpoint = process.env.DFD_REMOTE_ENDPOINT ?? pipeline.config.remote?.endpoint;
  const remoteRef = { url: remote.url, ...(endpoint ? { endpoint } : {}) };
  return (stage, o) => {
    if (!stage.kind.fanOut || !o.components || !o.key) return undefined;
    return {
      run: async (args) => bullmqItems(await describe(stage, o, pipeline, store), { queue, remote, remoteRef, inputs }).run(args),
    };
  };
}

async function describe(stage: ResolvedStage, o: StageOutcome, pipeline: Pipeline, store: StageStore): Promise<DistributedStage> {
  const comps = o.components!;
  const trees: LocalTree[] = [];
  const inputKinds: Record<string, string> = {};
  for (const [name, hash] of Object.entries(comps.inputs)) {
    if (!hash) continue;
    inputKinds[name] = pipeline.stages.get(name)?.kindName ?? "";
    trees.push(await localTree(name, hash, store.objects.dir(hash), store));
  }
  let dataFile: string | undefined;
  if (comps.data && pipeline.data) {
    const s = await stat(pipeline.data);
    const root = s.isFile() ? dirname(pipeline.data) : pipeline.data;
    if (s.isFile()) dataFile = pipeline.data.slice(root.length + 1);
    trees.push(await localTree("data", comps.data.hash, root, store));
  }
  return {
    name: stage.name, uses: stage.kindName, key: o.key!, code: comps.code, env: comps.env, keyParams: comps.params,
    params: stage.params, trees, inputKinds, ...(dataFile ? { dataFile } : {}),
  };
}

/** A tree's file list (stored under its hash when the key was computed; else hashed now) and the
 * sizes of its top-level files. */
async function localTree(name: string, hash: string, root: string, store: StageStore): Promise<LocalTree> {
  let files = await store.lists.get(hash);
  if (!files) {
    const t = await store.hasher.hashTree(root);
    if (t.hash !== hash) throw new Error(`input ${name} (${root}) no longer matches its hash ${hash}: run dfd verify`);
    files = t.files;
  }
  const topSizes: Record<string, number> = {};
  for (const e of await readdir(root, { withFileTypes: true })) if (e.isFile() && files[e.name]) topSizes[e.name] = (await stat(join(root, e.name))).size;
  return { name, hash, root, files, topSizes };
}
