// The remote cache through the real CLI, on a real S3 server (Ceph RGW on 127.0.0.1) and on a
// shared directory: two projects sharing one remote, racing writers, a tampered blob, the server
// going away mid-run, a push killed halfway, read-only mode.
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { FileHasher } from "../../src/runner/filehash.js";
import { openBackend } from "../../src/remote/open.js";
import type { Backend } from "../../src/remote/backend.js";
import { dfd, lastJson, project, run, start, until } from "../helpers/cli.js";
import { NO_S3, awsEnv, newBucket, newFileRemote, ownGateway, s3 } from "./servers.js";
import { SMALL_DEMO_PIPELINE } from "../helpers/demo-pipeline.js";

const server = s3();

/** A shell pipeline: a slow-ish first stage, then two that depend on it. */
const SHELL = (sleep = 0) => `stages:
  prep:
    run: ${sleep ? `sleep ${sleep}; ` : ""}cat inputs/*.txt > $DFD_OUT/all.txt; mkdir -p $DFD_OUT/sub; echo nested > $DFD_OUT/sub/n.txt
    deps: [inputs]
  count:
    run: wc -l < $DFD_INPUT_PREP/all.txt > $DFD_OUT/n.txt
    needs: [prep]
  upper:
    run: tr a-z A-Z < $DFD_INPUT_PREP/all.txt > $DFD_OUT/upper.txt
    needs: [prep]
`;
const INPUTS = { "inputs/a.txt": "alpha\n", "inputs/b.txt": "beta\n" };


interface Remote {
  url: string;
  env: NodeJS.ProcessEnv;
  backend(): Promise<Backend>;
}

async function s3Remote(endpoint = server!.endpoint): Promise<Remote> {
  const { url } = await newBucket(server!);
  const env = awsEnv(server!, { DFD_REMOTE: url, DFD_REMOTE_ENDPOINT: endpoint });
  return { url, env, backend: () => openBackend({ url, endpoint }) };
}

function fileRemote(): Remote {
  const { url } = newFileRemote();
  return { url, env: { DFD_REMOTE: url }, backend: () => openBackend({ url }) };
}

// The test's own client (to inspect and tamper with the bucket) uses the standard variables too.
if (server) Object.assign(process.env, awsEnv(server));

const treeOf = async (dir: string) => (await new FileHasher(undefined).hashTree(dir)).hash;
const pathOf = (dir: string, stage: string, env: NodeJS.ProcessEnv) => dfd(dir, ["path", stage], env).stdout.trim();
const warnings = (stderr: string) => stderr.split("\n").filter((l) => /remote cache/.test(l));

const kinds: [string, () => Promise<Remote> | Remote, string | false][] = [
  ["s3 (Ceph RGW)", () => s3Remote(), server ? false : NO_S3],
  ["file:// (shared directory)", () => fileRemote(), false],
];

for (const [name, make, skip] of kinds) {
  describe(`remote cache through the CLI: ${name}`, { skip }, () => {
    test("a second project gets every stage from the remote: nothing recomputed, verify clean, same bytes", async () => {
      const remote = await make();
      const a = project({ "pipeline.yaml": SHELL(), ...INPUTS });
      const b = project({ "pipeline.yaml": SHELL(), ...INPUTS });
      const ra = run(a, [], remote.env);
      assert.equal(ra.code, 0, ra.stderr);
      assert.deepEqual(ra.status, { prep: "ran", count: "ran", upper: "ran" });
      assert.deepEqual(warnings(ra.stderr), []);
      const rb = run(b, [], remote.env);
      assert.equal(rb.code, 0, rb.stderr);
      assert.deepEqual(rb.status, { prep: "cached", count: "cached", upper: "cached" });
      assert.deepEqual(rb.json.stages.map((s) => s.key), ra.json.stages.map((s) => s.key));
      for (const s of ["prep", "count", "upper"]) assert.equal(await treeOf(pathOf(b, s, remote.env)), await treeOf(pathOf(a, s, remote.env)), s);
      assert.equal(dfd(b, ["verify"], remote.env).code, 0);
      // Now local hits: the remote is not needed any more.
      const again = run(b, [], { ...remote.env, DFD_REMOTE: "off" });
      assert.deepEqual(again.status, { prep: "cached", count: "cached", upper: "cached" });
      // The team's runs and a compare across machines.
      const runs = lastJson(dfd(b, ["runs", "--remote", "--json"], remote.env)).runs;
      assert.deepEqual(runs.map((r: { id: string }) => r.id).sort(), [ra.json.run, rb.json.run].sort());
      const c = dfd(b, ["compare", ra.json.run!, rb.json.run!, "--json"], remote.env);
      assert.equal(c.code, 0, c.stderr);
      assert.ok(lastJson(c).stages.every((s: { relation: string }) => s.relation === "shared"));
    });

    test("two runs racing on the same keys: both succeed, one record per key, the same bytes", async () => {
      const remote = await make();
      const dirs = [0, 1].map(() => project({ "pipeline.yaml": SHELL(1), ...INPUTS }));
      const runs = dirs.map((d) => start(d, ["run", "--json"], remote.env));
      const results = await Promise.all(runs.map((r) => r.done));
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const keys = results.map((r) => lastJson(r).stages.map((s: { key: string }) => s.key));
      assert.deepEqual(keys[0], keys[1]);
      const backend = await remote.backend();
      const records = await backend.list("ac/");
      assert.equal(records.length, 3, `one record per key: ${records.join(", ")}`);
      backend.close();
      for (const s of ["prep", "count", "upper"]) assert.equal(await treeOf(pathOf(dirs[0]!, s, remote.env)), await treeOf(pathOf(dirs[1]!, s, remote.env)));
    });

    test("a tampered remote blob is refused naming the key, the stage recomputes, and its push repairs the blob", async () => {
      const remote = await make();
      const a = project({ "pipeline.yaml": SHELL(), ...INPUTS });
      const ra = run(a, [], remote.env);
      assert.equal(ra.code, 0, ra.stderr);
      const backend = await remote.backend();
      const prepKey = ra.json.stages.find((s) => s.name === "prep")!.key!;
      const rec = JSON.parse((await backend.get(`ac/${prepKey}.json`))!.toString());
      const sha = rec.files["all.txt"] as string;
      const blob = `cas/${sha.slice(0, 2)}/${sha}`;
      await backend.put(blob, Buffer.from("alpha\nGAMMA\n"));
      const b = project({ "pipeline.yaml": SHELL(), ...INPUTS });
      const rb = run(b, [], remote.env);
      assert.equal(rb.code, 0, rb.stderr);
      assert.equal(rb.status.prep, "ran", "never a wrong hit");
      assert.equal(readFileSync(join(pathOf(b, "prep", remote.env), "all.txt"), "utf8"), "alpha\nbeta\n");
      const w = warnings(rb.stderr);
      assert.equal(w.length, 1, rb.stderr);
      assert.match(w[0]!, new RegExp(`key ${prepKey}.*file all\\.txt.*corrupt.*runs here instead`));
      assert.equal((await backend.get(blob))!.toString(), "alpha\nbeta\n", "the push after the recompute repaired the blob");
      backend.close();
    });

    test("read-only: runs use the remote but write nothing; push refuses", async () => {
      const remote = await make();
      const a = project({ "pipeline.yaml": SHELL(), ...INPUTS });
      assert.equal(run(a, [], remote.env).code, 0);
      const backend = await remote.backend();
      const before = [...(await backend.list("ac/")), ...(await backend.list("cas/")), ...(await backend.list("runs/"))];
      const b = project({ "pipeline.yaml": SHELL(), ...INPUTS, "inputs/c.txt": "gamma\n" });
      const ro = { ...remote.env, DFD_REMOTE_READ_ONLY: "1" };
      const rb = run(b, [], ro);
      assert.equal(rb.code, 0, rb.stderr);
      assert.deepEqual(rb.status, { prep: "ran", count: "ran", upper: "ran" });
      const p = dfd(b, ["push"], ro);
      assert.equal(p.code, 1);
      assert.match(p.stderr, /read-only/);
      const after = [...(await backend.list("ac/")), ...(await backend.list("cas/")), ...(await backend.list("runs/"))];
      assert.deepEqual(after, before);
      backend.close();
    });

    test("a push killed halfway leaves no record; the next push completes it", async () => {
      const remote = await make();
      // 48 files of 2 MB: enough that the blobs take a moment.
      const big = `stages:
  big:
    run: for i in $(seq 1 48); do head -c 2000000 /dev/urandom > $DFD_OUT/f$i.bin; done
`;
      const a = project({ "pipeline.yaml": big });
      const r = run(a, [], { ...remote.env, DFD_REMOTE: "off" });
      assert.equal(r.code, 0, r.stderr);
      const key = r.json.stages[0]!.key!;
      const backend = await remote.backend();
      const push = start(a, ["push"], remote.env);
      const t0 = Date.now();
      for (;;) {
        const blobs = await backend.list("cas/");
        if (blobs.length > 0) break;
        if (Date.now() - t0 > 30_000) throw new Error("no blob appeared");
        await new Promise((res) => setTimeout(res, 20));
      }
      push.child.kill("SIGKILL");
      await push.done;
      assert.equal(await backend.get(`ac/${key}.json`), undefined, "no record after a killed push");
      const blobsAfterKill = (await backend.list("cas/")).length;
      assert.ok(blobsAfterKill < 48, `the push was killed halfway (${blobsAfterKill} of 48 blobs)`);
      const again = dfd(a, ["push"], remote.env);
      assert.equal(again.code, 0, again.stderr);
      assert.ok(await backend.get(`ac/${key}.json`));
      const b = project({ "pipeline.yaml": big });
      assert.deepEqual(run(b, [], remote.env).status, { big: "cached" });
      backend.close();
    });
  });
}

describe("remote cache through the CLI: failures of the server", { skip: server?.cephConf ? false : NO_S3 }, () => {
  test("the server stopped mid-run: the run finishes locally with one warning", async () => {
    const gw = (await ownGateway(server!))!;
    try {
      const remote = await s3Remote(gw.endpoint);
      const dir = project({ "pipeline.yaml": SHELL().replace("run: wc -l", "run: sleep 2; wc -l"), ...INPUTS });
      const r = start(dir, ["run", "--json"], { ...remote.env, DFD_REMOTE_TIMEOUT: "2" });
      // prep ran and was pushed; kill the gateway while count sleeps.
      await until(() => /count/.test(r.stderr()), 30_000, "count to start");
      await gw.stop();
      const done = await r.done;
      assert.equal(done.code, 0, done.stderr);
      assert.deepEqual(Object.fromEntries(lastJson(done).stages.map((s: { name: string; status: string }) => [s.name, s.status])), { prep: "ran", count: "ran", upper: "ran" });
      const w = warnings(done.stderr);
      assert.equal(w.length, 1, done.stderr);
      assert.match(w[0]!, /remote cache unusable: .*continuing without it/);
    } finally {
      await gw.stop();
    }
  });

  test("a frozen server (accepts, never answers): short timeouts, one warning, the run goes on", async () => {
    const gw = (await ownGateway(server!))!;
    try {
      const remote = await s3Remote(gw.endpoint);
      gw.process.kill("SIGSTOP");
      const dir = project({ "pipeline.yaml": SHELL(), ...INPUTS });
      const t0 = Date.now();
      const r = run(dir, [], { ...remote.env, DFD_REMOTE_TIMEOUT: "1" });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.status, { prep: "ran", count: "ran", upper: "ran" });
      assert.equal(warnings(r.stderr).length, 1, r.stderr);
      assert.ok(Date.now() - t0 < 30_000, `took ${Date.now() - t0} ms`);
    } finally {
      await gw.stop();
    }
  });

  test("wrong credentials and a missing bucket: a clear message, the run goes on locally; push fails", async () => {
    const remote = await s3Remote();
    const dir = project({ "pipeline.yaml": SHELL(), ...INPUTS });
    const bad = { ...remote.env, AWS_SECRET_ACCESS_KEY: "wrong" };
    const r = run(dir, [], bad);
    assert.equal(r.code, 0, r.stderr);
    const w = warnings(r.stderr);
    assert.equal(w.length, 1, r.stderr);
    assert.match(w[0]!, /SignatureDoesNotMatch 403.*check the credentials \(AWS_ACCESS_KEY_ID/);
    const p = dfd(dir, ["push"], bad);
    assert.equal(p.code, 1);
    assert.match(p.stderr, /check the credentials/);
    const nb = dfd(dir, ["push"], { ...remote.env, DFD_REMOTE: "s3://dfd-no-such-bucket/x" });
    assert.equal(nb.code, 1);
    assert.match(nb.stderr, /bucket "dfd-no-such-bucket" does not exist/);
  });
});

describe("remote cache: the demo pipeline from the remote", { skip: server ? false : NO_S3 }, () => {
  test("a fresh clone runs the whole demo pipeline from the remote: nothing recomputed, verify clean", async () => {
    const remote = await s3Remote();
    const a = project({ "pipeline.yaml": SMALL_DEMO_PIPELINE });
    const ra = run(a, [], remote.env);
    assert.equal(ra.code, 0, ra.stderr);
    const b = project({ "pipeline.yaml": SMALL_DEMO_PIPELINE });
    const rb = run(b, [], remote.env);
    assert.equal(rb.code, 0, rb.stderr);
    assert.deepEqual(rb.status, { demo: "cached", extract: "cached", diagnose: "cached", split: "cached", train: "cached", evaluate: "cached" });
    const v = dfd(b, ["verify", "--json"], remote.env);
    assert.equal(v.code, 0, v.stderr);
    const report = join(pathOf(b, "evaluate", remote.env), "report.html");
    assert.ok(statSync(report).size > 0);
    assert.deepEqual(readFileSync(report), readFileSync(join(pathOf(a, "evaluate", remote.env), "report.html")));
    assert.ok(readdirSync(pathOf(b, "train", remote.env)).length > 0);
  });
});
