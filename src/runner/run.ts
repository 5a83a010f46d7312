// A run's lifecycle, owned by the runner (commands only render): refuse a read-only store, take
// the artifacts lock (waiting for, or taking over from, another run), clean leftovers of
// interrupted runs, write the run record at the start and after every stage, turn SIGINT/SIGTERM
// into an abort of the running stages (a second signal exits at once), remove the run's temp dir.
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { sha256 } from "./canonical.js";
import { execute, type ExecuteOptions, type RunResult } from "./execute.js";
import type { SelectionOptions } from "./graph.js";
import { acquireLock } from "./lock.js";
import { cleanTmp, type Project } from "./project.js";
import { newRunId, type RunRecord } from "./records.js";
import type { Reporter } from "./reporter.js";

export interface RunOptions extends SelectionOptions {
  jobs?: number;
  reporter?: Reporter;
  lockTimeoutMs?: number;
  /** Install SIGINT/SIGTERM handlers for the run (the CLI does; library users may abort via `signal`). */
  handleSignals?: boolean;
  signal?: AbortSignal;
  /** Told when a signal arrives (the CLI prints a line). */
  onSignal?: (sig: NodeJS.Signals) => void;
  /** Where fanned-out stages' items run (execute.ts); in this process when absent. */
  items?: ExecuteOptions["items"];
}

export interface PipelineRun extends RunResult {
  /** Interrupted while waiting for another run's lock: nothing ran, no record. */
  lockInterrupted?: boolean;
}

export async function runPipeline(project: Project, opts: RunOptions = {}): Promise<PipelineRun> {
  const { pipeline, store, local, artifactsDir } = project;
  local.assertWritable("dfd run");
  const controller = new AbortController();
  const onExternal = () => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener("abort", onExternal, { once: true });
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    opts.onSignal?.(sig);
    controller.abort();
  };
  if (opts.handleSignals) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  const runId = newRunId();
  let lock: { release(): void } | undefined;
  try {
    try {
      lock = await acquireLock(artifactsDir, { runId, command: "dfd run" }, {
        ...(opts.lockTimeoutMs !== undefined ? { timeoutMs: opts.lockTimeoutMs } : {}),
        ...(opts.reporter ? { onWait: (h) => opts.reporter!.waiting(h), onTakeover: (h) => opts.reporter!.takeover(h) } : {}),
        signal: controller.signal,
      });
    } catch (e) {
      if (!controller.signal.aborted) throw e;
      return { status: "interrupted", stages: [], lockInterrupted: true };
    }
    await cleanTmp(artifactsDir);
    const record: RunRecord = {
      id: runId, pid: process.pid, startedAt: new Date().toISOString(), finishedAt: null,
      pipeline: { file: pipeline.file, sha256: sha256(readFileSync(pipeline.file)) },
      overrides: pipeline.overrides, data: pipeline.data, status: "running", stages: [],
    };
    let result: RunResult;
    try {
      result = await execute(pipeline, {
        from: opts.from, until: opts.until, only: opts.only, force: opts.force,
        store, artifactsDir, runId, record, jobs: opts.jobs, signal: controller.signal,
        ...(opts.reporter ? { reporter: opts.reporter } : {}),
        ...(opts.items ? { items: opts.items } : {}),
      });
    } finally {
      await rm(join(artifactsDir, "tmp", runId), { recursive: true, force: true }).catch(() => {});
    }
    // Deleted mid-run: the record's database went with it (the CLI says so).
    if (result.artifactsDeleted) return result;
    record.status = result.status;
    record.finishedAt = new Date().toISOString();
    await store.runs.put(record);
    return result;
  } finally {
    opts.signal?.removeEventListener("abort", onExternal);
    if (opts.handleSignals) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    lock?.release();
  }
}
