// The real extract stage (one item per clip, ffmpeg + the forensic features in worker processes) over
// two `dfd worker` processes: the features/, videos.jsonl and extract.json it assembles are
// byte-identical to a local run's, also when one worker is killed -9 in the middle.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FileHasher } from "../../src/runner/filehash.js";
import { dfd, project, run, start, until } from "../helpers/cli.js";
import { NO_REDIS, isolatedQueue, redisUrl, sharedRemote, startWorker, type WorkerProc } from "./helpers.js";

const PIPELINE = `stages:
  demo: { uses: demo, with: { real: 5, fake: 5, size: 64 } }
  extract: { uses: extract, needs: [demo], with: { size: 64, max_frames: 16 } }
`;

const treeOf = async (dir: string) => (await new FileHasher(undefined).hashTree(dir)).hash;

describe("extract on dfd workers (BullMQ)", { skip: redisUrl ? false : NO_REDIS }, () => {
  test("extract over 2 workers equals the local output byte for byte; kill -9 of a worker mid-run changes nothing", async () => {
    const local = project({ "pipeline.yaml": PIPELINE });
    const l = run(local, [], { DFD_REMOTE: "off" });
    assert.equal(l.code, 0, l.stderr);
    const localTree = await treeOf(dfd(local, ["path", "extract"], { DFD_REMOTE: "off" }).stdout.trim());

    for (const kill of [false, true]) {
      const remote = await sharedRemote();
      const queue = isolatedQueue();
      const ws: WorkerProc[] = [];
      try {
        for (let i = 0; i < 2; i++) ws.push(await startWorker(queue, project({}), remote.env, ["--lock-duration", "2"]));
        const dir = project({ "pipeline.yaml": PIPELINE });
        const r = start(dir, ["run", "--json", "--executor", "bullmq", "--queue", queue], remote.env);
        if (kill) {
          // Kill the first worker as soon as it has started its second clip.
          await until(() => (ws[0]!.log().match(/ \(extract\) started/g) ?? []).length >= 2 || r.child.exitCode !== null, 60_000, "worker 1 to be busy");
          ws[0]!.child.kill("SIGKILL");
        }
        const done = await r.done;
        assert.equal(done.code, 0, `${done.stderr}\n--- workers:\n${ws.map((w) => w.log()).join("\n---\n")}`);
        assert.equal(await treeOf(dfd(dir, ["path", "extract"], remote.env).stdout.trim()), localTree, kill ? "identical after a kill -9" : "identical");
        await until(() => ws.reduce((a, w) => a + (w.log().match(/ \(extract\) done/g) ?? []).length, 0) >= (kill ? 1 : 10), 5000, "the workers' logs").catch(() => {});
        const done1 = ws.map((w) => (w.log().match(/ \(extract\) done/g) ?? []).length);
        if (!kill) assert.ok(done1[0]! > 0 && done1[1]! > 0, `both workers extracted clips: ${done1}`);
        else assert.ok(done1[1]! > 0, "the surviving worker finished the run");
      } finally {
        await Promise.all(ws.map((w) => w.stop()));
      }
    }
  });
});
