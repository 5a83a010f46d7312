// Runs (or, in plan mode, only evaluates) a resolved pipeline: topological order, independent
// stages in parallel up to `jobs`, a key computed for a stage only once everything it needs is
// final, cached outputs reused when their object is intact, failures contained to their
// downstream. Plan mode (status, why, path, dag, --dry-run) never executes or writes anything.
import { appendFileSync, mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Logger, Provenance, StageContext, StageInput, StageSummary } from "../stage.js";
import { runKind } from "./in-process.js";
import { short } from "./canonical.js";
import { ComponentHasher } from "./components.js";
import { explain, keyOf, type KeyComponents } from "./fingerprint.js";
import { select, type SelectionOptions } from "./graph.js";
import type { RunRecord, StageRecord, StageStatus } from "./records.js";
import { Records } from "./records.js";
import type { Reporter } from "./reporter.js";
import type { Pipeline, ResolvedStage } from "./resolve.js";
import type { CacheEntry, Store } from "./store.js";
import type { ShellStageContext } from "./types.js";

export type OutcomeStatus = StageStatus | "would-run";

/** A stage's result in this run: what its run record keeps (StageRecord), with a status that may
 * also be "would-run" (plans), plus what status/why need. */
export interface StageOutcome extends Omit<StageRecord, "status"> {
  status: OutcomeStatus;
  /** Skipped by design (kind.notNeeded): dependants get no input for it and still run. */
  notNeeded?: boolean;
  /** The cache entry behind a cached outcome (which run produced it, when). */
  entry?: CacheEntry;
  /** The key's components (for why). */
  components?: KeyComponents;
  /** The components of the stage's previous key, when known (for why). */
  previous?: KeyComponents;
}

export interface RunResult {
  runId?: string;
  status: "ok" | "failed" | "interrupted";
  stages: StageOutcome[];
}

export interface ExecuteOptions extends SelectionOptions {
  store: Store;
  reporter?: Reporter;
  /** plan: evaluate only (status/why/dry-run); run: execute. */
  mode: "plan" | "run";
  jobs?: number;
  signal?: AbortSignal;
  runId?: string;
  /** Written at start and after every stage (run mode). */
  record?: RunRecord;
  artifactsDir: string;
}

export async function execute(pipeline: Pipeline, opts: ExecuteOptions): Promise<RunResult> {
  const { store, mode } = opts;
  const nodes = pipeline.order.map((n) => pipeline.stages.get(n)!);
  const sel = select(nodes, opts);
  const considered = pipeline.order.filter((n) => sel.run.has(n) || sel.cachedOnly.has(n));
  const jobs = Math.max(1, opts.jobs ?? availableParallelism());
  const hasher = new ComponentHasher(store.hasher, pipeline, opts.artifactsDir);
  const records = opts.record ? new Records(store.db) : undefined;
  const outcomes = new Map<string, StageOutcome>();
  const signal = opts.signal ?? new AbortController().signal;
  let saving: Promise<void> = Promise.resolve();
  const saveRecord = () => {
    if (!records || !opts.record) return saving;
    const rec = opts.record;
    rec.stages = considered.filter((n) => outcomes.has(n)).map((n) => toRecord(outcomes.get(n)!));
    // A JSON round trip, not structuredClone: a stage's summary may hold things that cannot be
    // cloned (a function, a class instance); the record keeps what JSON keeps.
    const snapshot = JSON.parse(JSON.stringify(rec)) as RunRecord;
    saving = saving.then(() => records.put(snapshot));
    return saving;
  };

  // A tiny semaphore for `jobs` concurrently executing stages.
  let free = jobs;
  const waiters: (() => void)[] = [];
  const acquire = () => (free > 0 ? (free--, Promise.resolve()) : new Promise<void>((r) => waiters.push(r)));
  const releaseSlot = () => { const w = waiters.shift(); if (w) w(); else free++; };

  const done = new Map<string, Promise<StageOutcome>>();
  const evaluate = (name: string): Promise<StageOutcome> => {
    let p = done.get(name);
    if (!p) {
      p = (async () => {
        const stage = pipeline.stages.get(name)!;
        const ups = await Promise.all(stage.needs.map((n) => evaluate(n)));
        let o: StageOutcome;
        try {
          o = await evaluateStage(stage, ups);
        } catch (e) {
          // E.g. a deps file vanished mid-run, or the cache is unreadable: this stage fails, the
          // others go on (never a half-finished run with stages still executing).
          o = { ...base(stage), status: "failed", error: `cannot compute the cache key: ${e instanceof Error ? e.message : String(e)}` };
        }
        outcomes.set(name, o);
        if (o.status !== "would-run") opts.reporter?.stageEnd(o);
        await saveRecord();
        return o;
      })();
      done.set(name, p);
    }
    return p;
  };

  const base = (stage: ResolvedStage): StageOutcome => ({
    name: stage.name, kind: stage.kindName, status: "skipped", key: null, reasons: [], seconds: 0,
    params: stage.params, outputHash: null, summary: null,
  });

  async function evaluateStage(stage: ResolvedStage, ups: StageOutcome[]): Promise<StageOutcome> {
    const o = base(stage);
    if (signal.aborted) return { ...o, reasons: ["interrupted"] };
    const blocked = ups.filter((u) => (u.status === "failed" || u.status === "skipped") && !u.notNeeded);
    if (blocked.length) {
      return { ...o, reasons: blocked.map((u) => `upstream ${u.name} ${u.status === "failed" ? "failed" : "was skipped"}`) };
    }
    const notNeeded = stage.kind.notNeeded?.({ params: stage.params, data: pipeline.data ?? undefined });
    if (notNeeded) return { ...o, notNeeded: true, reasons: [`not needed: ${notNeeded}`] };

    const pending = ups.filter((u) => u.status === "would-run");
    const lastKey = await store.getLastKey(stage.name);
    const last = lastKey ? await store.getEntry(lastKey) : undefined;
    if (pending.length) {
      // Plan mode with a stale upstream: its output (so this key) is unknown until it runs.
      // Explain everything else against the previous key, assuming the upstream output unchanged.
      const inputs = Object.fromEntries(ups.map((u) => [u.name, u.notNeeded ? null : u.status === "would-run" ? last?.components.inputs[u.name] ?? "?" : u.outputHash]));
      const comps = await hasher.components(stage, inputs);
      const own = explain(last?.components, comps).filter((r) => !pending.some((u) => r.startsWith(`upstream ${u.name} `)));
      return { ...o, status: "would-run", reasons: [...pending.map((u) => `upstream ${u.name} will re-run`), ...own.filter((r) => r !== "no cached output" || !last)], previous: last?.components, components: comps };
    }

    const inputs = Object.fromEntries(ups.map((u) => [u.name, u.notNeeded ? null : u.outputHash]));
    const comps = await hasher.components(stage, inputs);
    const key = keyOf(comps);
    const entry = await store.getEntry(key);
    const state = entry ? await store.checkObject(entry.outputHash) : undefined;
    const forced = sel.forced.has(stage.name);
    const withKey = { ...o, key, components: comps, previous: last?.components };

    if (entry && state === "ok" && !forced) {
      if (mode === "run" && lastKey !== key) await store.setLastKey(stage.name, key);
      return { ...withKey, status: "cached", outputHash: entry.outputHash, summary: entry.summary, entry };
    }
    const reasons: string[] = [];
    if (forced) reasons.push(sel.forcedBy.get(stage.name) ?? "forced");
    if (entry && state !== "ok") reasons.push(`cached output ${short(entry.outputHash)} is ${state === "missing" ? "missing" : "modified (tampered or corrupt)"}: re-running`);
    else if (!entry) reasons.push(...explain(last?.key === key ? undefined : last?.components, comps));

    if (sel.cachedOnly.has(stage.name))
      return { ...withKey, reasons: [`not selected and has no valid cached output (${reasons.join("; ")})`] };
    if (mode === "plan") return { ...withKey, status: "would-run", reasons };
    return runStage(stage, ups, withKey, reasons);
  }

  async function runStage(stage: ResolvedStage, ups: StageOutcome[], o: StageOutcome, reasons: string[]): Promise<StageOutcome> {
    await acquire();
    const runId = opts.runId!;
    const logDir = join(opts.artifactsDir, "logs", runId);
    const work = join(opts.artifactsDir, "tmp", runId, stage.name);
    const outDir = join(work, "out");
    const tmpDir = join(work, "tmp");
    const logFile = join(logDir, `${stage.name}.log`);
    const started = Date.now();
    try {
      if (signal.aborted) return { ...o, status: "skipped", reasons: ["interrupted"] };
      mkdirSync(outDir, { recursive: true });
      mkdirSync(tmpDir, { recursive: true });
      mkdirSync(logDir, { recursive: true });
      appendFileSync(logFile, `# dfd run ${runId}: stage ${stage.name} (${stage.kindName}), key ${o.key}\n# why: ${reasons.join("; ")}\n`);
      opts.reporter?.stageStart(stage.name, stage.kindName, reasons);
      const log = (level: "debug" | "info" | "warn" | "error") => (msg: string) => {
        appendFileSync(logFile, `[${new Date().toISOString()}] ${level}: ${msg}\n`);
        opts.reporter?.stageLog(stage.name, level, msg);
      };
      const logger: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
      const inputs: StageInput[] = ups.filter((u) => !u.notNeeded).map((u) => ({ name: u.name, kind: u.kind, dir: store.objectDir(u.outputHash!) }));
      const ctx: StageContext & Partial<ShellStageContext> = {
        name: stage.name,
        params: structuredClone(stage.params),
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
      if (stage.command !== undefined) Object.assign(ctx, { command: stage.command });
      const summary = JSON.parse(JSON.stringify((await runKind(stage.kind, ctx)) ?? {})) as StageSummary;
      if (signal.aborted) throw new Error("interrupted");
      const tree = await store.hashOutput(outDir);
      await store.commitObject(outDir, tree);
      const seconds = (Date.now() - started) / 1000;
      const entry: CacheEntry = {
        key: o.key!, stage: stage.name, kind: stage.kindName, outputHash: tree.hash, summary, runId, seconds,
        createdAt: new Date().toISOString(), components: o.components!,
      };
      await store.putEntry(entry); // last: only now does the cache point at the object
      await store.setLastKey(stage.name, o.key!);
      appendFileSync(logFile, `# ok in ${seconds.toFixed(1)} s, output ${tree.hash}\n`);
      return { ...o, status: "ran", reasons, seconds, outputHash: tree.hash, summary, entry, log: logFile };
    } catch (e) {
      const message = signal.aborted ? "interrupted" : e instanceof Error ? e.message || e.name : String(e);
      try { appendFileSync(logFile, `# failed: ${message}\n${e instanceof Error ? e.stack ?? "" : ""}\n`); } catch { /* log dir gone */ }
      return { ...o, status: "failed", reasons, seconds: (Date.now() - started) / 1000, error: message, log: logFile };
    } finally {
      await rm(work, { recursive: true, force: true }).catch(() => {});
      releaseSlot();
    }
  }

  function provenanceOf(stage: ResolvedStage, o: StageOutcome): Provenance {
    const up = new Set<string>();
    const walk = (n: string) => { for (const d of pipeline.stages.get(n)!.needs) if (!up.has(d)) { up.add(d); walk(d); } };
    walk(stage.name);
    const comps = o.components;
    return {
      run: { id: opts.runId!, startedAt: opts.record?.startedAt ?? new Date().toISOString() },
      pipeline: pipeline.file,
      data: comps?.data ? { path: comps.data.path, hash: comps.data.hash } : null,
      environment: {},
      upstream: pipeline.order.filter((n) => up.has(n)).map((n) => {
        const u = outcomes.get(n);
        return { name: n, kind: pipeline.stages.get(n)!.kindName, params: pipeline.stages.get(n)!.params, key: u?.key ?? null, outputHash: u?.outputHash ?? null };
      }),
    };
  }

  await saveRecord();
  await Promise.all(considered.map((n) => evaluate(n)));
  await saving;
  const stages = considered.map((n) => outcomes.get(n)!);
  const status = signal.aborted ? "interrupted" : stages.some((s) => s.status === "failed") ? "failed" : "ok";
  return { ...(opts.runId ? { runId: opts.runId } : {}), status, stages };
}

export function toRecord(o: StageOutcome): StageRecord {
  return {
    name: o.name, kind: o.kind, key: o.key, status: o.status === "would-run" ? "skipped" : o.status, reasons: o.reasons,
    seconds: o.seconds, params: o.params, outputHash: o.outputHash, summary: o.summary,
    ...(o.error ? { error: o.error } : {}), ...(o.log ? { log: o.log } : {}),
  };
}
