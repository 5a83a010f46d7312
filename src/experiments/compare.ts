// Two runs side by side: which params differ, the metrics with deltas, which stages the runs shared
// (same cache key, so literally the same output) and where they first diverged, and why.
import type { Json } from "../params.js";
import { diffComponents, type KeyComponents, type ListLookup } from "../runner/fingerprint.js";
import { jsonDiffs, paramReasons, renderReasons, type JsonDiff } from "../runner/reasons.js";
import type { RunRecord, StageRecord } from "../runner/records.js";

/** Looks up the key components behind a stage's cache key (from the cache index), when still there. */
export type ComponentsOf = (key: string) => Promise<KeyComponents | undefined>;

/** `stage.param.path`, value in run A, value in run B. */
export type ParamDiff = JsonDiff;
export interface MetricRow {
  name: string;
  a: number | undefined;
  b: number | undefined;
  /** b − a when both exist. */
  delta: number | undefined;
}
export type StageRelation = "shared" | "different" | "only-a" | "only-b";
export interface StageRow {
  name: string;
  kind: string;
  relation: StageRelation;
  a?: { key?: string | null; status: string };
  b?: { key?: string | null; status: string };
}
export interface RunHead {
  id: string;
  startedAt: string;
  status: string;
  overrides: string[];
}
/** The test set a stage (evaluate) scored, as its run record tells it. */
export interface TestSet {
  clips: number | null;
  /** sha256 of the sorted test clip ids, when recorded. */
  set: string | null;
}
export interface TestSetCheck {
  stage: string;
  a: TestSet;
  b: TestSet;
  /** true: the same clips; false: different clips, so metric deltas mix the change with the test
   * set; null: cannot tell (only clip counts recorded, and they are equal). */
  same: boolean | null;
  /** Where it was read: the stage's facts (test_set, test_clips) or, in older records, the clip
   * counts in its summary lines. */
  source: "facts" | "summary lines";
}
export interface Comparison {
  a: RunHead;
  b: RunHead;
  params: ParamDiff[];
  metrics: MetricRow[];
  stages: StageRow[];
  /** Per stage that reports a test set in both runs. */
  testSets: TestSetCheck[];
  /** Things that make the comparison misleading, one sentence each (different test sets). */
  warnings: string[];
  /** The first stage (pipeline order) whose key differs, with why; undefined when none does. */
  firstDivergence?: { stage: string; reasons: string[] };
}

export async function compareRuns(a: RunRecord, b: RunRecord, componentsOf: ComponentsOf = async () => undefined, lists?: ListLookup): Promise<Comparison> {
  const byName = (r: RunRecord) => new Map(r.stages.map((s) => [s.name, s]));
  const sa = byName(a);
  const sb = byName(b);
  // Pipeline order: a's stages in its order, then any that only b has.
  const names = [...a.stages.map((s) => s.name), ...b.stages.map((s) => s.name).filter((n) => !sa.has(n))];

  const params: ParamDiff[] = [];
  const stages: StageRow[] = [];
  let firstDivergence: Comparison["firstDivergence"];
  for (const name of names) {
    const x = sa.get(name);
    const y = sb.get(name);
    params.push(...jsonDiffs(x?.params ?? {}, y?.params ?? {}, name));
    const relation: StageRelation = !x ? "only-b" : !y ? "only-a" : sameOutput(x, y) ? "shared" : "different";
    stages.push({
      name,
      kind: (x ?? y)!.kind,
      relation,
      ...(x ? { a: { key: x.key ?? null, status: x.status } } : {}),
      ...(y ? { b: { key: y.key ?? null, status: y.status } } : {}),
    });
    if (relation !== "shared" && !firstDivergence) firstDivergence = { stage: name, reasons: await divergenceReasons(x, y, componentsOf, lists) };
  }
  if (a.data !== b.data && (a.data || b.data)) params.unshift({ path: "data", a: a.data ?? null, b: b.data ?? null });

  const testSets = testSetChecks(a, b);
  const warnings = testSets.filter((t) => t.same === false).map((t) =>
    `different test sets: ${t.stage} scored ${clipsText(t.a)} in A and ${clipsText(t.b)} in B${t.a.clips !== null && t.a.clips === t.b.clips ? " (not the same clips)" : ""}, so its metric deltas compare different clips, not only the change`);
  return {
    a: head(a),
    b: head(b),
    params,
    metrics: metricRows(a, b),
    stages,
    testSets,
    warnings,
    ...(firstDivergence ? { firstDivergence } : {}),
  };
}

const clipsText = (t: TestSet) => (t.clips === null ? "an unknown number of test clips" : `${t.clips} test clip${t.clips === 1 ? "" : "s"}`);

/** A stage's test set from its summary: facts test_set/test_clips, else the "test: … N fake / M
 * real" (or "test: no clips") line evaluate has always printed. */
export function testSetOf(s: StageRecord): (TestSet & { source: TestSetCheck["source"] }) | undefined {
  const facts = s.summary?.facts ?? {};
  const set = typeof facts.test_set === "string" ? facts.test_set : null;
  const clips = typeof facts.test_clips === "number" ? facts.test_clips : null;
  if (set !== null || clips !== null) return { clips, set, source: "facts" };
  for (const line of s.summary?.lines ?? []) {
    if (/^test: no clips\b/.test(line)) return { clips: 0, set: null, source: "summary lines" };
    const m = /^test: .*?\b(\d+) fake \/ (\d+) real\b/.exec(line);
    if (m) return { clips: Number(m[1]) + Number(m[2]), set: null, source: "summary lines" };
  }
  return undefined;
}

function testSetChecks(a: RunRecord, b: RunRecord): TestSetCheck[] {
  const out: TestSetCheck[] = [];
  for (const x of a.stages) {
    const y = b.stages.find((s) => s.name === x.name);
    const ta = testSetOf(x);
    const tb = y && testSetOf(y);
    if (!ta || !tb) continue;
    const same = ta.set !== null && tb.set !== null ? ta.set === tb.set
      : ta.clips !== null && tb.clips !== null && ta.clips !== tb.clips ? false : null;
    out.push({
      stage: x.name, a: { clips: ta.clips, set: ta.set }, b: { clips: tb.clips, set: tb.set }, same,
      source: ta.source === "facts" && tb.source === "facts" ? "facts" : "summary lines",
    });
  }
  return out;
}

function head(r: RunRecord): RunHead {
  return { id: r.id, startedAt: r.startedAt, status: r.status, overrides: r.overrides };
}

/** Same key means same inputs, so the same cached output; a stage without a key (skipped, or
 * failed before keying) shares only when both are keyless with the same status. */
function sameOutput(x: StageRecord, y: StageRecord): boolean {
  if (x.key && y.key) return x.key === y.key;
  return !x.key && !y.key && x.status === y.status;
}

/** Why stage x (run A) and y (run B) have different keys: the runner's own explanation of the two
 * key components when the cache index still has them, else what the records show. */
async function divergenceReasons(x: StageRecord | undefined, y: StageRecord | undefined, componentsOf: ComponentsOf, lists?: ListLookup): Promise<string[]> {
  if (!x) return ["stage only in the second run"];
  if (!y) return ["stage only in the first run"];
  const [cx, cy] = await Promise.all([x.key ? componentsOf(x.key) : undefined, y.key ? componentsOf(y.key) : undefined]);
  if (cx && cy) {
    const r = renderReasons(await diffComponents(cx, cy, lists));
    if (r.length) return r;
  }
  const reasons: string[] = renderReasons(paramReasons(x.params, y.params));
  if (x.status !== y.status) reasons.push(`status ${x.status} → ${y.status}${y.error ? ` (${y.error.split("\n")[0]})` : ""}`);
  if (!reasons.length) reasons.push("cache key differs (code, data or an upstream output; the entries behind the keys are gone)");
  return reasons;
}

function metricRows(a: RunRecord, b: RunRecord): MetricRow[] {
  const collect = (r: RunRecord) => {
    const m = new Map<string, number>();
    // Qualified by stage: train and evaluate both report a val_auc, and they are not the same number.
    for (const s of r.stages) for (const [k, v] of Object.entries(s.summary?.metrics ?? {})) if (typeof v === "number") m.set(`${s.name}.${k}`, v);
    return m;
  };
  const ma = collect(a);
  const mb = collect(b);
  const names = [...new Set([...ma.keys(), ...mb.keys()])];
  return names.map((name) => {
    const x = ma.get(name);
    const y = mb.get(name);
    return { name, a: x, b: y, delta: x !== undefined && y !== undefined ? y - x : undefined };
  });
}

export function fmt(v: Json | undefined): string {
  return v === undefined ? "(unset)" : typeof v === "string" ? v : JSON.stringify(v);
}
