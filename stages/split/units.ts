// The units split assigns: clips joined when they share the group_by key or are near-duplicates
// (diagnose's pairs), as connected components, so neither a group nor a duplicate cluster ever
// spans two sets.
import { sourceOf, type VideoRecord } from "../../src/artifacts/features.js";
import { clusters } from "../../src/dataset/clusters.js";
import type { Unit } from "./assign.js";
import type { GroupBy } from "./params.js";

export interface Units {
  units: Unit[];
  /** Distinct group_by keys among the clips (0 without group_by). */
  groups: number;
  /** Clips whose group_by key is null (each becomes its own unit). */
  ungrouped: number;
  /** Duplicate clusters (size ≥ 2) among the clips. */
  duplicateClusters: string[][];
}

export function buildUnits(clips: readonly VideoRecord[], groupBy: GroupBy | null, duplicates: readonly [string, string, ...unknown[]][]): Units {
  const present = new Set(clips.map((c) => c.id));
  const edges: [string, string][] = [];
  const firstOfGroup = new Map<string, string>();
  let ungrouped = 0;
  if (groupBy) {
    // "source+group": a clip joins both its source's and its group's clips (keys kept apart).
    const keysOf = (c: VideoRecord): string[] => {
      const s = sourceOf(c);
      const keys = [];
      if (groupBy !== "group" && s !== null) keys.push(`s:${s}`);
      if (groupBy !== "source" && c.group !== null) keys.push(`g:${c.group}`);
      return keys;
    };
    for (const c of clips) {
      const keys = keysOf(c);
      if (!keys.length) {
        ungrouped++;
        continue;
      }
      for (const key of keys) {
        const first = firstOfGroup.get(key);
        if (first === undefined) firstOfGroup.set(key, c.id);
        else edges.push([first, c.id]);
      }
    }
  }
  const dupPairs = duplicates.filter(([a, b]) => present.has(a) && present.has(b)).map(([a, b]) => [a, b] as [string, string]);
  const components = clusters([...edges, ...dupPairs]);
  const inComponent = new Set(components.flat());
  const label = new Map(clips.map((c) => [c.id, c.label]));
  const unit = (ids: string[]): Unit => ({
    ids,
    counts: [ids.filter((id) => label.get(id) === "real").length, ids.filter((id) => label.get(id) === "fake").length],
  });
  // sorted by first id: the split must not depend on the order extract happened to write rows in
  const units = [...components.map(unit), ...clips.filter((c) => !inComponent.has(c.id)).map((c) => unit([c.id]))].sort((a, b) =>
    a.ids[0]! < b.ids[0]! ? -1 : 1,
  );
  return { units, groups: firstOfGroup.size, ungrouped, duplicateClusters: clusters(dupPairs) };
}
