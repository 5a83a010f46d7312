// `dfd pull [--run REF]`: downloads from the remote cache what it has for pipeline.yaml's stages
// (the keys a run would use now), or for a recorded run's stages (--run: an id, a prefix,
// latest~N; looked up here, then on the remote). Every file is re-hashed against its address
// before it is committed; remote problems are errors here (exit 1), not warnings.
import { acquireLock } from "../runner/lock.js";
import { Planner } from "../runner/plan.js";
import { cleanTmp, openArtifacts, openProject } from "../runner/project.js";
import { attachRemote, remoteSpecOf } from "../remote/attach.js";
import { TieredStore } from "../remote/tiered.js";
import { DEFAULT_PIPELINE, guard, type Io } from "./common.js";

export interface PullFlags {
  pipeline?: string;
  run?: string;
  set?: string[];
  json?: boolean;
}

const NO_REMOTE = "no remote cache configured: set `remote:` in pipeline.yaml or DFD_REMOTE (see docs/team.md)";

export function pullCommand(io: Io, flags: PullFlags): Promise<number> {
  return guard(io, async () => {
    const file = flags.pipeline ?? DEFAULT_PIPELINE;
    const human = flags.json ? io.err : io.out;
    const t0 = Date.now();
    const stages: { name: string; result: string }[] = [];
    const report = (name: string, result: string) => {
      stages.push({ name, result });
      human(`${name}: ${result}\n`);
    };
    let store: TieredStore;
    let artifactsDir: string;
    let lock: { release(): void } | undefined;
    try {
      if (flags.run) {
        const { dir, store: local } = await openArtifacts(file);
        artifactsDir = dir;
        const s = await attachRemote(local, remoteSpecOf(file), { artifactsDir: dir, strict: true });
        if (!(s instanceof TieredStore)) { await local.close(); throw new Error(NO_REMOTE); }
        store = s;
        lock = await acquireLock(dir, { command: "dfd pull" });
        await cleanTmp(dir);
        const run = await store.runs.resolve(flags.run);
        for (const st of run.stages) {
          if (!st.key || !st.outputHash) continue;
          const record = await store.remote.getRecord(st.key);
          if (!record) { report(st.name, "not on the remote"); continue; }
          const before = await store.local.objects.check(record.entry.outputHash);
          const state = await store.pullRecord(record);
          report(st.name, state !== "ok" ? `not pulled (${state})` : before === "ok" ? "already here" : "pulled");
        }
      } else {
        const project = await openProject(file, { registry: io.registry, sets: flags.set ?? [], cwd: io.cwd, remote: { strict: true } });
        artifactsDir = project.artifactsDir;
        if (!(project.store instanceof TieredStore)) { await project.close(); throw new Error(NO_REMOTE); }
        store = project.store;
        lock = await acquireLock(artifactsDir, { command: "dfd pull" });
        await cleanTmp(artifactsDir);
        const outcomes = await new Planner(project.pipeline, { store, artifactsDir }).plan();
        // Every stage's download at once (each moves up to 8 files at a time).
        const results = await Promise.all(outcomes.map(async (o) => {
          if (o.status === "cached" && o.remote && o.outputHash) {
            const state = await store.objects.fetch(o.outputHash);
            return state === "ok" ? "pulled" : `not pulled (${state})`;
          }
          if (o.status === "cached") return "already here";
          if (o.notNeeded) return "not needed";
          return o.status === "would-run" ? "not on the remote (it would run)" : "not on the remote";
        }));
        outcomes.forEach((o, i) => report(o.name, results[i]!));
      }
    } catch (e) {
      lock?.release();
      throw e;
    }
    try {
      const seconds = (Date.now() - t0) / 1000;
      const st = store.stats;
      const r = store.remote.backend.stats;
      const mb = st.downloadedBytes / 1e6;
      human(`pulled ${st.downloaded} output(s), ${mb.toFixed(1)} MB in ${seconds.toFixed(1)} s (${(mb / Math.max(seconds, 1e-3)).toFixed(1)} MB/s, ${r.get + r.head + r.list} requests) from ${store.remote.url}\n`);
      if (flags.json) io.out(JSON.stringify({ remote: store.remote.url, stages, downloaded: st.downloaded, downloadedBytes: st.downloadedBytes, requests: r, seconds }) + "\n");
      return stages.some((s) => s.result.startsWith("not pulled")) ? 1 : 0;
    } finally {
      lock?.release();
      await store.close();
    }
  }, flags.json && {});
}
