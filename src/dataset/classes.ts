// The check diagnose and split make before anything else: a detector needs clips of both classes.
// A one-class data set (a data folder with only real/ or only ai/) fails here, naming the data set
// as the user wrote it, not the cache directory the clip list happens to live in.
import { isAbsolute, relative } from "node:path";
import { usable, type Label, type VideoRecord } from "../artifacts/features.js";
import type { StageContext } from "../stage.js";

/** "the data set ../data/clips" (`data:` as a path from the pipeline's folder, or absolute when
 * that is shorter), else "the data set listed by stage extract" (the stage whose output holds the
 * clip list, e.g. after demo). */
export function dataSetName(ctx: Pick<StageContext<unknown>, "data" | "projectDir" | "inputs">, featuresDir: string): string {
  if (ctx.data) {
    const rel = relative(ctx.projectDir, ctx.data) || ".";
    return `the data set ${isAbsolute(rel) || rel.length > ctx.data.length ? ctx.data : rel}`;
  }
  const input = ctx.inputs.find((i) => i.dir === featuresDir);
  return input ? `the data set listed by stage ${input.name}` : `the data set listed in ${featuresDir}`;
}

/** Throws a clear error when either class has no usable clip. */
export function requireBothClasses(videos: readonly VideoRecord[], dataSet: string): void {
  const n = { real: 0, fake: 0 };
  const failed = { real: 0, fake: 0, unlabelled: 0 };
  for (const v of videos) {
    if (usable(v)) n[v.label]++;
    else if (v.label) failed[v.label]++;
    else failed.unlabelled++;
  }
  const missing = (["real", "fake"] as const).filter((l) => n[l] === 0);
  if (!missing.length) return;
  const failures = (l: Label) => (failed[l] ? `; ${failed[l]} ${l} clip(s) failed extraction` : "");
  if (missing.length === 2)
    throw new Error(
      `${dataSet} has no usable clip (${videos.length} listed: ${failed.real} real and ${failed.fake} fake failed extraction, ${failed.unlabelled} without a class): see the \`error\` field in videos.jsonl`,
    );
  const [lack] = missing as [Label];
  const other: Label = lack === "real" ? "fake" : "real";
  const how = lack === "real" ? "a real/ folder beside the AI one" : "an ai/ (or fake/) folder beside real/";
  throw new Error(
    `${dataSet} has no usable ${lack} clip (${n[other]} ${other}${failures(lack)}${failed.unlabelled ? `; ${failed.unlabelled} without a class` : ""}): a detector needs both classes — add ${lack} clips (${how}, or manifest.csv rows labelled ${lack})`,
  );
}
