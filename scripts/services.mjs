#!/usr/bin/env node
// Real servers on 127.0.0.1 for the remote-cache and distributed tests and benchmarks: Redis and an
// S3 endpoint (Ceph RGW: one monitor, one OSD on memstore, one radosgw, auth off), all from the
// Debian packages (`apt-get install redis-server radosgw ceph-mon ceph-osd uuid-runtime`). Every
// daemon runs from one state directory and is stopped by its pid file, never by name.
//
//   node scripts/services.mjs start [--dir D] [--only redis|s3]   # prints `export …` lines
//   node scripts/services.mjs stop  [--dir D]
//   node scripts/services.mjs env   [--dir D]                     # the exports again
//
// What a test process gets (scripts/run-tests.mjs exports these when it started the services):
//   DFD_TEST_REDIS_URL       redis://127.0.0.1:PORT
//   DFD_TEST_S3_ENDPOINT     http://127.0.0.1:PORT
//   DFD_TEST_S3_ACCESS_KEY, DFD_TEST_S3_SECRET_KEY   an RGW user's keys
//   DFD_TEST_CEPH_CONF       the cluster's ceph.conf (a test may start its own radosgw on it)
// Tests pass them on as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY to the dfd processes they start.
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const DEFAULT_DIR = join(tmpdir(), "dfd-services");
const ACCESS_KEY = "dfdtestaccesskey";
const SECRET_KEY = "dfdtestsecretkey0123456789";

/** Is `bin` on PATH? */
export function have(bin) {
  return spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0;
}

export const REDIS_BINS = ["redis-server"];
export const S3_BINS = ["ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool", "ceph", "uuidgen"];

/** Which services this machine can run. */
export function available() {
  return { redis: REDIS_BINS.every(have), s3: S3_BINS.every(have) };
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function portOpen(port) {
  return new Promise((res) => {
    const c = connect({ port, host: "127.0.0.1" });
    c.once("connect", () => { c.destroy(); res(true); });
    c.once("error", () => res(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, cond, ms, logHint) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(100);
  }
  throw new Error(`${what} did not come up within ${ms / 1000} s${logHint ? ` (log: ${logHint})` : ""}`);
}

function run(cmd, args, env, opts = {}) {
  const r = spawnSync(cmd, args, { env, encoding: "utf8", timeout: opts.timeout ?? 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || "").trim().split("\n").slice(-5).join("\n")}`);
  return r.stdout;
}

async function startRedis(dir) {
  const d = join(dir, "redis");
  mkdirSync(d, { recursive: true });
  const port = await freePort();
  // noeviction is Redis's default and what BullMQ requires; say it anyway.
  run("redis-server", ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no",
    "--maxmemory-policy", "noeviction", "--dir", d, "--daemonize", "yes", "--pidfile", join(d, "redis.pid"),
    "--logfile", join(d, "redis.log")]);
  await waitFor("redis-server", () => portOpen(port), 10_000, join(d, "redis.log"));
  return { DFD_TEST_REDIS_URL: `redis://127.0.0.1:${port}` };
}

/** The OSD keeps every object in memory (memstore), up to this much: 1 GiB, or DFD_SERVICES_S3_MB.
 * A full OSD makes every write hang: benchmarks delete their buckets as they go. */
function memstoreBytes() {
  const mb = Number(process.env.DFD_SERVICES_S3_MB ?? 1024);
  return Math.round((Number.isFinite(mb) && mb >= 256 ? mb : 1024) * 1024 * 1024);
}

async function startS3(dir) {
  const d = join(dir, "ceph");
  rmSync(d, { recursive: true, force: true });
  for (const sub of ["run", "log", "mon/ceph-a", "osd/ceph-0", "rgw"]) mkdirSync(join(d, sub), { recursive: true });
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const fsid = randomUUID();
  const conf = join(d, "ceph.conf");
  writeFileSync(conf, `[global]
fsid = ${fsid}
mon host = v1:127.0.0.1:${monPort}
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = ${memstoreBytes()}
# The OSD's own crush commands at start-up race its first monmap (EPERM "wrong fsid"): the script
# puts osd.0 into the crush map itself.
osd class update on start = false
osd crush update on start = false
osd memory target = 268435456
run dir = ${d}/run
pid file = ${d}/run/$name.pid
log file = ${d}/log/$name.log
admin socket = ${d}/run/$name.asok
mon data = ${d}/mon/$cluster-$id
osd data = ${d}/osd/$cluster-$id
rgw data = ${d}/rgw/$cluster-$id
keyring = ${d}/keyring

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw dns name = 127.0.0.1
`);
  writeFileSync(join(d, "keyring"), "");
  const env = { ...process.env, CEPH_CONF: conf };
  const monmap = join(d, "monmap");
  run("monmaptool", ["--create", "--add", "a", `v1:127.0.0.1:${monPort}`, "--fsid", fsid, monmap], env);
  run("ceph-mon", ["--mkfs", "-i", "a", "--monmap", monmap], env);
  run("ceph-mon", ["-i", "a"], env);
  await waitFor("ceph-mon", () => portOpen(monPort), 20_000, join(d, "log/mon.a.log"));
  const uuid = run("uuidgen", [], env).trim();
  // The monitor answers commands only once it has formed its quorum of one: retry briefly.
  let id = "";
  await waitFor("ceph-mon quorum", () => {
    const r = spawnSync("ceph", ["--connect-timeout", "5", "osd", "create", uuid], { env, encoding: "utf8", timeout: 15_000 });
    id = (r.stdout ?? "").trim();
    return r.status === 0;
  }, 30_000, join(d, "log/mon.a.log"));
  if (id !== "0") throw new Error(`ceph osd create gave id ${id}, expected 0`);
  run("ceph-osd", ["-i", "0", "--mkfs", "--osd-uuid", uuid], env);
  run("ceph", ["osd", "crush", "add", "osd.0", "1", "root=default"], env);
  run("ceph-osd", ["-i", "0"], env);
  await waitFor("ceph-osd", () => / 1 up/.test(spawnSync("ceph", ["--connect-timeout", "5", "osd", "stat"], { env, encoding: "utf8" }).stdout ?? ""), 60_000, join(d, "log/osd.0.log"));
  run("radosgw", ["-n", "client.rgw.a"], env);
  await waitFor("radosgw", () => portOpen(rgwPort), 60_000, join(d, "log/client.rgw.a.log"));
  run("radosgw-admin", ["user", "create", "--uid=dfd-test", "--display-name=dfd test", `--access-key=${ACCESS_KEY}`, `--secret=${SECRET_KEY}`], env);
  return { DFD_TEST_S3_ENDPOINT: `http://127.0.0.1:${rgwPort}`, DFD_TEST_S3_ACCESS_KEY: ACCESS_KEY, DFD_TEST_S3_SECRET_KEY: SECRET_KEY, DFD_TEST_CEPH_CONF: conf };
}

/** Starts the services this machine has (or only `only`), writes dir/env.json, returns the env. */
export async function start({ dir = DEFAULT_DIR, only } = {}) {
  dir = resolve(dir);
  await stop({ dir });
  mkdirSync(dir, { recursive: true });
  const can = available();
  const want = only ? [only] : ["redis", "s3"];
  const env = {};
  try {
    if (want.includes("redis") && can.redis) Object.assign(env, await startRedis(dir));
    if (want.includes("s3") && can.s3) Object.assign(env, await startS3(dir));
  } catch (e) {
    if (!process.env.DFD_SERVICES_KEEP) await stop({ dir });
    throw e;
  }
  writeFileSync(join(dir, "env.json"), JSON.stringify(env, null, 2) + "\n");
  return env;
}

/** Every pid file under dir: the daemons this script started. */
function pidFiles(dir) {
  const out = [];
  const walk = (p) => {
    let names = [];
    try { names = readdirSync(p, { withFileTypes: true }); } catch { return; }
    for (const e of names) {
      if (e.isDirectory()) walk(join(p, e.name));
      else if (e.name.endsWith(".pid")) out.push(join(p, e.name));
    }
  };
  walk(dir);
  return out;
}

const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** Stops what start() started, by pid file (TERM, then KILL after 5 s), and removes dir. */
export async function stop({ dir = DEFAULT_DIR } = {}) {
  dir = resolve(dir);
  if (!existsSync(dir)) return;
  const pids = pidFiles(dir).map((f) => Number(readFileSync(f, "utf8").trim())).filter((p) => Number.isInteger(p) && p > 1);
  // radosgw first: it talks to the OSD while shutting down.
  for (const pid of pids) if (alive(pid)) try { process.kill(pid, "SIGTERM"); } catch { /* gone */ }
  const end = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < end) await sleep(100);
  for (const pid of pids) if (alive(pid)) try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
  rmSync(dir, { recursive: true, force: true });
}

export function readEnv(dir = DEFAULT_DIR) {
  try { return JSON.parse(readFileSync(join(resolve(dir), "env.json"), "utf8")); } catch { return {}; }
}

const exportLines = (env) => Object.entries(env).map(([k, v]) => `export ${k}=${v}`).join("\n") + "\n";

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cmd, ...rest] = process.argv.slice(2);
  const opt = (name) => { const i = rest.indexOf(`--${name}`); return i >= 0 ? rest[i + 1] : undefined; };
  const dir = opt("dir") ?? DEFAULT_DIR;
  try {
    if (cmd === "start") {
      const only = opt("only");
      if (only && only !== "redis" && only !== "s3") throw new Error(`--only ${only}: expected redis or s3`);
      const can = available();
      for (const s of only ? [only] : ["redis", "s3"])
        if (!can[s]) process.stderr.write(`services: ${s} not started: ${(s === "redis" ? REDIS_BINS : S3_BINS).filter((b) => !have(b)).join(", ")} not found (apt-get install -y redis-server radosgw ceph-mon ceph-osd uuid-runtime)\n`);
      const t0 = Date.now();
      const env = await start({ dir, only });
      process.stderr.write(`services: started ${Object.keys(env).length ? Object.keys(env).join(", ") : "nothing"} in ${((Date.now() - t0) / 1000).toFixed(1)} s (state in ${resolve(dir)}; stop: node scripts/services.mjs stop${opt("dir") ? ` --dir ${dir}` : ""})\n`);
      process.stdout.write(exportLines(env));
    } else if (cmd === "stop") {
      await stop({ dir });
    } else if (cmd === "env") {
      process.stdout.write(exportLines(readEnv(dir)));
    } else {
      process.stderr.write("usage: node scripts/services.mjs start|stop|env [--dir D] [--only redis|s3]\n");
      process.exitCode = 2;
    }
  } catch (e) {
    process.stderr.write(`services: ${e.message}\n`);
    process.exitCode = 1;
  }
}
