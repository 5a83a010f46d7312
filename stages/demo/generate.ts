// Writes the demo set into the stage's output folder: real/camera__NNN.mp4, fake/generator__NNN.mp4
// and manifest.csv. Same seed and params → byte-identical files (bitexact flags, one ffmpeg build).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { StageContext, StageSummary } from "../../src/stage.js";
import { ffmpegBinary } from "../../src/video/ffmpeg.js";
import { reasonFrom, runCapture } from "../../src/video/process.js";
import type { DemoParams } from "./index.js";
import { fakeRecipe, realRecipe, rng, type Recipe } from "./recipes.js";

interface Job {
  rel: string;
  label: "real" | "fake";
  recipe: Recipe;
}

export function demoJobs(p: DemoParams): Job[] {
  const height = Math.round(p.size / 2) * 2;
  const width = Math.round((p.size * 4) / 3 / 2) * 2;
  const jobs: Job[] = [];
  // One generator per class, so adding fake clips does not change the real ones.
  const rReal = rng(p.seed * 2 + 1);
  const rFake = rng(p.seed * 2 + 2);
  for (let i = 0; i < p.real; i++)
    jobs.push({ rel: `real/camera__${String(i).padStart(3, "0")}.mp4`, label: "real", recipe: realRecipe(rReal, width, height, p.fps) });
  for (let i = 0; i < p.fake; i++)
    jobs.push({ rel: `fake/generator__${String(i).padStart(3, "0")}.mp4`, label: "fake", recipe: fakeRecipe(rFake, width, height, p.fps) });
  return jobs;
}

export function encodeArgs(job: Job, out: string): string[] {
  return [
    "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", job.recipe.graph,
    "-frames:v", String(job.recipe.frames), "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
    "-pix_fmt", "yuv420p", "-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1", out,
  ];
}

export async function generateDemo(ctx: StageContext<DemoParams>): Promise<StageSummary> {
  const jobs = demoJobs(ctx.params);
  await mkdir(join(ctx.outDir, "real"), { recursive: true });
  await mkdir(join(ctx.outDir, "fake"), { recursive: true });
  const bin = ffmpegBinary().path;
  let next = 0;
  let done = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(ctx.cpus, jobs.length)) }, async () => {
    while (next < jobs.length) {
      ctx.signal.throwIfAborted();
      const job = jobs[next++]!;
      const r = await runCapture(bin, encodeArgs(job, join(ctx.outDir, job.rel)), { signal: ctx.signal });
      if (r.code !== 0) throw new Error(`demo: ffmpeg failed to make ${job.rel}: ${reasonFrom(r.stderr)}`);
      ctx.progress(++done, jobs.length);
    }
  });
  await Promise.all(lanes);
  const csv = ["path,label,source,group", ...jobs.map((j) => `${j.rel},${j.label},${j.label === "real" ? "camera" : "generator"},`)];
  await writeFile(join(ctx.outDir, "manifest.csv"), csv.join("\n") + "\n");
  const frames = jobs.filter((j) => j.label === "real").map((j) => j.recipe.frames);
  return {
    lines: [
      `${ctx.params.real} real clips (${Math.min(...frames)}–${Math.max(...frames)} frames) and ${ctx.params.fake} fake clips (8 frames each), seed ${ctx.params.seed}`,
    ],
    facts: { clips: jobs.length },
  };
}
