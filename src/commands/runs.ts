// `dfd runs`: the recorded runs, newest first, one row per experiment (fully cached re-runs folded
// into the run they repeat), with the params that vary between them and their headline metrics.
import { existsSync } from "node:fs";
import { ConfigError } from "../runner/diagnostic.js";
import { artifactsDirFor, openArtifacts } from "../runner/project.js";
import { headlineMetrics, runsView } from "../experiments/runs.js";
import { numberColumn, table } from "../experiments/render.js";
import type { Json } from "../params.js";
import { DEFAULT_PIPELINE, guard, type Io } from "./common.js";

/** Param columns shown in the table; the rest are named under it (and all are in --json). */
const MAX_PARAM_COLUMNS = 5;

export function runsCommand(io: Io, flags: { pipeline?: string; json?: boolean; limit?: string; remote?: boolean }): Promise<number> {
  return guard(io, async () => {
    const limit = flags.limit === undefined ? 20 : Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new ConfigError(`--limit ${flags.limit}: expected a whole number ≥ 1`);
    const file = flags.pipeline ?? DEFAULT_PIPELINE;
    if (!flags.remote && !existsSync(artifactsDirFor(file))) {
      io.out(flags.json ? JSON.stringify({ runs: [], varyingParams: [] }) + "\n" : "no runs recorded yet\n");
      return 0;
    }
    // --remote: the team's runs on the remote cache (no local artifacts needed).
    const store = flags.remote
      ? await (await import("../remote/attach.js")).remoteRunLog(file, (m) => io.err(`dfd: ${m}\n`))
      : (await openArtifacts(file)).store;
    const records = store.runs;
    try {
      // One more than shown: the run before the oldest shown, to tell whether that one is a re-run.
      const digests = await records.digests(limit + 1);
      const view = runsView(digests.slice(0, limit), digests[limit]);
      if (flags.json) {
        io.out(JSON.stringify({ runs: view.runs, varyingParams: view.varying }) + "\n");
        return 0;
      }
      if (!view.runs.length) {
        io.out("no runs recorded yet\n");
        return 0;
      }
      const rows = view.experiments;
      const params = view.varying.slice(0, MAX_PARAM_COLUMNS);
      const metricNames = headlineMetrics(rows.flatMap((r) => Object.keys(r.metrics)));
      const metricCells = metricNames.map((m) => numberColumn(rows.map((r) => r.metrics[m])));
      const anyReruns = rows.some((r) => r.reruns.length);
      io.out(
        table([
          ["run", "started", "status", "s", "ran/cached", ...params, ...metricNames, "--set", ...(anyReruns ? [""] : [])],
          ...rows.map((r, i) => [
            r.id, r.startedAt.replace("T", " ").slice(0, 19), r.status, r.seconds === null ? "—" : r.seconds.toFixed(1), `${r.ran}/${r.cached}`,
            ...params.map((p) => show(r.params[p])), ...metricCells.map((c) => c[i]!), r.overrides.join(" "),
            ...(anyReruns ? [r.reruns.length ? `(+${r.reruns.length} cached re-run${r.reruns.length === 1 ? "" : "s"})` : ""] : []),
          ]),
        ]) + "\n",
      );
      const notes: string[] = [];
      if (view.varying.length > params.length) notes.push(`also varying: ${view.varying.slice(params.length).join(", ")}`);
      const folded = view.runs.length - rows.length;
      if (folded) notes.push(`${folded} fully cached re-run${folded === 1 ? "" : "s"} (nothing changed since the run before) folded into the ${folded === 1 ? "run it repeats" : "runs they repeat"}; --json lists every run`);
      if (notes.length) io.out(notes.join("\n") + "\n");
      return 0;
    } finally {
      await store.close();
    }
  }, flags.json && {});
}

/** A param value in a cell; "—" when its stage did not run in that run. */
const show = (v: Json | undefined) => (v === undefined ? "—" : typeof v === "string" ? v : JSON.stringify(v));
