// One measured run for bench/extract.ts, in its own process (so its peak RSS is its own), running
// the compiled code in dist/ as `dfd run` does (no tsx loader in the way):
//   node bench/extract-child.mjs extract|bare <data> <workers> <outDir> [params-json]
// Prints one JSON line. "bare" decodes the same clips with the same ffmpeg command as extract
// (same filter graph, rawvideo replaced by -f null), `workers` at a time.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dist = new URL("../dist/", import.meta.url);
const { listDataset } = await import(new URL("src/dataset/list.js", dist).href);
const { ffmpegBinary } = await import(new URL("src/video/ffmpeg.js", dist).href);
const { decodeArgs } = await import(new URL("src/video/frames.js", dist).href);
const { EXTRACT_DEFAULTS } = await import(new URL("stages/extract/params.js", dist).href);
const extract = (await import(new URL("stages/extract/index.js", dist).href)).default;
const { runKind, standaloneProvenance } = await import(new URL("src/runner/in-process.js", dist).href);

const [mode, data, workersArg, outRoot, paramsJson] = process.argv.slice(2);
const workers = Number(workersArg ?? 2);
const params = { ...EXTRACT_DEFAULTS, workers, ...(paramsJson ? JSON.parse(paramsJson) : {}) };
const t0 = performance.now();
let clips = 0;
let failed = 0;
if (mode === "bare") {
  const entries = listDataset(data).entries.filter((e) => !e.error);
  const bin = ffmpegBinary().path;
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < entries.length) {
        const e = entries[next++];
        const args = decodeArgs(e.file, { fps: params.fps, size: params.size, resize: params.resize, thumbs: true }, { frames: "-", thumbs: "-", format: "null" }, { describe: true });
        const code = await new Promise((r) => spawn(bin, args, { stdio: "ignore" }).on("close", r));
        clips++;
        if (code !== 0) failed++;
      }
    }),
  );
} else {
  const outDir = join(outRoot, "out");
  const tmpDir = join(outRoot, "tmp");
  mkdirSync(outDir, { recursive: true });
  mkdirSync(tmpDir, { recursive: true });
  const quiet = () => {};
  await runKind(extract, {
    name: "extract", params, inputs: [], data, projectDir: outRoot, outDir, tmpDir, progress: quiet,
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet }, signal: new AbortController().signal, cpus: workers,
    logFile: join(outRoot, "extract.log"), provenance: standaloneProvenance(),
  });
  const rows = readFileSync(join(outDir, "videos.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  clips = rows.length;
  failed = rows.filter((r) => r.error).length;
}
const secs = (performance.now() - t0) / 1000;
const usage = process.resourceUsage();
console.log(JSON.stringify({ mode, clips, failed, secs, maxRssMB: usage.maxRSS / 1024, cpuSelf: (usage.userCPUTime + usage.systemCPUTime) / 1e6 }));
