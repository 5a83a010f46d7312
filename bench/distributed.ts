// Team benchmark (issue 10): extract on ../shared/data/clips (103 clips) through a coordinator and
// two `dfd worker`s (BullMQ on a real Redis, results through a real S3: Ceph RGW on 127.0.0.1)
// against the local pool, on the same 2 cores. What it measures is the distribution overhead:
// per item, what a worker spends besides running the item (inputs from the remote, results to
// it), and per item the requests that go to Redis and to S3 — the numbers the scaling estimate in
// BENCHMARKS.md starts from.
//   npm run build && node --import tsx bench/distributed.ts [--data DIR] [--rounds N] [--jobs 2] [--worker-jobs N]
// Uses the servers exported by `eval "$(node scripts/services.mjs start)"`, else starts its own.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { arg, servers } from "./team-servers.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin/dfd.js");
const data = resolve(arg("data", join(root, "../shared/data/clips")));
const rounds = Number(arg("rounds", "2"));
const jobs = arg("jobs", "2");
// items each worker takes at a time (default: --jobs); more than its pool runs at once lets a
// worker fetch the next items' inputs while the current ones compute
const workerJobs = arg("worker-jobs", jobs);
if (!existsSync(data)) {
  console.log(`bench/distributed: SKIPPED — ${data} not found`);
  process.exit(0);
}

const srv = await servers("redis+s3");
const { env, aws } = srv;

const dir = mkdtempSync(join(tmpdir(), "dfd-bench-dist-"));
writeFileSync(join(dir, "pipeline.yaml"), `data: ${data}\nstages:\n  extract: { uses: extract }\n`);

async function redisCommands(url: string): Promise<number> {
  const { Redis } = await import("ioredis");
  const r = new Redis(url);
  const info = await r.info("stats");
  r.disconnect();
  return Number(/total_commands_processed:(\d+)/.exec(info)![1]) ;
}

interface Result { seconds: number; stageSeconds: number; items: number }
function dfdRun(args: string[], extra: Record<string, string>, artifacts: string): Result & { stderr: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, "run", "--json", "-j", jobs, ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "1", DFD_ARTIFACTS: artifacts, ...extra } });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`dfd run ${args.join(" ")} failed:\n${r.stderr}`);
  const json = JSON.parse(r.stdout.trim().split("\n").pop()!);
  const clips = /(\d+) clips \(/.exec(r.stderr);
  return { seconds, stageSeconds: json.stages[0].seconds, items: Number(clips?.[1] ?? 0), stderr: r.stderr };
}

function startWorker(queue: string, extra: Record<string, string>) {
  const work = mkdtempSync(join(tmpdir(), "dfd-bench-worker-"));
  const child = spawn(process.execPath, [bin, "worker", "--queue", queue, "-j", workerJobs, "--threads", String(Math.max(1, Number(jobs) / 2)), "--work-dir", work], { cwd: dir, env: { ...process.env, CI: "1", ...extra }, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (c: Buffer) => (log += c.toString()));
  return {
    log: () => log,
    ready: () => new Promise<void>((res, rej) => { const t = setInterval(() => { if (/: queue /.test(log)) { clearInterval(t); res(); } if (child.exitCode !== null) { clearInterval(t); rej(new Error(log)); } }, 50); }),
    stop: () => new Promise<void>((res) => { child.once("exit", () => { rmSync(work, { recursive: true, force: true }); res(); }); child.kill("SIGTERM"); }),
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const rows: string[] = [];
const local: Result[] = [];
type Dist = Result & { inputs: number; run: number; results: number; s3: Record<string, number>; redis: number };
const dist: Dist[] = [];
const shared: Dist[] = [];
for (let round = 0; round < rounds; round++) {
  // local pool
  const la = mkdtempSync(join(tmpdir(), "dfd-bench-art-"));
  local.push(dfdRun([], { DFD_REMOTE: "off" }, la));
  rmSync(la, { recursive: true, force: true });
  // coordinator + 2 workers, a fresh bucket and queue (no cached items; inputs uploaded again, or
  // read where they are with --inputs shared)
  for (const inputs of ["remote", "shared"] as const) {
    const url = await srv.newBucket();
    const queue = `${env.DFD_TEST_REDIS_URL}/${12 + (round % 4)}`;
    { const { Redis } = await import("ioredis"); const r = new Redis(queue); await r.flushdb(); r.disconnect(); }
    const remoteEnv = { ...aws, DFD_REMOTE: url, DFD_REMOTE_ENDPOINT: env.DFD_TEST_S3_ENDPOINT! };
    const ws = [startWorker(queue, remoteEnv), startWorker(queue, remoteEnv)];
    await Promise.all(ws.map((w) => w.ready()));
    const before = await redisCommands(env.DFD_TEST_REDIS_URL!);
    const da = mkdtempSync(join(tmpdir(), "dfd-bench-art-"));
    const r = dfdRun(["--executor", "bullmq", "--queue", queue, "--inputs", inputs], { ...remoteEnv, DFD_STATS: "1" }, da);
    const redis = (await redisCommands(env.DFD_TEST_REDIS_URL!)) - before;
    await Promise.all(ws.map((w) => w.stop()));
    rmSync(da, { recursive: true, force: true });
    const logs = ws.map((w) => w.log()).join("\n");
    const timings = [...logs.matchAll(/\(inputs (\d+) ms, run (\d+) ms, results (\d+) ms\)/g)].map((m) => m.slice(1).map(Number));
    const s3: Record<string, number> = { GET: 0, HEAD: 0, PUT: 0, LIST: 0 };
    for (const m of [...logs.matchAll(/requests to .*?: GET (\d+), HEAD (\d+), PUT (\d+), LIST (\d+)/g), ...r.stderr.matchAll(/requests: GET (\d+), HEAD (\d+), PUT (\d+), LIST (\d+)/g)])
      ["GET", "HEAD", "PUT", "LIST"].forEach((k, i) => (s3[k]! += Number(m[i + 1])));
    await srv.dropBucket(url);
    (inputs === "remote" ? dist : shared).push({ ...r, inputs: mean(timings.map((t) => t[0]!)), run: mean(timings.map((t) => t[1]!)), results: mean(timings.map((t) => t[2]!)), s3, redis });
  }
  console.error(`round ${round + 1}: local ${local[round]!.stageSeconds.toFixed(1)} s, distributed ${dist[round]!.stageSeconds.toFixed(1)} s (inputs remote), ${shared[round]!.stageSeconds.toFixed(1)} s (inputs shared) (${dist[round]!.items} items)`);
}
rmSync(dir, { recursive: true, force: true });
await srv.stop();

const items = dist[0]!.items;
const best = (xs: Result[]) => Math.min(...xs.map((x) => x.stageSeconds));
const lb = best(local);
rows.push(`| run | extract stage s (best of ${rounds}) | clips/s | vs local |`, "|---|---|---|---|");
rows.push(`| local pool, -j ${jobs} | ${lb.toFixed(1)} | ${(items / lb).toFixed(2)} | 1 |`);
for (const [name, xs] of [["inputs through S3 (default)", dist], ["inputs shared (same paths)", shared]] as const) {
  const b = best(xs);
  rows.push(`| coordinator + 2 \`dfd worker -j ${workerJobs} --threads ${Math.max(1, Number(jobs) / 2)}\`, ${name} | ${b.toFixed(1)} | ${(items / b).toFixed(2)} | **${(lb / b).toFixed(2)}×** |`);
}
rows.push("", `per round (local / S3 inputs / shared inputs, s): ${local.map((l, i) => `${l.stageSeconds.toFixed(1)} / ${dist[i]!.stageSeconds.toFixed(1)} / ${shared[i]!.stageSeconds.toFixed(1)}`).join("; ")}`);
for (const [name, xs] of [["inputs through S3", dist], ["inputs shared", shared]] as const) {
  const d = xs.find((x) => x.stageSeconds === best(xs))!;
  rows.push("", `**${name}** (best round), per item:`, "", "| | |", "|---|---|");
  rows.push(`| worker: inputs (download + re-hash, or re-hash in place) | ${d.inputs.toFixed(0)} ms |`);
  rows.push(`| worker: the item itself (extract's run) | ${d.run.toFixed(0)} ms |`);
  rows.push(`| worker: results to the remote (hash, PUT blobs, record) | ${d.results.toFixed(0)} ms |`);
  for (const k of ["GET", "HEAD", "PUT", "LIST"]) rows.push(`| S3 ${k} requests (coordinator + workers) | ${(d.s3[k]! / items).toFixed(2)} |`);
  rows.push(`| Redis commands (all clients, incl. blocking waits) | ${(d.redis / items).toFixed(1)} |`);
}
rows.push("", `load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
console.log(rows.join("\n"));
