// `dfd gc`: frees cached outputs that no kept run references (see src/experiments/gc.ts for the
// policy). Holds the artifacts lock so it never deletes under a running `dfd run`.
import { planGc, treeSize, type GcOptions, type StoreView } from "../experiments/gc.js";
import { formatBytes, parseAge, parseSize } from "../experiments/units.js";
import { short } from "../runner/canonical.js";
import { acquireLock } from "../runner/lock.js";
import { cleanTmp, openArtifacts } from "../runner/project.js";
import type { Records } from "../runner/records.js";
import type { Store } from "../runner/store.js";
import { DEFAULT_PIPELINE, guard, type Io } from "./common.js";

export interface GcFlags {
  pipeline?: string;
  keepLast?: string;
  maxSize?: string;
  olderThan?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function gcCommand(io: Io, flags: GcFlags): Promise<number> {
  return guard(io, async () => {
    const keepLast = flags.keepLast === undefined ? 5 : Number(flags.keepLast);
    if (!Number.isInteger(keepLast) || keepLast < 1) throw new Error(`--keep-last ${flags.keepLast}: expected a whole number ≥ 1 (the latest run is always kept)`);
    const opts: GcOptions = {
      keepLast,
      ...(flags.maxSize !== undefined ? { maxSize: parseSize(flags.maxSize) } : {}),
      ...(flags.olderThan !== undefined ? { olderThanMs: parseAge(flags.olderThan) } : {}),
    };
    const { dir, store, records } = await openArtifacts(flags.pipeline ?? DEFAULT_PIPELINE);
    const lock = await acquireLock(dir, { command: "gc" }, {
      onWait: (h) => io.err(`dfd gc: waiting for PID ${h.pid} (${h.command ?? "dfd run"} started ${h.startedAt}) to finish…\n`),
    });
    try {
      const plan = planGc(await viewOf(store, records), opts);
      const human = flags.json ? io.err : io.out;
      for (const o of plan.remove)
        human(`${flags.dryRun ? "would remove" : "remove"} ${short(o.hash)}  ${formatBytes(o.bytes).padStart(9)}  ${o.stages.join(", ") || "(no stage)"}  last used ${new Date(o.lastUsed).toISOString().slice(0, 16).replace("T", " ")}\n`);
      if (!flags.dryRun) {
        // Entries first: an interrupted gc leaves objects without entries (garbage), never the reverse.
        for (const key of plan.removeEntries) await store.deleteEntry(key);
        for (const o of plan.remove) await store.deleteObject(o.hash);
        await cleanTmp(dir);
      }
      const kept = plan.keep.reduce((n, o) => n + o.bytes, 0);
      human(
        `${flags.dryRun ? "dry run: would free" : "freed"} ${formatBytes(plan.freedBytes)} in ${plan.remove.length} output${plan.remove.length === 1 ? "" : "s"}` +
          ` (${plan.removeEntries.length} cache entr${plan.removeEntries.length === 1 ? "y" : "ies"}); kept ${plan.keep.length} (${formatBytes(kept)}) referenced by ${plan.keptRuns.length} run${plan.keptRuns.length === 1 ? "" : "s"} or current entries\n`,
      );
      if (plan.note) human(`note: ${plan.note}\n`);
      if (flags.json)
        io.out(JSON.stringify({
          dryRun: !!flags.dryRun, freedBytes: plan.freedBytes, keptBytes: kept, totalBytes: plan.totalBytes,
          removed: plan.remove.map((o) => ({ hash: o.hash, bytes: o.bytes, stages: o.stages })), removedEntries: plan.removeEntries.length,
          kept: plan.keep.length, keptRuns: plan.keptRuns, ...(plan.note ? { note: plan.note } : {}),
        }) + "\n");
      return 0;
    } finally {
      lock.release();
      await store.close();
    }
  }, flags.json && {});
}

async function viewOf(store: Store, records: Records): Promise<StoreView> {
  const [hashes, entries, runs] = await Promise.all([store.objectHashes(), store.entries(), records.list()]);
  const objects = await Promise.all(hashes.map(async (hash) => ({ hash, ...(await treeSize(store.objectDir(hash))) })));
  const stages = [...new Set([...entries.map((e) => e.stage), ...runs.flatMap((r) => r.stages.map((s) => s.name))])];
  const currentKeys = (await Promise.all(stages.map((s) => store.getLastKey(s)))).filter((k): k is string => !!k);
  return { objects, entries, runs, currentKeys };
}
