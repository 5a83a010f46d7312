// The whole pipeline through the real CLI on the demo set (demo → extract → diagnose → split →
// train → evaluate), then `dfd predict --model $(dfd path train)` on a demo clip. Needs dist/
// (`npm test` builds it first).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { dfd, project, run } from "../helpers/cli.js";
import { demoPipeline } from "./fixture.js";

const PIPELINE = demoPipeline({
  train: "{ backend: cpu, d_model: 16, layers: 1, heads: 2, ff: 32, seq_len: 12, max_epochs: 6, min_epochs: 2, batch_size: 4, lr: 0.003 }",
  evaluate: "{ backend: cpu, bootstrap: 200 }",
});

test("dfd run → evaluate writes metrics, predictions and report; cached rerun; dfd predict on its model", () => {
  const dir = project({ "pipeline.yaml": PIPELINE });
  const r = run(dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(r.status.evaluate, "ran");
  assert.match(r.stdout + r.stderr, /test: AUC [\d.]+ \[[\d.]+–[\d.]+\] · acc [\d.]+ · F1 [\d.]+ · \d+ fake \/ \d+ real/);

  const out = dfd(dir, ["path", "evaluate"]).stdout.trim();
  const m = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"));
  assert.equal(m.counts.train.scored + m.counts.val.scored + m.counts.test.scored, 12);
  assert.ok(m.counts.test.real >= 1 && m.counts.test.fake >= 1, "split stratifies test");
  assert.ok(m.test.auc === null || (m.test.auc >= 0 && m.test.auc <= 1));
  assert.equal(readFileSync(join(out, "predictions.jsonl"), "utf8").trim().split("\n").length, 12);
  const html = readFileSync(join(out, "report.html"), "utf8");
  assert.match(html, /frame-count-ratio/, "diagnose findings in the report");
  assert.match(html, /kept epoch \d+/);

  const again = run(dir);
  assert.equal(again.code, 0);
  assert.equal(again.status.evaluate, "cached");

  // predict with the train output, on a clip of the demo set
  const train = dfd(dir, ["path", "train"]).stdout.trim();
  const demo = dfd(dir, ["path", "demo"]).stdout.trim();
  const fakeDir = join(demo, "fake");
  assert.ok(existsSync(fakeDir));
  const clip = join(fakeDir, readdirSync(fakeDir).sort()[0]!);
  const p = dfd(dir, ["predict", "--model", train, "--json", "--backend", "cpu", clip]);
  assert.equal(p.code, 0, p.stderr);
  const line = JSON.parse(p.stdout.trim());
  assert.equal(line.path, clip);
  assert.ok(line.score >= 0 && line.score <= 1 && (line.label === "fake" || line.label === "real"));
  // the same clip's score in evaluate's predictions, when it was scored there
  const pred = readFileSync(join(out, "predictions.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).find((x) => clip.endsWith(x.path));
  if (pred) assert.ok(Math.abs(pred.score - line.score) < 1e-5, `predict ${line.score} vs evaluate ${pred.score}`);
});
