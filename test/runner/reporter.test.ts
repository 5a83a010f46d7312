// Progress as people see it: every built-in stage's last progress report is complete (100 % or
// no fraction), and the plain (CI) reporter never leaves a stale fraction as a stage's last line.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createRegistry } from "../../src/registry.js";
import { openProject } from "../../src/runner/project.js";
import { plainReporter, type Reporter } from "../../src/runner/reporter.js";
import { runPipeline } from "../../src/runner/run.js";
import type { StageOutcome } from "../../src/runner/plan.js";
import { project } from "../helpers/cli.js";
import { SMALL_DEMO_PIPELINE } from "../helpers/demo-pipeline.js";

const ended = (name: string): StageOutcome => ({ name, kind: "k", status: "ran", key: null, reasons: [], seconds: 12, params: {}, outputHash: null, summary: null });

test("every built-in stage's progress ends complete", async () => {
  // early stopping on: train may stop before max_epochs, and must still end at 100 %
  const yaml = SMALL_DEMO_PIPELINE.replace("max_epochs: 3, min_epochs: 2", "max_epochs: 8, min_epochs: 1, patience: 1");
  assert.notEqual(yaml, SMALL_DEMO_PIPELINE);
  const dir = project({ "pipeline.yaml": yaml });
  const events = new Map<string, { done: number; total: number; note?: string }[]>();
  const reporter: Reporter = {
    waiting() {}, takeover() {}, stageStart() {}, stageLog() {}, stageEnd() {}, close() {},
    stageProgress(name, done, total, note) {
      const list = events.get(name) ?? [];
      list.push({ done, total, ...(note ? { note } : {}) });
      events.set(name, list);
    },
  };
  const p = await openProject(`${dir}/pipeline.yaml`, { registry: createRegistry() });
  try {
    const r = await runPipeline(p, { reporter, jobs: 1 });
    assert.equal(r.status, "ok", JSON.stringify(r.stages.map((s) => [s.name, s.status, s.error])));
  } finally {
    await p.close();
  }
  // the stages that report a fraction (split and a cached stage report none)
  assert.deepEqual([...events.keys()].sort(), ["demo", "diagnose", "evaluate", "extract", "train"]);
  for (const [name, list] of events) {
    const last = list.at(-1)!;
    assert.ok(last.total === 0 || last.done === last.total, `${name}: last progress ${last.done}/${last.total} ${last.note ?? ""}`);
  }
});

test("plain reporter: no fraction for a quick stage, the final one before a slow stage's end line", () => {
  let t = 0;
  let out = "";
  const r = plainReporter((s) => void (out += s), () => t);
  // quick: done in 1 s, no progress line at all
  r.stageStart("quick", "k", []);
  r.stageProgress("quick", 0, 4);
  t = 1000;
  r.stageProgress("quick", 4, 4);
  r.stageEnd(ended("quick"));
  assert.equal(out, "▶ quick (k)\n✓ quick: ran in 12s\n");

  // slow: a line after 2 s, then at most one per 5 s, and the last reported one at the end
  out = "";
  t = 10_000;
  r.stageStart("slow", "k", []);
  for (let i = 1; i <= 48; i++) {
    t += 200;
    r.stageProgress("slow", i, 48, "clips");
  }
  r.stageEnd(ended("slow"));
  const lines = out.trimEnd().split("\n");
  assert.deepEqual(lines, ["▶ slow (k)", "  slow: 10/48 (20%) clips", "  slow: 35/48 (72%) clips", "  slow: 48/48 (100%) clips", "✓ slow: ran in 12s"]);

  // nothing repeated when the last printed line is already the latest
  out = "";
  t = 100_000;
  r.stageStart("s", "k", []);
  t += 3000;
  r.stageProgress("s", 3, 3);
  r.stageEnd(ended("s"));
  assert.equal(out, "▶ s (k)\n  s: 3/3 (100%)\n✓ s: ran in 12s\n");
});
