// Team benchmark (issue 10): the fully cached demo pipeline (the repo's pipeline.yaml) pulled from
// the remote cache into a fresh clone, on loopback — a real S3 (Ceph RGW on 127.0.0.1) and a
// shared directory. Per backend: `dfd push` of the source project's latest run into an empty
// remote, then, in fresh clones, `dfd pull` (seconds, MB, MB/s, requests) and a `dfd run` that
// takes every stage from the remote (wall time, nothing recomputed), then `dfd verify`.
//   npm run build && node --import tsx bench/remote.ts [--pipeline FILE] [--rounds N]
// The source project lives in bench/out/remote/source (git-ignored): its first run computes the
// pipeline once; later invocations reuse its local cache.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { arg, servers } from "./team-servers.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin/dfd.js");
const pipeline = resolve(arg("pipeline", join(root, "pipeline.yaml")));
const rounds = Number(arg("rounds", "3"));

const srv = await servers("s3");
const env = srv.env;

function dfd(cwd: string, args: string[], extra: Record<string, string> = {}) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", env: { ...process.env, CI: "1", ...extra }, maxBuffer: 64 << 20 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`dfd ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return { seconds, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout.trim().split("\n").pop()!) };
}

// The source project: computed once, cached across invocations.
const source = join(root, "bench/out/remote/source");
mkdirSync(source, { recursive: true });
copyFileSync(pipeline, join(source, "pipeline.yaml"));
console.error("source: dfd run (computes the pipeline the first time; cached afterwards)…");
const first = dfd(source, ["run", "--json"], { DFD_REMOTE: "off" });
console.error(`source run: ${first.seconds.toFixed(1)} s`);

const rows = ["| remote | step | s (median of " + rounds + ") | MB | MB/s | requests |", "|---|---|---|---|---|---|"];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const kind of ["s3", "file"] as const) {
  const url = kind === "s3" ? await srv.newBucket() : pathToFileURL(mkdtempSync(join(tmpdir(), "dfd-bench-remote-"))).href;
  const remoteEnv = { DFD_REMOTE: url, ...(kind === "s3" ? { DFD_REMOTE_ENDPOINT: env.DFD_TEST_S3_ENDPOINT! } : {}) };
  const push = dfd(source, ["push", "--json"], remoteEnv);
  const p = push.json();
  const preq = p.requests.get + p.requests.head + p.requests.put + p.requests.list;
  rows.push(`| ${kind === "s3" ? "S3 (Ceph RGW)" : "shared dir"} | \`dfd push\` into an empty remote | ${push.seconds.toFixed(2)} | ${(p.uploadedBytes / 1e6).toFixed(1)} | ${(p.uploadedBytes / 1e6 / push.seconds).toFixed(1)} | ${preq} (PUT ${p.requests.put}, HEAD ${p.requests.head}) |`);
  const pulls: { s: number; mb: number; req: string }[] = [];
  const runs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const clone = mkdtempSync(join(tmpdir(), "dfd-bench-clone-"));
    copyFileSync(join(source, "pipeline.yaml"), join(clone, "pipeline.yaml"));
    const pull = dfd(clone, ["pull", "--json"], remoteEnv);
    const j = pull.json();
    pulls.push({ s: pull.seconds, mb: j.downloadedBytes / 1e6, req: `${j.requests.get + j.requests.head + j.requests.list} (GET ${j.requests.get}, LIST ${j.requests.list})` });
    dfd(clone, ["verify"], remoteEnv);
    rmSync(clone, { recursive: true, force: true });
    const clone2 = mkdtempSync(join(tmpdir(), "dfd-bench-clone-"));
    copyFileSync(join(source, "pipeline.yaml"), join(clone2, "pipeline.yaml"));
    const run = dfd(clone2, ["run", "--json"], remoteEnv);
    const statuses = run.json().stages.map((s: { status: string }) => s.status);
    if (statuses.some((s: string) => s !== "cached")) throw new Error(`fresh clone recomputed something: ${statuses}`);
    runs.push(run.seconds);
    rmSync(clone2, { recursive: true, force: true });
  }
  const m = median(pulls.map((x) => x.s));
  const mb = pulls[0]!.mb;
  rows.push(`| | \`dfd pull\` into a fresh clone (wall, incl. node start-up) | ${m.toFixed(2)} | ${mb.toFixed(1)} | ${(mb / m).toFixed(1)} | ${pulls[0]!.req} |`);
  rows.push(`| | \`dfd run\` in a fresh clone, every stage from the remote | ${median(runs).toFixed(2)} | ${mb.toFixed(1)} | ${(mb / median(runs)).toFixed(1)} | |`);
  if (kind === "file") rmSync(fileURLToPath(url), { recursive: true, force: true });
  else await srv.dropBucket(url);
}
await srv.stop();
rows.push("", `pipeline: ${pipeline}; load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
console.log(rows.join("\n"));
