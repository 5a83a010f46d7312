// `dfd verify`: re-reads every object in the store (ignoring the state table) and reports any whose
// content no longer matches its address, and index entries whose object is gone. `dfd run` already
// treats those as misses; verify is the thorough check (it also catches edits that kept mtime).
import { short } from "../runner/canonical.js";
import { openArtifacts } from "../runner/project.js";
import { guard, type Io } from "./common.js";

export function verifyCommand(io: Io, file: string, flags: { json?: boolean }): Promise<number> {
  return guard(io, async () => {
    const { store } = await openArtifacts(file);
    try {
      const r = await store.verify();
      const human = flags.json ? io.err : io.out;
      for (const b of r.bad)
        human(`✗ ${store.objectDir(b.hash)}: content does not match its address (${b.state})${b.stages.length ? `; output of ${b.stages.join(", ")}` : ""} — the next dfd run re-runs it\n`);
      for (const e of r.danglingEntries)
        human(`✗ cache entry for ${e.stage} (run ${e.runId}) points at missing object ${short(e.outputHash)} — the next dfd run re-runs it\n`);
      const ok = r.bad.length === 0 && r.danglingEntries.length === 0;
      human(ok ? `verified ${r.checked} object${r.checked === 1 ? "" : "s"}: all intact\n` : `verified ${r.checked} objects: ${r.bad.length} damaged, ${r.danglingEntries.length} missing\n`);
      if (flags.json)
        io.out(JSON.stringify({ ok, checked: r.checked, bad: r.bad.map((b) => ({ hash: b.hash, state: b.state, stages: b.stages })), missing: r.danglingEntries.map((e) => ({ stage: e.stage, hash: e.outputHash, run: e.runId })) }) + "\n");
      return ok ? 0 : 1;
    } finally {
      await store.close();
    }
  }, flags.json && {});
}
