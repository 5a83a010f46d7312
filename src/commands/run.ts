// `dfd run [pipeline.yaml]`: run what is stale, reuse what is cached.
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { availableParallelism } from "node:os";
import { sha256 } from "../runner/canonical.js";
import { execute, type RunResult } from "../runner/executor.js";
import { acquireLock } from "../runner/lock.js";
import { cleanTmp, openProject } from "../runner/project.js";
import { newRunId, Records, type RunRecord } from "../runner/records.js";
import { plainReporter, summaryTable, ttyReporter } from "../runner/reporter.js";
import { checkStages, DEFAULT_PIPELINE, guard, splitNames, type Io } from "./common.js";

export interface RunFlags {
  from?: string;
  until?: string;
  only?: string[];
  force?: string[] | boolean;
  dryRun?: boolean;
  set?: string[];
  jobs?: string;
  json?: boolean;
  lockTimeout?: string;
}

export function runCommand(io: Io, file: string, flags: RunFlags): Promise<number> {
  return guard(io, async () => {
    const jobs = flags.jobs === undefined ? availableParallelism() : Number(flags.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs ${flags.jobs}: expected a whole number ≥ 1`);
    // `dfd run --force pipeline.yaml`: a variadic flag swallowed the pipeline file; take it back.
    for (const list of [flags.only, Array.isArray(flags.force) ? flags.force : undefined]) {
      const i = list?.findIndex((s) => /\.ya?ml$/.test(s)) ?? -1;
      if (list && i >= 0 && file === DEFAULT_PIPELINE) file = list.splice(i, 1)[0]!;
    }
    if (Array.isArray(flags.force) && flags.force.length === 0) flags.force = true;
    const project = await openProject(file, { registry: io.registry, sets: flags.set ?? [] });
    const { pipeline, store, artifactsDir } = project;
    const only = splitNames(flags.only);
    const force = flags.force === undefined || flags.force === false ? undefined : flags.force === true ? [] : splitNames(flags.force)!;
    const named = [flags.from, flags.until, ...(only ?? []), ...(force ?? [])].filter((n): n is string => !!n);
    checkStages(pipeline, named, "--from/--until/--only/--force");
    const select = { from: flags.from, until: flags.until, only, force };
    // Human output goes to stderr when stdout carries --json, so the JSON stays the last line.
    const human = flags.json ? io.err : io.out;

    if (flags.dryRun) {
      try {
        const result = await execute(pipeline, { ...select, store, mode: "plan", jobs, artifactsDir });
        human(planText(result));
        if (flags.json) io.out(JSON.stringify(jsonOf(result)) + "\n");
        return 0;
      } finally {
        await project.close();
      }
    }

    const reporter = io.live ? ttyReporter(io.err) : plainReporter(io.err);
    const controller = new AbortController();
    let interrupts = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      io.err(`\ndfd: ${sig}: stopping running stages (again to quit at once)…\n`);
      controller.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    const runId = newRunId();
    let lock: { release(): void } | undefined;
    try {
      const timeout = flags.lockTimeout === undefined ? undefined : Number(flags.lockTimeout) * 1000;
      try {
        lock = await acquireLock(artifactsDir, { runId, command: "dfd run" }, {
          ...(timeout !== undefined ? { timeoutMs: timeout } : {}),
          onWait: (h) => reporter.waiting(h),
          onTakeover: (h) => reporter.takeover(h),
          signal: controller.signal,
        });
      } catch (e) {
        reporter.close();
        if (!controller.signal.aborted) throw e;
        io.err("dfd: interrupted while waiting for the lock; nothing ran\n");
        return 130;
      }
      await cleanTmp(artifactsDir);
      const record: RunRecord = {
        id: runId, pid: process.pid, startedAt: new Date().toISOString(), finishedAt: null,
        pipeline: { file: pipeline.file, sha256: sha256(readFileSync(pipeline.file)) },
        overrides: pipeline.overrides, data: pipeline.data, status: "running", stages: [],
      };
      let result: RunResult;
      try {
        result = await execute(pipeline, { ...select, store, mode: "run", jobs, signal: controller.signal, runId, record, reporter, artifactsDir });
      } finally {
        reporter.close();
        await rm(join(artifactsDir, "tmp", runId), { recursive: true, force: true }).catch(() => {});
      }
      record.status = result.status;
      record.finishedAt = new Date().toISOString();
      await new Records(store.db).put(record);
      human(summaryTable(result.stages, runId));
      const failed = result.stages.filter((s) => s.status === "failed");
      for (const f of failed) io.err(`dfd: stage ${f.name} failed: ${f.error?.split("\n")[0]}${f.log ? ` (log: ${f.log})` : ""}\n`);
      if (process.env.DFD_STATS) {
        const st = store.hasher.stats;
        io.err(`dfd: hashed ${st.files} files, read ${st.filesRead} (${(st.bytesRead / 1e6).toFixed(1)} MB in ${st.readMs.toFixed(0)} ms)\n`);
      }
      if (flags.json) io.out(JSON.stringify(jsonOf(result)) + "\n");
      return result.status === "ok" ? 0 : result.status === "interrupted" ? 130 : 1;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      lock?.release();
      await project.close();
    }
  }, flags.json && { run: null, stages: [] });
}

/** The `--json` object: exactly the issue's shape. */
export function jsonOf(r: RunResult): { run: string | null; status: string; stages: { name: string; status: string; key: string | null; reasons: string[]; seconds: number }[] } {
  return {
    run: r.runId ?? null,
    status: r.status,
    stages: r.stages.map((s) => ({ name: s.name, status: s.status, key: s.key, reasons: s.reasons, seconds: Math.round(s.seconds * 1000) / 1000 })),
  };
}

function planText(r: RunResult): string {
  const lines = ["dry run: nothing is executed"];
  for (const s of r.stages) {
    const label = s.status === "would-run" ? "would run" : s.status;
    lines.push(`${s.name}: ${label}`);
    for (const reason of s.reasons) lines.push(`    ${reason}`);
  }
  return lines.join("\n") + "\n";
}
