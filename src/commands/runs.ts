// `dfd runs`: the recorded runs, newest first, with their overrides, the params that vary between
// them, and their headline metrics.
import { openArtifacts } from "../runner/project.js";
import { num, table } from "../experiments/render.js";
import type { Json } from "../params.js";
import type { RunRecord } from "../runner/records.js";
import { DEFAULT_PIPELINE, guard, type Io } from "./common.js";

export function runsCommand(io: Io, flags: { pipeline?: string; json?: boolean; limit?: string; remote?: boolean }): Promise<number> {
  return guard(io, async () => {
    const limit = flags.limit === undefined ? 20 : Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit ${flags.limit}: expected a whole number ≥ 1`);
    const file = flags.pipeline ?? DEFAULT_PIPELINE;
    // --remote: the team's runs on the remote cache (no local artifacts needed).
    const store = flags.remote
      ? await (await import("../remote/attach.js")).remoteRunLog(file, (m) => io.err(`dfd: ${m}\n`)).then((r) => ({ runs: r, close: async () => r.close() }))
      : (await openArtifacts(file)).store;
    const records = store.runs;
    try {
      const runs = await records.list(limit);
      const varying = varyingParams(runs);
      const rows = runs.map((r) => summarize(r, varying));
      if (flags.json) {
        io.out(JSON.stringify({ runs: rows }) + "\n");
        return 0;
      }
      if (!runs.length) {
        io.out("no runs recorded yet\n");
        return 0;
      }
      const metricNames = headlineMetrics(rows.flatMap((r) => Object.keys(r.metrics)));
      io.out(
        table([
          ["run", "started", "status", "s", "ran/cached", ...varying, ...metricNames, "--set"],
          ...rows.map((r) => [
            r.id, r.startedAt.replace("T", " ").slice(0, 19), r.status, r.seconds === null ? "—" : r.seconds.toFixed(1), `${r.ran}/${r.cached}`,
            ...varying.map((p) => show(r.params[p])), ...metricNames.map((m) => num(r.metrics[m])), r.overrides.join(" ") || "",
          ]),
        ]) + "\n",
      );
      return 0;
    } finally {
      await store.close();
    }
  }, flags.json && {});
}

interface RunRow {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  seconds: number | null;
  ran: number;
  cached: number;
  failed: string[];
  overrides: string[];
  params: Record<string, Json | undefined>;
  metrics: Record<string, number>;
  backend?: string;
  findings: { error: number; warn: number };
}

function summarize(r: RunRecord, varying: string[]): RunRow {
  const metrics: Record<string, number> = {};
  let backend: string | undefined;
  const findings = { error: 0, warn: 0 };
  for (const s of r.stages) {
    for (const [k, v] of Object.entries(s.summary?.metrics ?? {})) metrics[`${s.name}.${k}`] = v;
    const b = s.summary?.facts?.backend;
    if (typeof b === "string") backend = b;
    for (const f of s.summary?.findings ?? []) if (f.severity === "error" || f.severity === "warn") findings[f.severity]++;
  }
  const flat = flatParams(r);
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
    params: Object.fromEntries(varying.map((p) => [p, flat[p]])),
    metrics,
    ...(backend ? { backend } : {}),
    findings,
  };
}

/** stage.param.path → value, for every stage's resolved params. */
function flatParams(r: RunRecord): Record<string, Json> {
  const out: Record<string, Json> = {};
  const walk = (v: Json, path: string): void => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    else out[path] = v;
  };
  for (const s of r.stages) walk(s.params, s.name);
  return out;
}

/** The params whose values differ between the listed runs: the "key params" of these experiments. */
function varyingParams(runs: RunRecord[]): string[] {
  const flats = runs.map(flatParams);
  const names = new Set(flats.flatMap((f) => Object.keys(f)));
  return [...names].filter((n) => new Set(flats.map((f) => JSON.stringify(f[n] ?? null))).size > 1).sort().slice(0, 6);
}

/** The columns worth a glance: test and validation quality first (evaluate's), then anything else,
 * four at most; every metric is in --json. */
function headlineMetrics(names: string[]): string[] {
  const order = ["test_auc", "test_acc", "test_f1", "val_auc", "test_pr_auc", "val_acc"];
  const rank = (n: string) => {
    const i = order.indexOf(n.slice(n.lastIndexOf(".") + 1));
    return (i < 0 ? order.length : i) * 2 + (n.startsWith("evaluate.") ? 0 : 1);
  };
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).slice(0, 4);
}

const show = (v: Json | undefined) => (v === undefined ? "—" : typeof v === "string" ? v : JSON.stringify(v));
