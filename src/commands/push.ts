// `dfd push [--run REF]`: publishes a run's stage outputs (default: the latest run's) and its run
// record to the remote cache — what a run does by itself after each stage, for outputs that were
// cached before the remote was configured, or a run made with DFD_REMOTE=off. Remote problems are
// errors here (exit 1), not warnings.
import { openArtifacts } from "../runner/project.js";
import { attachRemote, remoteSpecOf } from "../remote/attach.js";
import { TieredStore } from "../remote/tiered.js";
import { DEFAULT_PIPELINE, guard, type Io } from "./common.js";

export interface PushFlags {
  pipeline?: string;
  run?: string;
  json?: boolean;
}

export function pushCommand(io: Io, flags: PushFlags): Promise<number> {
  return guard(io, async () => {
    const file = flags.pipeline ?? DEFAULT_PIPELINE;
    const { dir, store: local } = await openArtifacts(file);
    const store = await attachRemote(local, remoteSpecOf(file), { artifactsDir: dir, strict: true });
    if (!(store instanceof TieredStore)) {
      await local.close();
      throw new Error("no remote cache configured: set `remote:` in pipeline.yaml or DFD_REMOTE (see docs/team.md)");
    }
    const human = flags.json ? io.err : io.out;
    const t0 = Date.now();
    try {
      if (store.remote.readOnly) throw new Error(`the remote cache ${store.remote.url} is read-only (read_only: true or DFD_REMOTE_READ_ONLY=1): push writes nothing`);
      await store.remote.backend.probe();
      const run = await local.runs.resolve(flags.run ?? "latest");
      const stages: { name: string; result: string; key: string | null }[] = [];
      for (const s of run.stages) {
        if (!s.key || !s.outputHash || (s.status !== "ran" && s.status !== "cached")) continue;
        const entry = await local.index.get(s.key);
        if (!entry || (await local.objects.check(entry.outputHash)) !== "ok") {
          stages.push({ name: s.name, result: "not in the local cache any more (gc?)", key: s.key });
          human(`${s.name}: not pushed: its output is no longer in the local cache\n`);
          continue;
        }
        const result = await store.push(entry);
        stages.push({ name: s.name, result, key: s.key });
        human(`${s.name}: ${result === "created" ? "pushed" : result === "existed" ? "already on the remote" : "the remote has another output for this key (kept)"}\n`);
      }
      await store.remote.putRun(run);
      const seconds = (Date.now() - t0) / 1000;
      const st = store.stats;
      human(`run ${run.id} pushed to ${store.remote.url}: ${st.published} new output(s), ${st.uploadedBlobs} blob(s), ${(st.uploadedBytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s\n`);
      if (flags.json) io.out(JSON.stringify({ run: run.id, remote: store.remote.url, stages, uploadedBlobs: st.uploadedBlobs, uploadedBytes: st.uploadedBytes, requests: store.remote.backend.stats, seconds }) + "\n");
      return 0;
    } finally {
      await store.close();
    }
  }, flags.json && {});
}
