// Which sources (generator, camera, site) hold which class. When every source is all-real or
// all-AI ("class-pure"), a split that puts one source in both train and test lets the test score
// measure source recognition instead of detection: diagnose reports it (class-pure-sources), split
// groups by source to avoid it (group_by: auto).
import type { SourcesJson } from "../artifacts/diagnostics.js";
import { sourceOf, type Label, type VideoRecord } from "../artifacts/features.js";

export type { SourcesJson };

/** Sources per class among labelled clips with a known source (sourceOf), sorted by clip count. */
export function sourcesByClass(clips: readonly (Pick<VideoRecord, "source" | "label" | "label_raw">)[]): SourcesJson {
  const counts: Record<Label, Map<string, number>> = { real: new Map(), fake: new Map() };
  for (const c of clips) {
    const s = sourceOf(c);
    if (s === null || c.label === null) continue;
    counts[c.label].set(s, (counts[c.label].get(s) ?? 0) + 1);
  }
  const mixed = [...counts.real.keys()].filter((s) => counts.fake.has(s)).sort();
  const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
  return { pure: counts.real.size > 0 && counts.fake.size > 0 && mixed.length === 0, real: sorted(counts.real), fake: sorted(counts.fake), mixed };
}
