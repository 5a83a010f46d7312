// The logic of `dfd runs`: one row per experiment (a fully cached re-run of the run before it is
// folded into that run's row), the params that really vary between the experiments listed, and
// each row's metrics and facts.
import type { Json } from "../params.js";
import type { RunDigest, StageDigest } from "../runner/records.js";

export interface RunRow {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  seconds: number | null;
  ran: number;
  cached: number;
  failed: string[];
  overrides: string[];
  /** The varying params' values (absent: the param's stage did not run in this run). */
  params: Record<string, Json>;
  /** stage.metric → value. */
  metrics: Record<string, number>;
  backend?: string;
  findings: { error: number; warn: number };
  /** Set on a fully cached re-run: the run whose row it is folded into (the first run of the
   * experiment it repeats). */
  rerunOf?: string;
  /** On an experiment's row: its fully cached re-runs, newest first. */
  reruns: string[];
}

export interface RunsView {
  /** Every listed run, newest first (folded re-runs included, marked by `rerunOf`). */
  runs: RunRow[];
  /** The rows to show: runs that are not folded re-runs. */
  experiments: RunRow[];
  /** Params whose values differ between the experiments, most relevant first: those named in the
   * runs' --set overrides, then the rest by name. */
  varying: string[];
}

/** A stage whose params were used in this run: it ran, came from the cache, or failed. A skipped
 * stage (an upstream failed, or not needed) and a stage outside --from/--until/--only used none. */
const used = (s: StageDigest) => s.status !== "skipped";

/** Is `r` a fully cached re-run of `prev`: nothing ran or failed, and every stage with a key has
 * the same key in `prev` (so the same output, params and code)? */
export function isRerunOf(r: RunDigest, prev: RunDigest | undefined): boolean {
  if (!prev || r.status !== "ok" || prev.status === "running") return false;
  if (r.stages.some((s) => s.status === "ran" || s.status === "failed") || !r.stages.some((s) => s.status === "cached")) return false;
  const keys = new Map(prev.stages.map((s) => [s.name, s.key]));
  return r.stages.every((s) => !s.key || keys.get(s.name) === s.key);
}

/** `runs` newest first; `before` is the run just older than the last one, when there is one (so
 * the oldest listed run can be recognised as a re-run too). */
export function runsView(runs: RunDigest[], before?: RunDigest): RunsView {
  const rows = runs.map(rowOf);
  // Oldest first, so a chain of re-runs folds into the first run of the experiment.
  for (let i = runs.length - 1; i >= 0; i--) {
    const prev = i + 1 < runs.length ? runs[i + 1] : before;
    if (!isRerunOf(runs[i]!, prev)) continue;
    const target = i + 1 < runs.length ? rows[i + 1]!.rerunOf ?? rows[i + 1]!.id : prev!.id;
    rows[i]!.rerunOf = target;
    rows.find((r) => r.id === target)?.reruns.unshift(rows[i]!.id);
  }
  const experiments = rows.filter((r) => !r.rerunOf);
  const shownRuns = runs.filter((_, i) => !rows[i]!.rerunOf);
  const varying = varyingParams(shownRuns);
  for (const [i, r] of rows.entries()) {
    const flat = flatParams(runs[i]!);
    r.params = Object.fromEntries(varying.filter((p) => p in flat).map((p) => [p, flat[p]!]));
  }
  return { runs: rows, experiments, varying };
}

function rowOf(r: RunDigest): RunRow {
  const metrics: Record<string, number> = {};
  let backend: string | undefined;
  const findings = { error: 0, warn: 0 };
  for (const s of r.stages) {
    for (const [k, v] of Object.entries(s.metrics)) metrics[`${s.name}.${k}`] = v;
    const b = s.facts.backend;
    if (typeof b === "string") backend = b;
    findings.error += s.findings.error;
    findings.warn += s.findings.warn;
  }
  return {
    id: r.id,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    status: r.status,
    seconds: r.finishedAt ? (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000 : null,
    ran: r.stages.filter((s) => s.status === "ran").length,
    cached: r.stages.filter((s) => s.status === "cached").length,
    failed: r.stages.filter((s) => s.status === "failed").map((s) => s.name),
    overrides: r.overrides,
    params: {},
    metrics,
    ...(backend ? { backend } : {}),
    findings,
    reruns: [],
  };
}

/** stage.param.path → value, for the params of the stages this run used. */
export function flatParams(r: RunDigest): Record<string, Json> {
  const out: Record<string, Json> = {};
  const walk = (v: Json, path: string): void => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    else out[path] = v;
  };
  for (const s of r.stages) if (used(s)) walk(s.params, s.name);
  return out;
}

/** Params whose values differ between runs that used their stage. A param absent because its
 * stage did not run (`--until`, a failed upstream) does not vary; one absent while its stage ran
 * (a param added to the stage) does. Named-in-overrides first, then by name. */
export function varyingParams(runs: RunDigest[]): string[] {
  const seen = runs.map((r) => ({ flat: flatParams(r), stages: new Set(r.stages.filter(used).map((s) => s.name)) }));
  const names = new Set(seen.flatMap((x) => Object.keys(x.flat)));
  const varying = [...names].filter((n) => {
    const values = new Set(seen.filter((x) => x.stages.has(stageOf(n))).map((x) => (n in x.flat ? JSON.stringify(x.flat[n]) : "(unset)")));
    return values.size > 1;
  });
  const named = runs.flatMap((r) => r.overrides.map((o) => (o.includes("=") ? o.slice(0, o.indexOf("=")) : o).trim()));
  const isNamed = (p: string) => named.some((o) => p === o || p.startsWith(`${o}.`));
  return varying.sort((a, b) => Number(isNamed(b)) - Number(isNamed(a)) || (a < b ? -1 : a > b ? 1 : 0));
}

/** The metric columns worth a glance: test and validation quality first (evaluate's), then
 * anything else, `max` at most; every metric is in --json. */
export function headlineMetrics(names: string[], max = 4): string[] {
  const order = ["test_auc", "test_acc", "test_f1", "val_auc", "test_pr_auc", "val_acc"];
  const rank = (n: string) => {
    const i = order.indexOf(n.slice(n.lastIndexOf(".") + 1));
    return (i < 0 ? order.length : i) * 2 + (n.startsWith("evaluate.") ? 0 : 1);
  };
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).slice(0, max);
}

/** The stage of a `stage.param.path` (stage names have no dots). */
export const stageOf = (path: string): string => path.slice(0, path.indexOf("."));
