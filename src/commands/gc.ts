// `dfd gc`: frees cached outputs that neither the workspace (what pipeline.yaml as written
// resolves to, DVC's `gc --workspace`) nor the last N runs reference, and every damaged object
// (see src/experiments/gc.ts for the policy). Holds the artifacts lock so it never deletes under a
// running `dfd run`.
import { planGc, treeSize, type GcOptions, type StoreView } from "../experiments/gc.js";
import { formatBytes, parseAge, parseSize } from "../experiments/units.js";
import { short } from "../runner/canonical.js";
import { ConfigError } from "../runner/diagnostic.js";
import type { LocalStore } from "../runner/local-store.js";
import { acquireLock } from "../runner/lock.js";
import { plan } from "../runner/plan.js";
import { cleanTmp, openArtifacts, openProject } from "../runner/project.js";
import { guard, pipelineFile, type Io } from "./common.js";

export interface GcFlags {
  pipeline?: string;
  keepLast?: string;
  maxSize?: string;
  olderThan?: string;
  dryRun?: boolean;
  json?: boolean;
}

const usage = (f: () => number): number => {
  try {
    return f();
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
};

export function gcCommand(io: Io, flags: GcFlags): Promise<number> {
  return guard(io, async () => {
    const keepLast = flags.keepLast === undefined ? 5 : Number(flags.keepLast);
    if (!/^\s*\d+\s*$/.test(flags.keepLast ?? "5") || keepLast < 1) throw new ConfigError(`--keep-last ${flags.keepLast}: expected a whole number ≥ 1 (the latest run is always kept)`);
    const opts: GcOptions = {
      keepLast,
      ...(flags.maxSize !== undefined ? { maxSize: usage(() => parseSize(flags.maxSize!)) } : {}),
      ...(flags.olderThan !== undefined ? { olderThanMs: usage(() => parseAge(flags.olderThan!)) } : {}),
    };
    const file = pipelineFile(undefined, flags.pipeline);
    const human = flags.json ? io.err : io.out;
    const workspace = await workspaceKeys(io, file, human);
    const { dir, store } = await openArtifacts(file);
    try {
      if (!flags.dryRun) store.assertWritable("dfd gc");
      const lock = flags.dryRun ? undefined : await acquireLock(dir, { command: "gc" }, {
        onWait: (h) => io.err(`dfd gc: waiting for PID ${h.pid} (${h.command ?? "dfd run"} started ${h.startedAt}) to finish…\n`),
      });
      try {
        const plan = planGc(await viewOf(store, workspace), opts);
        for (const o of plan.remove)
          human(`${flags.dryRun ? "would remove" : "remove"} ${short(o.hash)}  ${formatBytes(o.bytes).padStart(9)}  ${o.stages.join(", ") || "(no stage)"}  ${o.damaged ? "damaged" : `last used ${new Date(o.lastUsed).toISOString().slice(0, 16).replace("T", " ")}`}\n`);
        if (!flags.dryRun) {
          // Entries first: an interrupted gc leaves objects without entries (garbage), never the reverse.
          for (const key of plan.removeEntries) await store.deleteEntry(key);
          for (const o of plan.remove) await store.deleteObject(o.hash);
          await cleanTmp(dir);
        }
        const kept = plan.keep.reduce((n, o) => n + o.bytes, 0);
        human(
          `${flags.dryRun ? "dry run: would free" : "freed"} ${formatBytes(plan.freedBytes)} in ${plan.remove.length} output${plan.remove.length === 1 ? "" : "s"}` +
            ` (${plan.removeEntries.length} cache entr${plan.removeEntries.length === 1 ? "y" : "ies"}); kept ${plan.keep.length} (${formatBytes(kept)}) used by the workspace or by ${plan.keptRuns.length} run${plan.keptRuns.length === 1 ? "" : "s"}\n`,
        );
        if (plan.note) human(`note: ${plan.note}\n`);
        if (flags.json)
          io.out(JSON.stringify({
            dryRun: !!flags.dryRun, freedBytes: plan.freedBytes, keptBytes: kept, totalBytes: plan.totalBytes,
            removed: plan.remove.map((o) => ({ hash: o.hash, bytes: o.bytes, stages: o.stages, ...(o.damaged ? { damaged: true } : {}) })), removedEntries: plan.removeEntries.length,
            kept: plan.keep.length, keptRuns: plan.keptRuns, workspaceKeys: workspace?.length ?? null, ...(plan.note ? { note: plan.note } : {}),
          }) + "\n");
        return 0;
      } finally {
        lock?.release();
      }
    } finally {
      await store.close();
    }
  }, flags.json && {});
}

/** The keys pipeline.yaml as written resolves to (its cached stages), or undefined with a warning
 * when it cannot be resolved (gc then keeps each stage's last-used entry instead). */
async function workspaceKeys(io: Io, file: string, human: (s: string) => void): Promise<string[] | undefined> {
  let project;
  try {
    project = await openProject(file, { registry: io.registry, cwd: io.cwd });
  } catch (e) {
    human(`warning: cannot resolve ${file} (${(e as Error).message.split("\n")[0]}): keeping each stage's last-used output as the workspace\n`);
    return undefined;
  }
  try {
    const outcomes = await plan(project.pipeline, { store: project.store, artifactsDir: project.artifactsDir });
    return outcomes.filter((o) => o.status === "cached" && o.key).map((o) => o.key!);
  } finally {
    await project.close();
  }
}

async function viewOf(store: LocalStore, workspace: string[] | undefined): Promise<StoreView> {
  const [hashes, entries, runs] = await Promise.all([store.objectHashes(), store.entries(), store.runs.digests()]);
  const objects = await Promise.all(hashes.map(async (hash) => ({ hash, ...(await treeSize(store.objectDir(hash))), damaged: (await store.checkObject(hash)) !== "ok" })));
  const currentKeys = workspace ?? [...(await store.lastKeys()).values()];
  return { objects, entries, runs, currentKeys };
}
