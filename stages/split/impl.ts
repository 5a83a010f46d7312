// The split stage's body (loaded lazily by index.ts): usable clips → units (groups, duplicate
// clusters) → per-class targets → greedy assignment → split.json.
import { diagnosticsInput, readDuplicates } from "../../src/artifacts/diagnostics.js";
import { byLabel, featuresInput, readVideos, usable, type Label, type VideoRecord } from "../../src/artifacts/features.js";
import { writeSplit, type SplitJson } from "../../src/artifacts/split.js";
import type { Finding, StageContext, StageSummary } from "../../src/stage.js";
import { largestRemainder } from "./allocate.js";
import { assignUnits, SETS, type SetName } from "./assign.js";
import type { SplitParams } from "./params.js";
import { buildUnits } from "./units.js";

type Counts = Record<Label, number>;

export async function runSplit(ctx: StageContext<SplitParams>): Promise<StageSummary> {
  const p = ctx.params;
  const fractions = [1 - p.val - p.test, p.val, p.test];
  if (fractions[0]! <= 0)
    throw new Error(`split: val ${p.val} + test ${p.test} = ${p.val + p.test} leaves nothing to train on (they must add up to less than 1)`);

  const videos = readVideos(featuresInput(ctx));
  const clips = videos.filter(usable);
  const excluded = videos.filter((v) => !usable(v)).map((v) => ({ id: v.id, reason: v.error ? `extraction failed: ${v.error}` : "no feature rows" }));
  const diagnoseDir = diagnosticsInput(ctx);
  const duplicates = diagnoseDir ? readDuplicates(diagnoseDir) : [];

  const { units, groups, ungrouped, duplicateClusters } = buildUnits(clips, p.group_by, duplicates);
  const by = byLabel(clips);
  const real = largestRemainder(by.real.length, fractions);
  const fake = largestRemainder(by.fake.length, fractions);
  const targets = SETS.map((_, s) => [real[s]!, fake[s]!] as [number, number]);
  const where = assignUnits(units, targets, p.seed);

  const sets: Record<SetName, string[]> = { train: [], val: [], test: [] };
  units.forEach((u, i) => sets[SETS[where[i]!]!].push(...u.ids));
  const label = new Map(clips.map((c) => [c.id, c.label]));
  const counts = {} as Record<SetName, Counts>;
  for (const s of SETS) {
    sets[s].sort();
    counts[s] = { real: sets[s].filter((id) => label.get(id) === "real").length, fake: sets[s].filter((id) => label.get(id) === "fake").length };
  }
  const out: SplitJson = { ...sets, seed: p.seed, stratify: "label", group_by: p.group_by, group_by_requested: p.group_by, group_by_reason: p.group_by ? "asked for" : "not asked for", resolved_findings: [], counts, excluded };
  writeSplit(ctx.outDir, out);

  const findings = missingClassFindings(counts, by, p, fractions);
  if (p.group_by && groups === 0 && clips.length)
    findings.push({
      id: "split-no-groups",
      severity: "warn",
      reason: `group_by: ${p.group_by}, but no clip has a ${p.group_by}: the split is not grouped`,
      advice: p.group_by === "group" ? "add a group column to manifest.csv" : "add a source column to manifest.csv (or name files <source>__<name>)",
    });
  if (duplicateClusters.length)
    findings.push({
      id: "split-duplicates",
      severity: "info",
      reason: `kept ${duplicateClusters.length} near-duplicate cluster(s) (${duplicateClusters.flat().length} clips) within one set each`,
      data: { clusters: duplicateClusters.length, clips: duplicateClusters.flat().length },
    });

  const fmt = (s: SetName) => `${s} ${sets[s].length} (real ${counts[s].real}, fake ${counts[s].fake})`;
  const lines = [SETS.map(fmt).join(" · ")];
  if (excluded.length) lines.push(`excluded ${excluded.length} clip(s) whose extraction failed`);
  if (p.group_by)
    lines.push(`group_by ${p.group_by}: ${groups} group(s), none spans two sets` + (ungrouped ? `; ${ungrouped} clip(s) without a ${p.group_by} split one by one` : ""));
  if (!diagnoseDir) lines.push("no diagnose input: near-duplicates not kept together (add diagnose to needs:)");
  return { lines, findings, skipped: excluded.map((e) => ({ item: e.id, error: e.reason })) };
}

function missingClassFindings(counts: Record<SetName, Counts>, by: Record<Label, VideoRecord[]>, p: SplitParams, fractions: number[]): Finding[] {
  const out: Finding[] = [];
  SETS.forEach((s, i) => {
    if (fractions[i] === 0) return; // an empty val: 0 is what was asked for
    for (const label of ["real", "fake"] as const) {
      if (counts[s][label] > 0 || by[label].length === 0) continue;
      out.push({
        id: `split-missing-class:${s}`,
        severity: "warn",
        reason: `the ${s} set has no ${label} clip (${by[label].length} ${label} clips in all): its numbers say nothing about ${label}s`,
        advice: p.group_by
          ? `there are too few ${label} ${p.group_by}s to spread over three sets: add ${p.group_by}s, or drop group_by`
          : `add ${label} clips or raise ${s === "train" ? "the train share (lower val/test)" : s}`,
        data: { set: s, label, available: by[label].length },
      });
    }
  });
  return out;
}
