// One measured run for bench/extract.ts, in its own process (so its peak RSS is its own, plus
// its worker processes' sampled every 100 ms), running the compiled code in dist/ as `dfd run`
// does (no tsx loader in the way):
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
// Peak RSS of this process and its node descendants (extract's worker processes) together, and
// the workers' own CPU time (user + sys, last seen), sampled from /proc every 100 ms (ffmpeg is not
// counted in either: bare ffmpeg's is not either; its CPU is the rest of /usr/bin/time's total).
let peakTreeKB = 0;
const workerTicks = new Map();
const children = (pid) => {
  try { return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number); } catch { return []; }
};
const sample = () => {
  let kb = 0;
  const todo = [process.pid];
  while (todo.length) {
    const pid = todo.pop();
    try {
      const st = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (st.slice(st.indexOf("(") + 1, st.lastIndexOf(")")) !== "node") continue;
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      if (pid !== process.pid) workerTicks.set(pid, Number(f[11]) + Number(f[12])); // utime + stime
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
      todo.push(...children(pid));
    } catch { /* gone */ }
  }
  peakTreeKB = Math.max(peakTreeKB, kb);
};
const sampler = process.platform === "linux" ? setInterval(sample, 100) : undefined;
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
clearInterval(sampler);
const usage = process.resourceUsage();
console.log(JSON.stringify({ mode, clips, failed, secs, maxRssMB: Math.max(usage.maxRSS, peakTreeKB) / 1024, cpuWorkers: [...workerTicks.values()].reduce((a, b) => a + b, 0) / 100, cpuSelf: (usage.userCPUTime + usage.systemCPUTime) / 1e6 }));
