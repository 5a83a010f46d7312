// `dfd run [pipeline.yaml]`: run what is stale, reuse what is cached. The lifecycle (lock,
// record, signals, temp dirs) is the runner's (src/runner/run.ts); this renders.
import { availableParallelism } from "node:os";
import { ConfigError } from "../runner/diagnostic.js";
import type { RunResult } from "../runner/execute.js";
import { Planner, type StageOutcome } from "../runner/plan.js";
import { openProject } from "../runner/project.js";
import { renderReasons } from "../runner/reasons.js";
import { plainReporter, summaryTable, ttyReporter } from "../runner/reporter.js";
import { runPipeline } from "../runner/run.js";
import type { Pipeline } from "../runner/resolve.js";
import type { StageStore } from "../runner/store-api.js";
import { checkStages, DEFAULT_PIPELINE, guard, pipelineFile, splitNames, type Io } from "./common.js";

export interface RunFlags {
  pipeline?: string;
  from?: string;
  until?: string;
  only?: string[];
  force?: string[] | boolean;
  dryRun?: boolean;
  set?: string[];
  jobs?: string;
  json?: boolean;
  lockTimeout?: string;
  executor?: string;
  queue?: string;
  inputs?: string;
}

export function runCommand(io: Io, positional: string | undefined, flags: RunFlags): Promise<number> {
  return guard(io, async () => {
    const jobs = flags.jobs === undefined ? availableParallelism() : Number(flags.jobs);
    if (!/^\s*\d+\s*$/.test(flags.jobs ?? "1") || !Number.isInteger(jobs) || jobs < 1) throw new ConfigError(`--jobs ${flags.jobs}: expected a whole number ≥ 1`);
    const timeout = flags.lockTimeout === undefined ? undefined : Number(flags.lockTimeout);
    if (timeout !== undefined && !(timeout >= 0)) throw new ConfigError(`--lock-timeout ${flags.lockTimeout}: expected seconds ≥ 0`);
    // `dfd run --force pipeline.yaml`: a variadic flag swallowed the pipeline file; take it back.
    let file = positional;
    for (const list of [flags.only, Array.isArray(flags.force) ? flags.force : undefined]) {
      const i = list?.findIndex((s) => /\.ya?ml$/.test(s)) ?? -1;
      if (list && i >= 0 && file === undefined && flags.pipeline === undefined) file = list.splice(i, 1)[0]!;
    }
    if (Array.isArray(flags.force) && flags.force.length === 0) flags.force = true;
    const project = await openProject(pipelineFile(file, flags.pipeline) ?? DEFAULT_PIPELINE, { registry: io.registry, sets: flags.set ?? [], cwd: io.cwd });
    const { pipeline, store, artifactsDir } = project;
    try {
      const only = splitNames(flags.only);
      const force = flags.force === undefined || flags.force === false ? undefined : flags.force === true ? [] : splitNames(flags.force)!;
      checkStages(pipeline, [
        ...(flags.from ? [["--from", flags.from] as [string, string]] : []),
        ...(flags.until ? [["--until", flags.until] as [string, string]] : []),
        ...(only ?? []).map((n): [string, string] => ["--only", n]),
        ...(force ?? []).map((n): [string, string] => ["--force", n]),
      ]);
      const select = { from: flags.from, until: flags.until, only, force };
      // Human output goes to stderr when stdout carries --json, so the JSON stays the last line.
      const human = flags.json ? io.err : io.out;

      if (flags.dryRun) {
        const outcomes = await new Planner(pipeline, { ...select, store, artifactsDir }).plan();
        human(planText(outcomes));
        if (flags.json) io.out(JSON.stringify(jsonOf({ status: "ok", stages: outcomes })) + "\n");
        return 0;
      }

      // --executor bullmq / `executor:`: fanned-out stages' items go to `dfd worker`s.
      const items = await distributedItems(pipeline, store, flags);
      const reporter = io.live ? ttyReporter(io.err) : plainReporter(io.err);
      let result;
      try {
        result = await runPipeline(project, {
          ...select, jobs, reporter, handleSignals: true, ...(items ? { items } : {}),
          ...(timeout !== undefined ? { lockTimeoutMs: timeout * 1000 } : {}),
          onSignal: (sig) => io.err(`\ndfd: ${sig}: stopping running stages (again to quit at once)…\n`),
        });
      } finally {
        reporter.close();
      }
      if (result.lockInterrupted) {
        io.err("dfd: interrupted while waiting for the lock; nothing ran\n");
        if (flags.json) io.out(JSON.stringify(jsonOf(result)) + "\n");
        return 130;
      }
      human(summaryTable(result.stages, result.artifactsDeleted ? undefined : result.runId));
      if (result.artifactsDeleted)
        io.err(`dfd: the artifacts directory ${artifactsDir} was deleted during the run: the run stopped, and nothing of it was kept (no outputs, no cache entries, no run record); \`dfd run\` again starts afresh\n`);
      else for (const f of result.stages.filter((s) => s.status === "failed"))
        io.err(`dfd: stage ${f.name} failed: ${f.error?.split("\n")[0]}${f.log ? ` (log: ${f.log})` : ""}\n`);
      if (process.env.DFD_STATS) {
        const st = store.hasher.stats;
        io.err(`dfd: hashed ${st.files} files, read ${st.filesRead} (${(st.bytesRead / 1e6).toFixed(1)} MB in ${st.readMs.toFixed(0)} ms)\n`);
      }
      if (flags.json) io.out(JSON.stringify(jsonOf(result)) + "\n");
      return result.status === "ok" ? 0 : result.status === "interrupted" ? 130 : 1;
    } finally {
      await project.close();
    }
  }, flags.json && { run: null, stages: [] });
}

/** The `--json` object. */
export function jsonOf(r: RunResult): { run: string | null; status: string; error?: string; stages: { name: string; status: string; key: string | null; reasons: string[]; seconds: number }[] } {
  return {
    run: r.artifactsDeleted ? null : r.runId ?? null,
    ...(r.artifactsDeleted ? { error: "the artifacts directory was deleted during the run: nothing of it was kept" } : {}),
    status: r.status,
    stages: r.stages.map((s) => ({ name: s.name, status: s.status, key: s.key, reasons: renderReasons(s.reasons), seconds: Math.round(s.seconds * 1000) / 1000 })),
  };
}

function planText(outcomes: StageOutcome[]): string {
  const lines = ["dry run: nothing is executed"];
  for (const s of outcomes) {
    const label = s.status === "would-run" ? "would run" : s.remote ? "cached (on the remote: would be fetched)" : s.status;
    lines.push(`${s.name}: ${label}`);
    for (const reason of renderReasons(s.reasons)) lines.push(`    ${reason}`);
  }
  return lines.join("\n") + "\n";
}

/** The item executor factory for `--executor bullmq` (flags over `executor:` in pipeline.yaml). */
async function distributedItems(pipeline: Pipeline, store: StageStore, flags: RunFlags) {
  if (flags.executor === undefined && flags.queue === undefined && !pipeline.config.executor) return undefined;
  const { resolveExecutor } = await import("../distributed/config.js");
  let spec;
  try {
    spec = resolveExecutor(pipeline.config.executor, flags);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  if (spec.type === "local") return undefined;
  const { bullmqExecutor } = await import("../distributed/executor.js");
  return bullmqExecutor(spec.queue, pipeline, store, spec.inputs);
}
