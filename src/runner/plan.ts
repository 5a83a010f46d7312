// The planner: what each stage's state is and why, as values, without running or writing
// anything. `assess` looks at one stage once its needed stages are final (the executor calls it
// as the run progresses: keys are computed only from final upstream outputs); `plan` walks the
// whole graph (status, why, path, dag, run --dry-run), assuming stale stages re-run.
import { ComponentHasher } from "./components.js";
import { diffComponents, keyOf, type KeyComponents } from "./fingerprint.js";
import { select, type Selection, type SelectionOptions } from "./graph.js";
import type { Reason } from "./reasons.js";
import type { StageRecord, StageStatus } from "./records.js";
import type { Pipeline, ResolvedStage } from "./resolve.js";
import type { CacheEntry, StageStore } from "./store-api.js";

export type OutcomeStatus = StageStatus | "would-run";

/** A stage's state in a plan, or its result in a run: what its run record keeps (StageRecord;
 * `key` is null when it could not be known), with a status that may also be "would-run" (plans)
 * and typed reasons, plus what status/why need. */
export interface StageOutcome extends Omit<StageRecord, "status" | "reasons"> {
  status: OutcomeStatus;
  reasons: Reason[];
  /** Skipped by design (kind.notNeeded): dependants get no input for it and still run. */
  notNeeded?: boolean;
  /** The cache entry behind a cached outcome (which run produced it, when). */
  entry?: CacheEntry;
  /** Cached on the remote, not yet here (a run fetches it). */
  remote?: boolean;
  /** The key's components (for why). */
  components?: KeyComponents;
  /** The components of the stage's previous key, when known (for why). */
  previous?: KeyComponents;
}

export interface PlannerOptions extends SelectionOptions {
  store: StageStore;
  artifactsDir: string;
}

export class Planner {
  readonly sel: Selection;
  readonly hasher: ComponentHasher;
  constructor(readonly pipeline: Pipeline, readonly opts: PlannerOptions) {
    this.sel = select(pipeline.order.map((n) => pipeline.stages.get(n)!), opts);
    this.hasher = new ComponentHasher(opts.store.hasher, opts.store.lists, pipeline, opts.artifactsDir);
  }

  /** Stages this run considers (selected to run, or consulted for their cached output). */
  considered(): string[] {
    return this.pipeline.order.filter((n) => this.sel.run.has(n) || this.sel.cachedOnly.has(n));
  }

  base(stage: ResolvedStage): StageOutcome {
    return { name: stage.name, kind: stage.kindName, status: "skipped", key: null, reasons: [], seconds: 0, params: stage.params, outputHash: null, summary: null };
  }

  /** The state of `stage` given its needed stages' outcomes (final, or "would-run" in a plan).
   * Returns "would-run" for a stage that needs to run (the executor runs it; a plan reports it),
   * "cached" for a valid cached output, "skipped" when blocked or not needed. Never writes. */
  async assess(stage: ResolvedStage, ups: StageOutcome[], mode: "plan" | "run", aborted = false): Promise<StageOutcome> {
    const o = this.base(stage);
    const { store } = this.opts;
    if (aborted) return { ...o, reasons: [{ type: "interrupted" }] };
    const blocked = ups.filter((u) => (u.status === "failed" || u.status === "skipped") && !u.notNeeded);
    if (blocked.length) return { ...o, reasons: blocked.map((u) => ({ type: "upstream-blocked", stage: u.name, status: u.status === "failed" ? "failed" : "skipped" })) };
    const notNeeded = stage.kind.notNeeded?.({ params: stage.params, data: this.pipeline.data ?? undefined });
    if (notNeeded) return { ...o, notNeeded: true, reasons: [{ type: "not-needed", why: notNeeded }] };

    const lastKey = await store.lastKey(stage.name);
    const last = lastKey ? await store.index.get(lastKey) : undefined;
    const lists = (h: string) => store.lists.get(h);
    const pending = new Set(ups.filter((u) => u.status === "would-run").map((u) => u.name));
    if (pending.size) {
      // Plan with a stale upstream: its output (so this key) is unknown until it runs. Explain
      // everything else against the previous key, assuming the upstream output unchanged.
      const inputs = Object.fromEntries(ups.map((u) => [u.name, u.notNeeded ? null : pending.has(u.name) ? last?.components.inputs[u.name] ?? null : u.outputHash]));
      const comps = await this.hasher.components(stage, inputs);
      const own = (await diffComponents(last?.components, comps, lists)).filter((r) => !(r.type === "upstream-output" && pending.has(r.stage)) && (r.type !== "no-entry" || !last));
      return { ...o, status: "would-run", reasons: [...[...pending].map((s): Reason => ({ type: "upstream-will-run", stage: s })), ...own], ...(last ? { previous: last.components } : {}), components: comps };
    }

    const inputs = Object.fromEntries(ups.map((u) => [u.name, u.notNeeded ? null : u.outputHash]));
    const comps = await this.hasher.components(stage, inputs);
    const key = keyOf(comps);
    const entry = await store.index.get(key);
    let state = entry ? await store.objects.check(entry.outputHash) : undefined;
    const forced = this.sel.forced.has(stage.name);
    const withKey: StageOutcome = { ...o, key, components: comps, ...(last ? { previous: last.components } : {}) };
    let remote = false;
    if (entry && state === "missing" && entry.origin === "remote" && !forced) {
      // On the remote, not here: a plan counts it as cached; a run fetches (and verifies) it.
      if (mode === "plan") remote = true;
      else state = await store.objects.fetch(entry.outputHash);
    }
    if (entry && (state === "ok" || remote) && !forced)
      return { ...withKey, status: "cached", outputHash: entry.outputHash, summary: entry.summary, entry, ...(remote ? { remote } : {}) };

    const reasons: Reason[] = [];
    if (forced) reasons.push({ type: "forced", by: this.sel.forcedBy.get(stage.name) ?? "--force" });
    if (entry && state !== "ok") reasons.push({ type: "object-damaged", hash: entry.outputHash, state: state === "modified" ? "modified" : "missing" });
    else if (!entry) reasons.push(...(await diffComponents(last?.key === key ? undefined : last?.components, comps, lists)));
    if (this.sel.cachedOnly.has(stage.name)) return { ...withKey, reasons: [{ type: "not-selected", because: reasons }] };
    return { ...withKey, status: "would-run", reasons };
  }

  /** Every considered stage's state, assuming stale stages re-run (status, why, dry runs). */
  async plan(): Promise<StageOutcome[]> {
    const done = new Map<string, Promise<StageOutcome>>();
    const visit = (name: string): Promise<StageOutcome> => {
      let p = done.get(name);
      if (!p) {
        p = (async () => {
          const stage = this.pipeline.stages.get(name)!;
          const ups = await Promise.all(stage.needs.map(visit));
          try {
            return await this.assess(stage, ups, "plan");
          } catch (e) {
            return { ...this.base(stage), status: "failed" as const, reasons: [{ type: "error" as const, message: e instanceof Error ? e.message : String(e) }], error: e instanceof Error ? e.message : String(e) };
          }
        })();
        done.set(name, p);
      }
      return p;
    };
    return Promise.all(this.considered().map(visit));
  }
}

/** Plans a pipeline: each considered stage's state and reasons. Pure: writes nothing. */
export function plan(pipeline: Pipeline, opts: PlannerOptions): Promise<StageOutcome[]> {
  return new Planner(pipeline, opts).plan();
}

/** The state a plan shows for a stage: fresh (cached or not needed), stale, or blocked. */
export function stateOf(o: StageOutcome): "fresh" | "stale" | "blocked" {
  if (o.status === "cached" || o.notNeeded) return "fresh";
  if (o.status === "skipped") return "blocked";
  return "stale";
}
