// Shared set-up of the distributed tests: the real Redis and remote cache the tests run on, a
// small fan-out kind as a module file, and `dfd worker` processes the test owns (by pid).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive } from "../../src/runner/lock.js";
import { BIN, project, until } from "../helpers/cli.js";
import { awsEnv, freePort, newBucket, newFileRemote, s3 } from "../remote/servers.js";

export const redisUrl = process.env.DFD_TEST_REDIS_URL;
export const NO_REDIS = "no Redis test server (DFD_TEST_REDIS_URL unset): `npm test` starts one when redis-server is installed (apt-get install -y redis-server)";

let db = 1;
/** A Redis URL on a database of its own (1-11; bench/distributed.ts uses 12-15): tests never see each other's jobs — also across
 * the test files node runs in parallel (each claims its databases with SET NX on database 0;
 * a counter per process gave two files the same database, and one file's workers took the other's
 * items). */
export function isolatedQueue(): string {
  const cli = (...args: string[]) => spawnSync("redis-cli", ["-u", `${redisUrl}/0`, ...args], { encoding: "utf8" });
  // Emptied once claimed: a database left by an earlier run keeps its jobs.
  const claimed = (n: number) => { spawnSync("redis-cli", ["-u", `${redisUrl}/${n}`, "FLUSHDB"], { encoding: "utf8" }); return `${redisUrl}/${n}`; };
  for (; db <= 11; db++) {
    const claim = cli("SET", `dfd-test-db:${db}`, String(process.pid), "NX");
    if (claim.error) return `${redisUrl}/${db++}`; // no redis-cli: this process's counter only
    if (claim.stdout.trim() === "OK") return claimed(db++);
    // held by a test process that has ended (an earlier `npm test` on a kept-up Redis): take it over
    const holder = Number(cli("GET", `dfd-test-db:${db}`).stdout.trim());
    if (holder && !isAlive(holder) && cli("SET", `dfd-test-db:${db}`, String(process.pid)).stdout.trim() === "OK") return claimed(db++);
  }
  throw new Error("out of Redis databases for tests");
}

/** The remote cache the workers and the coordinator share: S3 when the test server runs, else a
 * shared directory. */
export async function sharedRemote(): Promise<{ url: string; env: NodeJS.ProcessEnv }> {
  const server = s3();
  if (server) {
    const { url } = await newBucket(server);
    Object.assign(process.env, awsEnv(server)); // the test's own client (standard variables)
    return { url, env: awsEnv(server, { DFD_REMOTE: url, DFD_REMOTE_ENDPOINT: server.endpoint }) };
  }
  const { url } = newFileRemote();
  return { url, env: { DFD_REMOTE: url } };
}

/** A fan-out kind: one item per .txt of the data set, upper-cased; `slow` items sleep first. */
export const UPPER_KIND = `// test fan-out kind
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const sha = (p) => createHash("sha256").update(readFileSync(p)).digest("hex");
export default {
  kind: "upper",
  description: "test: upper-cases every .txt of the data set, one item each",
  params: {
    delay_ms: { type: "number", default: 0, doc: "sleep this long in every item" },
    slow: { type: "string", default: "", doc: "this item sleeps slow_ms" },
    slow_ms: { type: "number", default: 0, doc: "how long the slow item sleeps" },
    flaky: { type: "string", default: "", doc: "this item fails its first attempt (marker: flaky_marker)" },
    flaky_marker: { type: "string", default: "", doc: "file that says the flaky item already failed once" },
  },
  usesData: true,
  fanOut: {
    async items(ctx) {
      return readdirSync(join(ctx.data, "texts")).filter((f) => f.endsWith(".txt")).sort()
        .map((f) => ({ id: f, contentHash: sha(join(ctx.data, "texts", f)), payload: { path: "texts/" + f } }));
    },
    async worker(w) {
      const prefix = readFileSync(join(w.data, "prefix.cfg"), "utf8").trim();
      return {
        async run(item, outDir, signal) {
          if (item.id === w.params.flaky && !existsSync(w.params.flaky_marker)) {
            writeFileSync(w.params.flaky_marker, "failed once");
            throw new Error("flaky item: failing its first attempt");
          }
          const ms = w.params.delay_ms + (item.id === w.params.slow ? w.params.slow_ms : 0);
          if (ms) await new Promise((r, j) => { const t = setTimeout(r, ms); signal.addEventListener("abort", () => { clearTimeout(t); j(new Error("aborted")); }); });
          const text = readFileSync(join(w.data, item.payload.path), "utf8");
          writeFileSync(join(outDir, "out.txt"), prefix + text.toUpperCase());
          return { chars: text.length };
        },
        async close() {},
      };
    },
    async assemble(ctx, results) {
      mkdirSync(join(ctx.outDir, "items"), { recursive: true });
      for (const r of results) copyFileSync(join(r.dir, "out.txt"), join(ctx.outDir, "items", r.item.id));
      writeFileSync(join(ctx.outDir, "summary.json"), JSON.stringify(results.map((r) => ({ id: r.item.id, chars: r.result.chars }))));
      return { lines: [results.length + " items"] };
    },
  },
};
`;

export const UPPER_PIPELINE = (withs = "") => `data: data
stages:
  upper:
    uses: ./kinds/upper.mjs
${withs ? `    with: { ${withs} }\n` : ""}  count:
    run: ls $DFD_INPUT_UPPER/items | wc -l > $DFD_OUT/n.txt
    needs: [upper]
`;

/** A project with the kind, a data set of `n` texts, and the pipeline. */
export function upperProject(n: number, withs = "", kind = UPPER_KIND): string {
  const files: Record<string, string> = { "pipeline.yaml": UPPER_PIPELINE(withs), "kinds/upper.mjs": kind, "data/prefix.cfg": "> \n" };
  for (let i = 0; i < n; i++) files[`data/texts/t${String(i).padStart(2, "0")}.txt`] = `text number ${i}\n`;
  return project(files);
}

export interface WorkerProc {
  child: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

/** Starts `dfd worker` on `queue` with `projectDir` as its checkout; resolves once it listens. */
export async function startWorker(queue: string, projectDir: string, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<WorkerProc> {
  const workDir = mkdtempSync(join(tmpdir(), "dfd-worker-test-"));
  const child = spawn(process.execPath, [BIN, "worker", "--queue", queue, "--project", projectDir, "--work-dir", workDir, "-j", "1", ...extra], {
    cwd: projectDir, env: { ...process.env, CI: "1", ...env }, stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr!.on("data", (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    rmSync(workDir, { recursive: true, force: true });
  };
  process.once("exit", () => { try { child.kill("SIGKILL"); } catch { /* gone */ } });
  try {
    await until(() => /dfd worker .*: queue/.test(log) || child.exitCode !== null, 20_000, "the worker to start");
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${log}`);
  }
  if (child.exitCode !== null) throw new Error(`dfd worker exited at start (${child.exitCode}):\n${log}`);
  return { child, log: () => log, stop };
}

/** A Redis of our own with another eviction policy (for the noeviction check). */
export async function startRedis(policy: string): Promise<{ url: string; stop(): void } | undefined> {
  if (spawnSync("sh", ["-c", "command -v redis-server"], { stdio: "ignore" }).status !== 0) return undefined;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "dfd-redis-"));
  mkdirSync(dir, { recursive: true });
  const child = spawn("redis-server", ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--maxmemory", "64mb", "--maxmemory-policy", policy, "--dir", dir], { stdio: "ignore" });
  const { connect } = await import("node:net");
  const end = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((res) => { const c = connect({ port, host: "127.0.0.1" }); c.once("connect", () => { c.destroy(); res(true); }); c.once("error", () => res(false)); });
    if (ok) break;
    if (Date.now() > end) { child.kill("SIGKILL"); throw new Error("test redis did not start"); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => { child.kill("SIGKILL"); rmSync(dir, { recursive: true, force: true }); } };
}
