// Bit-reproducible training through the real CLI: `dfd run --force train` with the same seed
// re-trains (wasm when available, two data-parallel threads, dropout on) and writes the same bytes,
// so evaluate stays cached ("upstream output changed" never fires). Same for the linear probe.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dfd, project, run } from "../helpers/cli.js";
import { demoPipeline } from "../evaluate/fixture.js";

const PIPELINE = demoPipeline({
  diagnose: false,
  train: "{ d_model: 16, layers: 1, heads: 2, ff: 32, seq_len: 12, max_epochs: 3, min_epochs: 3, batch_size: 4, lr: 0.003, dropout: 0.1, threads: 2 }",
  evaluate: "{ bootstrap: 50 }",
});

test("dfd run --force train with the same seed leaves evaluate cached (transformer on 2 threads, then the linear probe)", () => {
  const dir = project({ "pipeline.yaml": PIPELINE });
  const first = run(dir);
  assert.equal(first.code, 0, first.stderr + first.stdout);
  const trainDir = dfd(dir, ["path", "train"]).stdout.trim();

  const again = run(dir, ["--force", "train"]);
  assert.equal(again.code, 0, again.stderr + again.stdout);
  assert.equal(again.status.train, "ran");
  assert.equal(again.status.evaluate, "cached", `evaluate re-ran: ${again.reasons.evaluate?.join("; ")}`);
  assert.equal(dfd(dir, ["path", "train"]).stdout.trim(), trainDir, "the same output object");

  const linear = run(dir, ["--set", "train.model=linear"]);
  assert.equal(linear.code, 0, linear.stderr + linear.stdout);
  assert.equal(linear.status.evaluate, "ran");
  const forced = run(dir, ["--set", "train.model=linear", "--force", "train"]);
  assert.equal(forced.status.train, "ran");
  assert.equal(forced.status.evaluate, "cached", `evaluate re-ran: ${forced.reasons.evaluate?.join("; ")}`);
});
