// What a split should keep together, and why: split's `group_by: auto` and diagnose's advice both
// ask this module, so the advice names what the split will do.
//
// auto = the group column when the data set has one (paired content: a real clip and the AI clips
// made from it) — joined with the source when sources are class-pure too, so neither a pair nor a
// source straddles two sets — else the source when sources are class-pure (each all-real or
// all-AI: a source in both train and test lets the test score measure source recognition), else
// none. A grouping is only chosen when it has enough groups to give every set that must hold clips
// its own (per class, for sources); otherwise the reason says what is missing.
import type { GroupBy } from "../artifacts/split.js";
import { sourceOf, type Label, type VideoRecord } from "../artifacts/features.js";
import { sourcesByClass, type SourcesJson } from "./sources.js";

export interface GroupChoice {
  group_by: GroupBy | null;
  /** One line for people: why this grouping. */
  reason: string;
}

type Clip = Pick<VideoRecord, "source" | "label" | "label_raw" | "group">;

/** `sets`: how many of train/val/test must hold clips (3, or 2 with val: 0). */
export function autoGroupBy(clips: readonly Clip[], sets = 3, sources: SourcesJson = sourcesByClass(clips)): GroupChoice {
  const groups = new Set<string>();
  for (const c of clips) if (c.group !== null) groups.add(c.group);
  if (groups.size >= sets) {
    if (sources.pure) {
      const units = jointUnits(clips);
      if (units.real >= sets && units.fake >= sets)
        return { group_by: "source+group", reason: `the data set has a group column (${groups.size} groups) and class-pure sources: each group and each source stays in one set (${units.count} units)` };
      return { group_by: "group", reason: `the data set has a group column (${groups.size} groups): each group stays in one set (joined with the class-pure sources it would leave only ${Math.min(units.real, units.fake)} unit(s) of a class, too few for ${sets} sets, so a source may straddle sets)` };
    }
    return { group_by: "group", reason: `the data set has a group column (${groups.size} groups): each group stays in one set` };
  }
  const fewGroups = groups.size ? `only ${groups.size} group(s), too few for ${sets} sets; ` : "";
  if (sources.pure) {
    const n: Record<Label, number> = { real: Object.keys(sources.real).length, fake: Object.keys(sources.fake).length };
    const few: Label = n.real <= n.fake ? "real" : "fake";
    if (n[few] >= sets)
      return {
        group_by: "source",
        reason: `${fewGroups}sources are class-pure (each all-real or all-AI; ${n.real} real, ${n.fake} fake): each source stays in one set, so the test set holds sources never seen in training`,
      };
    return {
      group_by: null,
      reason: `${fewGroups}sources are class-pure, but ${few} has ${n[few]} source(s), too few to give each of the ${sets} sets its own: split clip by clip, so the test score partly measures source recognition`,
    };
  }
  const noColumn = groups.size ? "" : "no group column; ";
  if (sources.mixed.length) return { group_by: null, reason: `${fewGroups}${noColumn}${sources.mixed.length} source(s) hold both classes: split clip by clip` };
  const unknown = (["real", "fake"] as const).filter((l) => !Object.keys(sources[l]).length);
  const whose = unknown.length === 2 ? "no clip has a source" : `no ${unknown[0]} clip has a source`;
  return { group_by: null, reason: `${fewGroups}${noColumn}${whose}: split clip by clip` };
}

/** Connected components of clips sharing a source or a group: how many, and how many hold each class. */
function jointUnits(clips: readonly Clip[]): { count: number; real: number; fake: number } {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== undefined && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  clips.forEach((c, i) => {
    const me = `c:${i}`;
    parent.set(me, me);
    const s = sourceOf(c);
    for (const k of [s !== null ? `s:${s}` : null, c.group !== null ? `g:${c.group}` : null]) {
      if (k === null) continue;
      if (!parent.has(k)) parent.set(k, k);
      union(me, k);
    }
  });
  const has = new Map<string, { real: boolean; fake: boolean }>();
  clips.forEach((c, i) => {
    const r = find(`c:${i}`);
    const h = has.get(r) ?? { real: false, fake: false };
    if (c.label === "real") h.real = true;
    if (c.label === "fake") h.fake = true;
    has.set(r, h);
  });
  const units = [...has.values()];
  return { count: units.length, real: units.filter((u) => u.real).length, fake: units.filter((u) => u.fake).length };
}

/** Sources whose clips sit in more than one set (`setOf(i)`: the set of clips[i]). */
export function sharedSources(clips: readonly Clip[], setOf: (i: number) => number): string[] {
  const where = new Map<string, number>();
  const shared = new Set<string>();
  clips.forEach((c, i) => {
    const s = sourceOf(c);
    if (s === null) return;
    const prev = where.get(s);
    if (prev === undefined) where.set(s, setOf(i));
    else if (prev !== setOf(i)) shared.add(s);
  });
  return [...shared].sort();
}
