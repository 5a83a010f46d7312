// The real servers the remote tests use, as scripts/run-tests.mjs (or `eval "$(node
// scripts/services.mjs start)"`) exported them. Tests skip, saying why, when they are absent.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { tempDir } from "../helpers/cli.js";

export interface S3Test {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  cephConf?: string;
}

export const s3 = (): S3Test | undefined => {
  const e = process.env;
  if (!e.DFD_TEST_S3_ENDPOINT || !e.DFD_TEST_S3_ACCESS_KEY || !e.DFD_TEST_S3_SECRET_KEY) return undefined;
  return { endpoint: e.DFD_TEST_S3_ENDPOINT, accessKey: e.DFD_TEST_S3_ACCESS_KEY, secretKey: e.DFD_TEST_S3_SECRET_KEY, ...(e.DFD_TEST_CEPH_CONF ? { cephConf: e.DFD_TEST_CEPH_CONF } : {}) };
};

export const NO_S3 = "no S3 test server (DFD_TEST_S3_ENDPOINT unset): needs Ceph RGW, which `npm test` starts when radosgw/ceph-mon/ceph-osd are installed (apt-get install -y radosgw ceph-mon ceph-osd uuid-runtime)";

/** The environment a dfd process needs to use the test S3 server, credentials the standard way. */
export function awsEnv(server: S3Test, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: server.accessKey, AWS_SECRET_ACCESS_KEY: server.secretKey, AWS_REGION: "us-east-1",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...extra,
  };
}

/** A fresh bucket on the test server; its s3:// URL (with a prefix, as teams use). */
export async function newBucket(server: S3Test): Promise<{ bucket: string; url: string }> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { S3Client, CreateBucketCommand } = await import("@aws-sdk/client-s3");
  const bucket = `dfd-test-${randomBytes(5).toString("hex")}`;
  const c = new S3Client({ endpoint: server.endpoint, forcePathStyle: true, region: "us-east-1", credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey } });
  await c.send(new CreateBucketCommand({ Bucket: bucket }));
  c.destroy();
  return { bucket, url: `s3://${bucket}/team-cache` };
}

/** A fresh shared-filesystem remote (a temp dir), removed at exit. */
export function newFileRemote(): { dir: string; url: string } {
  const dir = tempDir("dfd-remote-");
  return { dir, url: pathToFileURL(dir).href };
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

const portOpen = (port: number) => new Promise<boolean>((res) => {
  const c = connect({ port, host: "127.0.0.1" });
  c.once("connect", () => { c.destroy(); res(true); });
  c.once("error", () => res(false));
});

/** A second radosgw of the test cluster, on its own port, that a test may stop (SIGKILL) or
 * freeze (SIGSTOP) without disturbing the other tests. */
export async function ownGateway(server: S3Test): Promise<{ endpoint: string; process: ChildProcess; stop(): Promise<void> } | undefined> {
  if (!server.cephConf) return undefined;
  const port = await freePort();
  const name = `client.rgw.t${randomBytes(3).toString("hex")}`;
  const dir = mkdtempSync(join(tmpdir(), "dfd-rgw-"));
  // -f: stay in the foreground as our child, so the test owns its pid.
  const child = spawn("radosgw", ["-f", "-n", name, "--rgw-frontends", `beast endpoint=127.0.0.1:${port}`,
    "--log-file", join(dir, "rgw.log"), "--pid-file", join(dir, "rgw.pid"), "--admin-socket", join(dir, "rgw.asok")],
  { env: { ...process.env, CEPH_CONF: server.cephConf }, stdio: "ignore" });
  const end = Date.now() + 30_000;
  while (!(await portOpen(port))) {
    if (Date.now() > end || child.exitCode !== null) { child.kill("SIGKILL"); throw new Error(`test radosgw did not start (log: ${join(dir, "rgw.log")})`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try { child.kill("SIGCONT"); } catch { /* gone */ }
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", () => { try { child.kill("SIGKILL"); } catch { /* gone */ } });
  return { endpoint: `http://127.0.0.1:${port}`, process: child, stop };
}

/** `radosgw-admin` is on PATH (for skipping). */
export const haveRadosgw = () => spawnSync("sh", ["-c", "command -v radosgw"], { stdio: "ignore" }).status === 0;
