// The split stage's body (loaded lazily by index.ts): usable clips → grouping (group_by, auto) →
// units (groups, duplicate clusters) → per-class targets → greedy assignment → split.json.
import { diagnosticsInput, readDuplicates, readFindings } from "../../src/artifacts/diagnostics.js";
import { byLabel, featuresInput, readVideos, sourceOf, usable, type Label } from "../../src/artifacts/features.js";
import { writeSplit, type SplitJson } from "../../src/artifacts/split.js";
import { dataSetName, requireBothClasses } from "../../src/dataset/classes.js";
import { autoGroupBy, sharedSources, type GroupChoice } from "../../src/dataset/grouping.js";
import { sourcesByClass } from "../../src/dataset/sources.js";
import type { Finding, StageContext, StageSummary } from "../../src/stage.js";
import { largestRemainder } from "./allocate.js";
import { assignUnits, SETS, type SetName, type Unit } from "./assign.js";
import type { SplitParams } from "./params.js";
import { buildUnits } from "./units.js";

type Counts = Record<Label, number>;

export async function runSplit(ctx: StageContext<SplitParams>): Promise<StageSummary> {
  const p = ctx.params;
  const fractions = [1 - p.val - p.test, p.val, p.test];
  if (fractions[0]! <= 0)
    throw new Error(`split: val ${p.val} + test ${p.test} = ${p.val + p.test} leaves nothing to train on (they must add up to less than 1)`);

  const featuresDir = featuresInput(ctx);
  const videos = readVideos(featuresDir);
  requireBothClasses(videos, dataSetName(ctx, featuresDir));
  const clips = videos.filter(usable);
  const excluded = videos.filter((v) => !usable(v)).map((v) => ({ id: v.id, reason: v.error ? `extraction failed: ${v.error}` : "no feature rows" }));
  const diagnoseDir = diagnosticsInput(ctx);
  const duplicates = diagnoseDir ? readDuplicates(diagnoseDir) : [];

  const requested = p.group_by === "none" ? null : p.group_by;
  const sources = sourcesByClass(clips);
  const choice: GroupChoice =
    requested === "auto"
      ? autoGroupBy(clips, fractions.filter((f) => f > 0).length, sources)
      : { group_by: requested, reason: `group_by: ${requested ?? "none"} set in the pipeline` };
  const { units, groups, ungrouped, duplicateClusters } = buildUnits(clips, choice.group_by, duplicates);
  const by = byLabel(clips);
  const real = largestRemainder(by.real.length, fractions);
  const fake = largestRemainder(by.fake.length, fractions);
  const targets = SETS.map((_, s) => [real[s]!, fake[s]!] as [number, number]);
  const where = assignUnits(units, targets, p.seed);

  const sets: Record<SetName, string[]> = { train: [], val: [], test: [] };
  const setOf = new Map<string, number>();
  units.forEach((u, i) => {
    sets[SETS[where[i]!]!].push(...u.ids);
    for (const id of u.ids) setOf.set(id, where[i]!);
  });
  const label = new Map(clips.map((c) => [c.id, c.label]));
  const counts = {} as Record<SetName, Counts>;
  for (const s of SETS) {
    sets[s].sort();
    counts[s] = { real: 0, fake: 0 };
    for (const id of sets[s]) counts[s][label.get(id)!]++;
  }

  // what this split closes, checked on the split itself (see src/artifacts/split.ts)
  const shared = sources.pure ? sharedSources(clips, (i) => setOf.get(clips[i]!.id)!) : [];
  const closes: string[] = [];
  if (sources.pure && !shared.length) closes.push("class-pure-sources");
  if (duplicateClusters.length) closes.push("near-duplicates");
  const diagnosed = readFindings(diagnoseDir);
  const resolved = diagnosed ? closes.filter((id) => diagnosed.some((f) => f.id === id)) : closes;

  const out: SplitJson = {
    ...sets,
    seed: p.seed,
    stratify: "label",
    group_by: choice.group_by,
    group_by_requested: requested,
    group_by_reason: choice.reason,
    resolved_findings: resolved,
    counts,
    excluded,
  };
  writeSplit(ctx.outDir, out);

  const findings = missingClassFindings(counts, units, where, targets, choice.group_by);
  if (choice.group_by && groups === 0)
    findings.push({
      id: "split-no-groups",
      severity: "warn",
      reason: `group_by: ${choice.group_by}, but no clip has a ${choice.group_by}: the split is not grouped`,
      advice: choice.group_by === "group" ? "add a group column to manifest.csv" : "add a source column to manifest.csv (or name files <source>__<name>)",
    });
  if (shared.length) {
    const testSources = new Set(clips.filter((c) => setOf.get(c.id) === 2).map(sourceOf));
    const inTest = shared.filter((s) => testSources.has(s));
    findings.push({
      id: "split-shared-sources",
      severity: "warn",
      reason: `sources are class-pure, yet ${shared.length} source(s) have clips in more than one set (${inTest.length} reach the test set, e.g. ${shared.slice(0, 3).join(", ")}): the test score partly measures source recognition`,
      advice:
        choice.group_by === "source"
          ? "these clips have no source in common with the rest of their group; check the source column"
          : `set split.group_by: source (or auto) so each source stays in one set${choice.group_by === null ? "; with too few sources per class, add sources" : ""}`,
      data: { sources: shared.slice(0, 50), in_test: inTest.length },
    });
  }
  if (duplicateClusters.length)
    findings.push({
      id: "split-duplicates",
      severity: "info",
      reason: `kept ${duplicateClusters.length} near-duplicate cluster(s) (${duplicateClusters.flat().length} clips) within one set each`,
      data: { clusters: duplicateClusters.length, clips: duplicateClusters.flat().length },
    });

  const fmt = (s: SetName) => `${s} ${sets[s].length} (real ${counts[s].real}, fake ${counts[s].fake})`;
  const lines = [SETS.map(fmt).join(" · ")];
  const auto = requested === "auto" ? " (auto)" : "";
  if (choice.group_by)
    lines.push(
      `group_by ${choice.group_by}${auto}: ${groups} ${choice.group_by === "source+group" ? "sources and groups" : `${choice.group_by}s`}, none in two sets` +
        (ungrouped ? `; ${ungrouped} clip(s) without a ${choice.group_by} split one by one` : "") +
        (requested === "auto" ? ` — ${choice.reason}` : ""),
    );
  else lines.push(requested === "auto" ? `group_by none (auto): ${choice.reason}` : "group_by none: clips split one by one");
  if (excluded.length) lines.push(`excluded ${excluded.length} clip(s) whose extraction failed`);
  if (!diagnoseDir) lines.push("no diagnose input: near-duplicates not kept together (add diagnose to needs:)");
  return { lines, findings, skipped: excluded.map((e) => ({ item: e.id, error: e.reason })) };
}

/** A set whose target holds a class but that received none of it (only possible with units of
 * several clips: too few groups or sources of that class), said plainly. */
function missingClassFindings(counts: Record<SetName, Counts>, units: readonly Unit[], where: readonly number[], targets: readonly (readonly [number, number])[], groupBy: string | null): Finding[] {
  const out: Finding[] = [];
  SETS.forEach((s, si) => {
    (["real", "fake"] as const).forEach((label, k) => {
      if (targets[si]![k as 0 | 1] === 0 || counts[s][label] > 0) return;
      const holding = units.flatMap((u, i) => (u.counts[k as 0 | 1] > 0 ? [where[i]!] : []));
      const inSets = SETS.filter((_, j) => holding.includes(j));
      const n = holding.length;
      const what = groupBy ? `${label} ${groupBy}${n === 1 ? "" : "s"}` : `${label} near-duplicate cluster${n === 1 ? "" : "s"}`;
      out.push({
        id: `split-missing-class:${s}`,
        severity: "warn",
        reason: `${s} has no ${label} clips: ${n} ${what} in all, ${inSets.length === 1 ? "all in" : "in"} ${inSets.join(" and ")}`,
        advice: groupBy
          ? `add ${label} clips from more ${groupBy}s (one per set at least), or set split.group_by: none (the test score then partly measures ${groupBy} recognition)`
          : `add ${label} clips`,
        data: { set: s, label, units: n },
      });
    });
  });
  return out;
}
