// Runner benchmark (issue 2): a pipeline of shell stages whose deps are a folder of 1 000 files,
// 1 GB in total. Measures (1) first-run hashing throughput with a cold state table, both through
// the real CLI and for the FileHasher alone, and (2) the wall time of a fully cached re-run,
// node start-up included, checking that nothing is re-read.
//   npm run build && npm run bench:hash  [-- --files 1000 --mb 1000 --runs 10]
// Data goes to bench/out/hash/ (git-ignored), page cache warm (just written).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FileHasher, listFiles } from "../src/runner/filehash.js";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const FILES = arg("files", 1000);
const MB = arg("mb", 1000);
const RUNS = arg("runs", 10);
const root = fileURLToPath(new URL("./out/hash/", import.meta.url));
const bin = fileURLToPath(new URL("../bin/dfd.js", import.meta.url));
const dataDir = join(root, "data");

function makeData() {
  const size = Math.floor((MB * 1e6) / FILES);
  if (existsSync(join(dataDir, `f${FILES - 1}.bin`)) && statSync(join(dataDir, `f${FILES - 1}.bin`)).size === size) return;
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i < FILES; i++) {
    for (let j = 0; j < size; j += 4) buf.writeUInt32LE((i * 2654435761 + j) >>> 0, j & ~3);
    writeFileSync(join(dataDir, `f${i}.bin`), buf);
  }
}

mkdirSync(root, { recursive: true });
writeFileSync(join(root, "pipeline.yaml"), `stages:
  index:
    run: ls data | wc -l > $DFD_OUT/count.txt
    deps: [data]
  report:
    run: cat $DFD_INPUT_INDEX/count.txt > $DFD_OUT/report.txt
    needs: [index]
`);

// /usr/bin/time gives the child's CPU time too: on a shared 2-core machine wall time is noisy.
const TIME = existsSync("/usr/bin/time");
const dfd = (args: string[]) => {
  const cmd = TIME ? ["/usr/bin/time", "-f", "CPU %U %S", process.execPath, bin, ...args] : [process.execPath, bin, ...args];
  const t0 = performance.now();
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd: root, encoding: "utf8", env: { ...process.env, CI: "1", DFD_STATS: "1" } });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`dfd ${args.join(" ")} failed:\n${r.stderr}`);
  const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
  const stats = /dfd: hashed (\d+) files, read (\d+) \(([\d.]+) MB in (\d+) ms\)/.exec(r.stderr);
  return {
    ms,
    cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN,
    hashed: Number(stats?.[1]), read: Number(stats?.[2]), readMs: Number(stats?.[4]),
  };
};

makeData();
const files = await listFiles(dataDir);
const bytes = files.reduce((a, f) => a + statSync(f).size, 0);

// (1a) FileHasher alone, no state table: pure read + sha256 throughput, on the main thread only
// (threads = 1) and with one worker thread per core.
const timeHasher = async (threads: number) => {
  const t0 = performance.now();
  await new FileHasher(undefined, threads).hashFiles(files);
  return performance.now() - t0;
};
await timeHasher(cpus().length); // warm the page cache: every number below is for cached file data
const oneThreadMs = await timeHasher(1);
const hasherMs = await timeHasher(cpus().length);

// (1b) The real CLI, first run with a cold state table (fresh artifacts/).
rmSync(join(root, "artifacts"), { recursive: true, force: true });
const first = dfd(["run"]);

// (2) Fully cached re-runs.
const runs = Array.from({ length: RUNS }, () => dfd(["run"]));
const times = runs.map((r) => r.ms).sort((a, b) => a - b);
const cpuTimes = runs.map((r) => r.cpuMs).sort((a, b) => a - b);
const reread = runs.reduce((a, r) => a + r.read, 0);
const gbps = (ms: number) => (bytes / 1e9 / (ms / 1000)).toFixed(2);
const nodeStart = (() => {
  const t = performance.now();
  spawnSync(process.execPath, ["-e", "0"]);
  return performance.now() - t;
})();

const out = {
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`,
  files: files.length,
  bytes,
  hasher_only: { threads: cpus().length, ms: Math.round(hasherMs), gb_per_s: Number(gbps(hasherMs)) },
  hasher_main_thread_only: { ms: Math.round(oneThreadMs), gb_per_s: Number(gbps(oneThreadMs)) },
  first_run_cli: {
    wall_ms: Math.round(first.ms), files_read: first.read, hashing_ms: first.readMs,
    hashing_gb_per_s: Number(gbps(first.readMs)), end_to_end_gb_per_s: Number(gbps(first.ms)),
  },
  cached_run: {
    runs: RUNS, min_ms: Math.round(times[0]!), median_ms: Math.round(times[Math.floor(RUNS / 2)]!), max_ms: Math.round(times[RUNS - 1]!),
    cpu_median_ms: Math.round(cpuTimes[Math.floor(RUNS / 2)]!), files_hashed_per_run: runs[0]!.hashed, files_reread_total: reread,
  },
  node_startup_ms: Math.round(nodeStart),
  load_average: loadavg().map((l) => Number(l.toFixed(2))),
};
console.log(JSON.stringify(out, null, 2));
