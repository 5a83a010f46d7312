// `dfd compare <A> <B>`: params that differ, metrics with deltas, shared vs different stages, and
// the first divergence with its reasons, and a warning when the runs were tested on different
// test sets. --md for CI job summaries, --json for scripts. A ref that names no run exits 2. With a
// remote cache, runs and cache entries made on other machines resolve too.
import { existsSync } from "node:fs";
import { ConfigError } from "../runner/diagnostic.js";
import { artifactsDirFor, openShared } from "../runner/project.js";
import { compareRuns } from "../experiments/compare.js";
import { renderComparisonMarkdown, renderComparisonText } from "../experiments/render.js";
import { DEFAULT_PIPELINE, guard, type Io } from "./common.js";

export function compareCommand(io: Io, refA: string, refB: string, flags: { pipeline?: string; json?: boolean; md?: boolean }): Promise<number> {
  return guard(io, async () => {
    if (flags.json && flags.md) throw new ConfigError("--json and --md: choose one");
    const file = flags.pipeline ?? DEFAULT_PIPELINE;
    if (!existsSync(artifactsDirFor(file))) throw new ConfigError(`${refA}: no runs recorded yet (no ${artifactsDirFor(file)}): \`dfd run\` first`);
    // With a remote cache, runs and cache entries made on other machines resolve too.
    const { store } = await openShared(file);
    const records = store.runs;
    try {
      const a = await records.resolve(refA);
      const b = await records.resolve(refB);
      const c = await compareRuns(a, b, async (key) => (await store.index.get(key))?.components, (hash) => store.lists.get(hash));
      io.out((flags.json ? JSON.stringify(c) : flags.md ? renderComparisonMarkdown(c) : renderComparisonText(c)) + "\n");
      return 0;
    } finally {
      await store.close();
    }
  }, flags.json && {});
}
