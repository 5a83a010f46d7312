// Runner benchmark (issues 2 and 13). Two kinds of data behind a shell stage's `deps:` folder:
//  (1) big files: 1 000 files, 1 GB in total. Measures first-run hashing throughput with a cold
//      state table (through the real CLI and for the FileHasher alone) and the fully cached re-run.
//  (2) many small files: 10 000 and 100 000 files of 512 bytes in one folder (the shape of a
//      features/ folder). Measures the first run, the fully cached no-op run (node start-up
//      included) and a run after touching one file, checking via DFD_STATS that a no-op run
//      re-reads nothing and the touched run exactly one file.
//   npm run build && npm run bench:hash  [-- --files 1000 --mb 1000 --runs 10 --small 10000,100000 --small-runs 5]
//   --small 0 skips (2); --files 0 skips (1).
//   --against DIR: also measure another build of dfd (a built checkout, e.g. `git worktree add
//   /tmp/before <rev> && (cd /tmp/before && npm run build)`) on the same small-file data, its no-op
//   runs interleaved with this one's (own artifacts dir) and its FileHasher in-process.
// Data goes to bench/out/hash/ (git-ignored), page cache warm (just written).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FileHasher, listFiles } from "../src/runner/filehash.js";
import { openDb } from "../src/runner/db.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const FILES = Number(arg("files", "1000"));
const MB = Number(arg("mb", "1000"));
const RUNS = Number(arg("runs", "10"));
const SMALL = arg("small", "10000,100000").split(",").map(Number).filter((n) => n > 0);
const SMALL_RUNS = Number(arg("small-runs", "5"));
const AGAINST = process.argv.includes("--against") ? resolve(arg("against", "")) : undefined;
const bin = fileURLToPath(new URL("../bin/dfd.js", import.meta.url));
const base = fileURLToPath(new URL("./out/hash/", import.meta.url));

const PIPELINE = `stages:
  index:
    run: ls data | wc -l > $DFD_OUT/count.txt
    deps: [data]
  report:
    run: cat $DFD_INPUT_INDEX/count.txt > $DFD_OUT/report.txt
    needs: [index]
`;

// /usr/bin/time gives the child's CPU time and peak RSS too: on a shared 2-core machine wall time
// is noisy.
const TIME = existsSync("/usr/bin/time");
const dfd = (root: string, args: string[], other?: { bin: string; artifacts: string }) => {
  const cli = [process.execPath, other?.bin ?? bin, ...args];
  const cmd = TIME ? ["/usr/bin/time", "-f", "CPU %U %S RSS %M", ...cli] : cli;
  const t0 = performance.now();
  const env = { ...process.env, CI: "1", DFD_STATS: "1", ...(other ? { DFD_ARTIFACTS: other.artifacts } : {}) };
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd: root, encoding: "utf8", env });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`dfd ${args.join(" ")} failed:\n${r.stderr}`);
  const cpu = /CPU ([\d.]+) ([\d.]+) RSS (\d+)/.exec(r.stderr);
  const stats = /dfd: hashed (\d+) files, read (\d+) \(([\d.]+) MB in (\d+) ms\)/.exec(r.stderr);
  return {
    ms,
    cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN,
    rssMb: cpu ? Number(cpu[3]) / 1024 : NaN,
    hashed: Number(stats?.[1]), read: Number(stats?.[2]), readMs: Number(stats?.[4]),
  };
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const min = (xs: number[]) => Math.min(...xs);

function setup(name: string): string {
  const root = join(base, name);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "pipeline.yaml"), PIPELINE);
  return root;
}

/** Writes `count` files of `size` bytes into root/data unless they are already there. Their mtime
 * is set a minute back: files written a moment before a run are (rightly) re-read once. */
function makeData(root: string, count: number, size: number): void {
  const dataDir = join(root, "data");
  const last = join(dataDir, `f${count - 1}.bin`);
  if (existsSync(last) && statSync(last).size === size && readdirSync(dataDir).length === count) return;
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const buf = Buffer.allocUnsafe(size);
  const past = new Date(Date.now() - 60_000);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j + 4 <= size; j += 4) buf.writeUInt32LE((i * 2654435761 + j) >>> 0, j);
    writeFileSync(join(dataDir, `f${i}.bin`), buf);
    utimesSync(join(dataDir, `f${i}.bin`), past, past);
  }
  utimesSync(dataDir, past, past);
}

type Run = ReturnType<typeof dfd>;
const summary = (runs: Run[]) => ({
  runs: runs.length,
  min_ms: Math.round(min(runs.map((r) => r.ms))),
  median_ms: Math.round(median(runs.map((r) => r.ms))),
  max_ms: Math.round(Math.max(...runs.map((r) => r.ms))),
  cpu_median_ms: Math.round(median(runs.map((r) => r.cpuMs))),
  peak_rss_mb: Math.round(Math.max(...runs.map((r) => r.rssMb))),
  files_hashed_per_run: runs[0]!.hashed,
  files_reread_total: runs.reduce((a, r) => a + r.read, 0),
});
const cachedRuns = (root: string, n: number) => summary(Array.from({ length: n }, () => dfd(root, ["run"])));

/** The no-op tree hash of `data` with a FileHasher in this process (this build's or `src`'s). */
async function inProcess(src: string | undefined, dbFile: string, data: string, runs: number) {
  const { openDb: open } = (src ? await import(join(src, "src/runner/db.ts")) : { openDb }) as { openDb: typeof openDb };
  const { FileHasher: Hasher } = (src ? await import(join(src, "src/runner/filehash.ts")) : { FileHasher }) as { FileHasher: typeof FileHasher };
  const db = await open(dbFile);
  const wall: number[] = [];
  const cpu: number[] = [];
  let reread = 0;
  for (let i = 0; i < runs + 1; i++) {
    const h = new Hasher(db);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await h.hashTree(data);
    if (i === 0) continue; // the first may (re)write state
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    reread += h.stats.filesRead;
  }
  await db.close();
  return { runs, min_ms: Math.round(min(wall)), median_ms: Math.round(median(wall)), cpu_median_ms: Math.round(median(cpu)), files_reread_total: reread };
}

const out: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`,
  load_average_start: loadavg().map((l) => Number(l.toFixed(2))),
};

// (1) Big files.
if (FILES > 0) {
  const root = setup("big");
  makeData(root, FILES, Math.floor((MB * 1e6) / FILES));
  const files = await listFiles(join(root, "data"));
  const bytes = files.reduce((a, f) => a + statSync(f).size, 0);
  const gbps = (ms: number) => Number((bytes / 1e9 / (ms / 1000)).toFixed(2));
  // FileHasher alone, no state table: pure read + sha256 throughput, on the main thread only
  // (threads = 1) and with one worker thread per core.
  const timeHasher = async (threads: number) => {
    const t0 = performance.now();
    await new FileHasher(undefined, threads).hashFiles(files);
    return performance.now() - t0;
  };
  await timeHasher(cpus().length); // warm the page cache: every number below is for cached file data
  const oneThreadMs = await timeHasher(1);
  const hasherMs = await timeHasher(cpus().length);
  rmSync(join(root, "artifacts"), { recursive: true, force: true });
  const first = dfd(root, ["run"]);
  out.big = {
    files: files.length,
    bytes,
    hasher_only: { threads: cpus().length, ms: Math.round(hasherMs), gb_per_s: gbps(hasherMs) },
    hasher_main_thread_only: { ms: Math.round(oneThreadMs), gb_per_s: gbps(oneThreadMs) },
    first_run_cli: { wall_ms: Math.round(first.ms), files_read: first.read, hashing_ms: first.readMs, hashing_gb_per_s: gbps(first.readMs), end_to_end_gb_per_s: gbps(first.ms) },
    cached_run: cachedRuns(root, RUNS),
  };
}

// (2) Many small files.
for (const count of SMALL) {
  const root = setup(`small-${count}`);
  makeData(root, count, 512);
  rmSync(join(root, "artifacts"), { recursive: true, force: true });
  const first = dfd(root, ["run"]);
  // No-op runs, interleaved with the other build's when there is one.
  const other = AGAINST ? { bin: join(AGAINST, "bin/dfd.js"), artifacts: join(root, "artifacts-against") } : undefined;
  if (other) {
    rmSync(other.artifacts, { recursive: true, force: true });
    dfd(root, ["run"], other);
  }
  const mine: Run[] = [];
  const theirs: Run[] = [];
  for (let i = 0; i < SMALL_RUNS; i++) {
    mine.push(dfd(root, ["run"]));
    if (other) theirs.push(dfd(root, ["run"], other));
  }
  // The FileHasher alone, in this process, on the state table the runs left: the no-op tree hash
  // without node start-up, module loading or the rest of the run.
  const noop = await inProcess(undefined, join(root, "artifacts", "cache.sqlite"), join(root, "data"), SMALL_RUNS);
  const noopOther = other ? await inProcess(AGAINST, join(other.artifacts, "cache.sqlite"), join(root, "data"), SMALL_RUNS) : undefined;
  // One file changed (same size, new content): exactly that file is re-read.
  const touched = join(root, "data", "f7.bin");
  writeFileSync(touched, Buffer.alloc(512, Date.now() % 251));
  const past = new Date(Date.now() - 30_000);
  utimesSync(touched, past, past);
  const one = dfd(root, ["run"]);
  out[`small_${count}`] = {
    files: count,
    first_run_cli: { wall_ms: Math.round(first.ms), cpu_ms: Math.round(first.cpuMs), files_read: first.read },
    cached_run: summary(mine),
    hash_tree_in_process: noop,
    one_file_changed: { wall_ms: Math.round(one.ms), files_read: one.read },
    ...(other ? { against: { build: AGAINST, cached_run: summary(theirs), hash_tree_in_process: noopOther } } : {}),
  };
}

out.node_startup_ms = (() => {
  const t = performance.now();
  spawnSync(process.execPath, ["-e", "0"]);
  return Math.round(performance.now() - t);
})();
out.load_average_end = loadavg().map((l) => Number(l.toFixed(2)));
console.log(JSON.stringify(out, null, 2));
