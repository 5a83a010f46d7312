// `dfd verify`: re-reads every object in the store (ignoring the state table) and reports any whose
// content no longer matches its address, and index entries whose object is gone. `dfd run` already
// treats those as misses; verify is the thorough check (it also catches edits that kept mtime).
import { short } from "../runner/canonical.js";
import { openArtifacts } from "../runner/project.js";
import { guard, pipelineFile, type Io } from "./common.js";

export function verifyCommand(io: Io, file: string | undefined, flags: { pipeline?: string; json?: boolean }): Promise<number> {
  return guard(io, async () => {
    const { store } = await openArtifacts(pipelineFile(file, flags.pipeline));
    try {
      const r = await store.verifyAll();
      const human = flags.json ? io.err : io.out;
      for (const b of r.bad) {
        // The advice must be true: an object some entry points at is re-made by the next run that
        // needs it; one that nothing points at is garbage that `dfd gc` removes.
        const advice = b.stages.length ? `output of ${b.stages.join(", ")} — the next dfd run that needs it re-runs it` : "no cache entry points at it — dfd gc removes it";
        human(`✗ ${store.objectDir(b.hash)}: content does not match its address (${b.state}); ${advice}\n`);
      }
      for (const e of r.danglingEntries)
        human(`✗ cache entry for ${e.stage} (run ${e.runId}) points at missing object ${short(e.outputHash)} — the next dfd run re-runs it\n`);
      const ok = r.bad.length === 0 && r.danglingEntries.length === 0;
      human(ok ? `verified ${r.checked} object${r.checked === 1 ? "" : "s"}: all intact\n` : `verified ${r.checked} objects: ${r.bad.length} damaged, ${r.danglingEntries.length} missing\n`);
      if (flags.json)
        io.out(JSON.stringify({ ok, checked: r.checked, bad: r.bad.map((b) => ({ hash: b.hash, state: b.state, stages: b.stages, referenced: b.stages.length > 0 })), missing: r.danglingEntries.map((e) => ({ stage: e.stage, hash: e.outputHash, run: e.runId })) }) + "\n");
      return ok ? 0 : 1;
    } finally {
      await store.close();
    }
  }, flags.json && {});
}
