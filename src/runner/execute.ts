// Executes a resolved pipeline: topological order, independent stages in parallel up to `jobs`,
// a stage assessed (planner) only once everything it needs is final, cached outputs reused,
// failures contained to their downstream. A stage writes into tmp/<run>/<stage>/out; the runner
// hashes it, commits it to the object store and only then writes the cache entry. The run's
// lifecycle around this (lock, record, signals, tmp cleanup) is in run.ts.
import { appendFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import type { Logger, Provenance, StageContext, StageInput, StageSummary } from "../stage.js";
import { FileHasher } from "./filehash.js";
import { runKind, type ItemExecutor } from "./in-process.js";
import { Planner, type PlannerOptions, type StageOutcome } from "./plan.js";
import { renderReasons } from "./reasons.js";
import type { RunRecord, StageRecord } from "./records.js";
import type { Reporter } from "./reporter.js";
import type { ResolvedStage } from "./resolve.js";
import type { Pipeline } from "./resolve.js";
import type { CacheEntry } from "./store-api.js";
import { absolutePaths } from "./validate-params.js";

export interface RunResult {
  runId?: string;
  status: "ok" | "failed" | "interrupted";
  stages: StageOutcome[];
  /** The artifacts directory was deleted (or replaced) during the run: the run stopped, and
   * nothing of it is kept (outputs, cache entries, the run record). */
  artifactsDeleted?: boolean;
}

export interface ExecuteOptions extends PlannerOptions {
  runId: string;
  /** Written at start and after every stage. */
  record: RunRecord;
  reporter?: Reporter;
  jobs?: number;
  signal?: AbortSignal;
  /** Where a fanned-out stage's items run (default: in this process); see in-process.ts. */
  items?: (stage: ResolvedStage, outcome: StageOutcome) => ItemExecutor | undefined;
}

export async function execute(pipeline: Pipeline, opts: ExecuteOptions): Promise<RunResult> {
  const { store, runId, record } = opts;
  const planner = new Planner(pipeline, opts);
  const considered = planner.considered();
  const jobs = Math.max(1, opts.jobs ?? availableParallelism());
  const outcomes = new Map<string, StageOutcome>();
  const artifactsDir = opts.artifactsDir;
  // The artifacts directory deleted (or replaced) mid-run: stop the running stages and start no
  // other (a stage's output could not be kept, and mkdir would recreate a half directory).
  const lost = new AbortController();
  mkdirSync(artifactsDir, { recursive: true });
  const home = identity(artifactsDir);
  const deleted = () => lost.signal.aborted || (home !== identity(artifactsDir) && (lost.abort(), true));
  const watch = setInterval(deleted, 1000);
  watch.unref();
  const signal = opts.signal ? AbortSignal.any([opts.signal, lost.signal]) : lost.signal;
  const interrupted = () => signal.aborted && !lost.signal.aborted;
  const itemsFor = (stage: ResolvedStage, o: StageOutcome): { items?: ItemExecutor } => {
    const items = opts.items?.(stage, o);
    return items ? { items } : {};
  };
  let saving: Promise<void> = Promise.resolve();
  const saveRecord = () => {
    record.stages = considered.filter((n) => outcomes.has(n)).map((n) => toRecord(outcomes.get(n)!));
    // A JSON round trip, not structuredClone: a stage's summary may hold things that cannot be
    // cloned (a function, a class instance); the record keeps what JSON keeps.
    const snapshot = JSON.parse(JSON.stringify(record)) as RunRecord;
    saving = saving.then(() => store.runs.put(snapshot));
    return saving;
  };

  // A tiny semaphore for `jobs` concurrently executing stages.
  let free = jobs;
  const waiters: (() => void)[] = [];
  const acquire = () => (free > 0 ? (free--, Promise.resolve()) : new Promise<void>((r) => waiters.push(r)));
  const releaseSlot = () => { const w = waiters.shift(); if (w) w(); else free++; };

  const done = new Map<string, Promise<StageOutcome>>();
  const visit = (name: string): Promise<StageOutcome> => {
    let p = done.get(name);
    if (!p) {
      p = (async () => {
        const stage = pipeline.stages.get(name)!;
        const ups = await Promise.all(stage.needs.map(visit));
        let o: StageOutcome;
        try {
          o = await planner.assess(stage, ups, "run", interrupted());
          if (o.status === "cached" && o.key && (await store.lastKey(stage.name)) !== o.key) await store.setLastKey(stage.name, o.key);
          if (o.status === "would-run") o = await runStage(stage, ups, o);
        } catch (e) {
          // E.g. a deps file vanished mid-run, or the cache is unreadable: this stage fails, the
          // others go on (never a half-finished run with stages still executing).
          const message = e instanceof Error ? e.message : String(e);
          o = { ...planner.base(stage), status: "failed", reasons: [{ type: "error", message }], error: `cannot compute the cache key: ${message}` };
        }
        outcomes.set(name, o);
        opts.reporter?.stageEnd(o);
        await saveRecord();
        return o;
      })();
      done.set(name, p);
    }
    return p;
  };

  const provenanceOf = (stage: ResolvedStage, o: StageOutcome): Provenance => {
    const up = new Set<string>();
    const walk = (n: string) => { for (const d of pipeline.stages.get(n)!.needs) if (!up.has(d)) { up.add(d); walk(d); } };
    walk(stage.name);
    const comps = o.components;
    return {
      run: { id: runId, startedAt: record.startedAt },
      pipeline: pipeline.file,
      data: comps?.data ? { path: comps.data.path, hash: comps.data.hash } : null,
      environment: comps?.env ?? {},
      upstream: pipeline.order.filter((n) => up.has(n)).map((n) => {
        const u = outcomes.get(n);
        const s = pipeline.stages.get(n)!;
        return { name: n, kind: s.kindName, params: s.params, key: u?.key ?? null, outputHash: u?.outputHash ?? null };
      }),
    };
  };

  async function runStage(stage: ResolvedStage, ups: StageOutcome[], o: StageOutcome): Promise<StageOutcome> {
    await acquire();
    const logDir = join(artifactsDir, "logs", runId);
    const work = join(artifactsDir, "tmp", runId, stage.name);
    const outDir = join(work, "out");
    const tmpDir = join(work, "tmp");
    const logFile = join(logDir, `${stage.name}.log`);
    const started = Date.now();
    const why = renderReasons(o.reasons);
    try {
      if (deleted()) return { ...o, status: "skipped", reasons: [{ type: "artifacts-deleted" }] };
      if (signal.aborted) return { ...o, status: "skipped", reasons: [{ type: "interrupted" }] };
      mkdirSync(outDir, { recursive: true });
      mkdirSync(tmpDir, { recursive: true });
      mkdirSync(logDir, { recursive: true });
      appendFileSync(logFile, `# dfd run ${runId}: stage ${stage.name} (${stage.kindName}), key ${o.key}\n# why: ${why.join("; ")}\n`);
      opts.reporter?.stageStart(stage.name, stage.kindName, why);
      const log = (level: "debug" | "info" | "warn" | "error") => (msg: string) => {
        try { appendFileSync(logFile, `[${new Date().toISOString()}] ${level}: ${msg}\n`); } catch { /* the log dir vanished: the stage fails below */ }
        opts.reporter?.stageLog(stage.name, level, msg);
      };
      const logger: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
      const inputs: StageInput[] = ups.filter((u) => !u.notNeeded).map((u) => ({ name: u.name, kind: u.kind, dir: store.objects.dir(u.outputHash!) }));
      const ctx: StageContext = {
        name: stage.name,
        params: absolutePaths(stage.kind.params, stage.params, pipeline.dir, resolve),
        inputs,
        ...(pipeline.data !== null ? { data: pipeline.data } : {}),
        projectDir: pipeline.dir,
        outDir,
        tmpDir,
        progress: (d, t, note) => opts.reporter?.stageProgress(stage.name, d, t, note),
        log: logger,
        signal,
        cpus: jobs,
        logFile,
        provenance: provenanceOf(stage, o),
      };
      const summary = JSON.parse(JSON.stringify((await runKind(stage.kind, ctx, itemsFor(stage, o))) ?? {})) as StageSummary;
      if (signal.aborted) throw new Error("interrupted");
      const tree = await new FileHasher(undefined).hashTree(outDir);
      await store.objects.put(outDir, tree);
      const seconds = (Date.now() - started) / 1000;
      const entry: CacheEntry = {
        key: o.key!, stage: stage.name, kind: stage.kindName, outputHash: tree.hash, summary, runId, seconds,
        createdAt: new Date().toISOString(), components: o.components!,
      };
      // Last: only now does the cache point at the object. A concurrent writer of the same key
      // (another machine sharing the remote) may have won: its entry is as good as ours. A forced
      // re-run replaces the entry: the user asked for this output.
      const forced = planner.sel.forced.has(stage.name);
      const stored = forced ? (await store.index.replace(entry), entry) : await store.index.putIfAbsent(entry);
      await store.setLastKey(stage.name, o.key!);
      appendFileSync(logFile, `# ok in ${seconds.toFixed(1)} s, output ${tree.hash}${stored.outputHash !== tree.hash ? ` (the key's entry was written first by run ${stored.runId}, output ${stored.outputHash})` : ""}\n`);
      return { ...o, status: "ran", seconds, outputHash: stored.outputHash, summary: stored.outputHash === tree.hash ? summary : stored.summary, entry: stored, log: logFile };
    } catch (e) {
      const gone = deleted() || !existsSync(logDir);
      const message = gone ? `the artifacts directory ${artifactsDir} (or its logs/) was deleted while the stage ran` : signal.aborted ? "interrupted" : e instanceof Error ? e.message || e.name : String(e);
      if (!gone) try { appendFileSync(logFile, `# failed: ${message}\n${e instanceof Error ? e.stack ?? "" : ""}\n`); } catch { /* log dir gone */ }
      return { ...o, status: "failed", seconds: (Date.now() - started) / 1000, error: message, ...(gone ? {} : { log: logFile }) };
    } finally {
      await rm(work, { recursive: true, force: true }).catch(() => {});
      releaseSlot();
    }
  }

  try {
    await saveRecord();
    await Promise.all(considered.map(visit));
    await saving;
  } finally {
    clearInterval(watch);
  }
  const stages = considered.map((n) => outcomes.get(n)!);
  if (deleted()) return { runId, status: "failed", stages, artifactsDeleted: true };
  const status = signal.aborted ? "interrupted" : stages.some((s) => s.status === "failed") ? "failed" : "ok";
  return { runId, status, stages };
}

/** Device and inode of a directory ("" when it does not exist): a deleted and re-made directory differs. */
function identity(dir: string): string {
  try {
    const s = statSync(dir);
    return `${s.dev}:${s.ino}`;
  } catch {
    return "";
  }
}

export function toRecord(o: StageOutcome): StageRecord {
  return {
    name: o.name, kind: o.kind, key: o.key, status: o.status === "would-run" ? "skipped" : o.status, reasons: o.reasons,
    seconds: o.seconds, params: o.params, outputHash: o.outputHash, summary: o.summary,
    ...(o.error ? { error: o.error } : {}), ...(o.log ? { log: o.log } : {}),
  };
}
