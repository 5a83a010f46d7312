// demo → extract → diagnose → split for real: the built CLI (npm run build first), real ffmpeg,
// real SQLite cache, in a temp project. And the same on ../shared/data/clips when it is there.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { dfd, project, run } from "../../test/helpers/cli.js";
import { makeClip } from "../../test/video/helpers.js";
import type { SplitJson } from "../../src/artifacts/split.js";
import type { VideoRecord } from "../../src/artifacts/features.js";

const PIPELINE = (extract = "{ size: 64 }", diagnose = "{}") => `stages:
  demo:
    uses: demo
    with: { real: 5, fake: 5, size: 64 }
  extract:
    uses: extract
    needs: [demo]
    with: ${extract}
  diagnose:
    uses: diagnose
    needs: [extract]
    with: ${diagnose}
  split:
    uses: split
    needs: [extract, diagnose]
    with: { val: 0.2, test: 0.2, seed: 3 }
`;

function outputs(dir: string) {
  const path = (stage: string) => {
    const r = dfd(dir, ["path", stage]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  const read = (stage: string, file: string) => readFileSync(join(path(stage), file), "utf8");
  return {
    diagnostics: JSON.parse(read("diagnose", "diagnostics.json")),
    report: read("diagnose", "report.md"),
    split: JSON.parse(read("split", "split.json")) as SplitJson,
    videos: read("extract", "videos.jsonl").trim().split("\n").map((l) => JSON.parse(l) as VideoRecord),
  };
}

test("the demo set through the CLI: diagnose names the 8-frame shortcut, split is stratified, cached on rerun", () => {
  const dir = project({ "pipeline.yaml": PIPELINE() });
  const r = run(dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(r.status, { demo: "ran", extract: "ran", diagnose: "ran", split: "ran" });
  assert.match(r.stdout + r.stderr, /source frame counts \(mean, min–max\): fake 8\.0 \(8–8\)/);
  assert.match(r.stdout + r.stderr, /extract\.frames: 16/);
  const o = outputs(dir);
  const ids = new Map(o.videos.map((v) => [v.id, v.label]));
  assert.equal(o.diagnostics.findings.find((f: { id: string }) => f.id === "frame-count-ratio").severity, "error");
  assert.equal(o.diagnostics.auc.source_frames, 1);
  assert.equal(o.diagnostics.classes.fake.numeric.source_frames.max, 8);
  assert.match(o.report, /# Data set diagnostics/);
  // 5 per class at 0.6/0.2/0.2 → 3/1/1 each
  assert.deepEqual(o.split.counts, { train: { real: 3, fake: 3 }, val: { real: 1, fake: 1 }, test: { real: 1, fake: 1 } });
  for (const s of ["train", "val", "test"] as const)
    for (const id of o.split[s]) assert.ok(ids.has(id), `${s} id ${id} is a clip of videos.jsonl`);
  assert.equal(new Set([...o.split.train, ...o.split.val, ...o.split.test]).size, 10);

  const again = run(dir);
  assert.deepEqual(again.status, { demo: "cached", extract: "cached", diagnose: "cached", split: "cached" });
  // a cached diagnose summarises its findings in one line; `dfd why diagnose` lists them
  assert.match(again.stdout + again.stderr, /✖ \d+ errors, \d+ warnings? \(cached; `dfd why diagnose` lists them\)/, "a cached diagnose summarises its findings");
  assert.doesNotMatch(again.stdout + again.stderr, /source frame counts/);
  assert.match(dfd(dir, ["why", "diagnose"]).stdout, /✖ error: source frame counts \(mean, min–max\): fake 8\.0/);
});

test("fail_on: error fails the run (split does not run); extract.frames removes the sequence-length error", () => {
  const dir = project({ "pipeline.yaml": PIPELINE("{ size: 64 }", "{ fail_on: error }") });
  const r = run(dir);
  assert.notEqual(r.code, 0);
  assert.equal(r.status.diagnose, "failed");
  assert.equal(r.status.split, "skipped");
  assert.match(r.stdout + r.stderr, /at or above fail_on: error/);

  const fixed = project({ "pipeline.yaml": PIPELINE("{ size: 64, frames: 16 }") });
  const f = run(fixed);
  assert.equal(f.code, 0, f.stderr);
  const o = outputs(fixed);
  const seq = o.diagnostics.findings.find((x: { id: string }) => x.id === "sequence-length");
  assert.equal(seq.severity, "info");
  assert.match(seq.reason, /every clip yields 16 feature rows/);
});

/** extract → diagnose → split on a data folder, every default but a small crop. */
const onData = (data: string) => `data: ${data}
stages:
  extract:
    uses: extract
    with: { size: 64 }
  diagnose:
    uses: diagnose
    needs: [extract]
  split:
    uses: split
    needs: [extract, diagnose]
`;

const SHARED = new URL("../../../shared/data/clips/", import.meta.url).pathname;

test("../shared/data/clips: diagnose names codec, frame count, fps, resolution and class-pure sources; split (auto) keeps sources whole", { timeout: 300_000 }, (t) => {
  if (!existsSync(join(SHARED, "manifest.csv"))) {
    t.skip(`skipped: ${SHARED} is not present (the shared real/AI clip set)`);
    return;
  }
  const dir = project({
    "pipeline.yaml": onData(SHARED),
  });
  const r = run(dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const o = outputs(dir);
  const severity = (id: string) => o.diagnostics.findings.find((f: { id: string }) => f.id === id)?.severity;
  assert.equal(severity("frame-count-ratio"), "error");
  for (const a of ["fps", "resolution"]) assert.equal(severity(`metadata-auc:${a}`), "error", a);
  assert.ok(o.diagnostics.auc.codec >= 0.8, `codec ${o.diagnostics.auc.codec}`);
  assert.ok(severity("metadata-auc:codec"), "codec is named");
  assert.ok(o.diagnostics.metadata_classifier_auc >= 0.95);
  // split: labels respected, no source in two sets
  const byId = new Map(o.videos.map((v) => [v.id, v]));
  const setOfSource = new Map<string, string>();
  for (const s of ["train", "val", "test"] as const) {
    let real = 0;
    let fake = 0;
    for (const id of o.split[s]) {
      const v = byId.get(id)!;
      if (v.label === "real") real++;
      else fake++;
      const prev = setOfSource.get(v.source!);
      assert.ok(prev === undefined || prev === s, `source ${v.source} in ${prev} and ${s}`);
      setOfSource.set(v.source!, s);
    }
    assert.deepEqual(o.split.counts[s], { real, fake });
  }
  assert.equal(severity("class-pure-sources"), "error");
  assert.equal(o.split.group_by, "source");
  assert.equal(o.split.group_by_requested, "auto");
  assert.match(o.split.group_by_reason, /sources are class-pure/);
  assert.deepEqual(o.split.resolved_findings, ["class-pure-sources", "near-duplicates"]);
  for (const s of ["val", "test"] as const) assert.ok(o.split.counts[s].real > 0 && o.split.counts[s].fake > 0, `${s} holds both classes`);
});

test("a data folder with one class: diagnose fails early naming the data set; split alone refuses it too", () => {
  const dir = project({
    "pipeline.yaml": onData("./footage"),
  });
  for (let i = 0; i < 3; i++) makeClip(join(dir, "footage", "real", `r${i}.mp4`), `testsrc=size=64x48:rate=10:duration=1`, { frames: 6 });
  const r = run(dir);
  assert.notEqual(r.code, 0);
  assert.equal(r.status.extract, "ran");
  assert.equal(r.status.diagnose, "failed");
  assert.equal(r.status.split, "skipped");
  const said = r.stdout + r.stderr;
  assert.match(said, /the data set footage has no usable fake clip \(3 real\): a detector needs both classes — add fake clips/);
  assert.doesNotMatch(said, /videos\.jsonl/, "no cache path in the message");
  // without diagnose, split refuses it the same way
  writeFileSync(join(dir, "pipeline.yaml"), `data: ./footage
stages:
  extract:
    uses: extract
    with: { size: 64 }
  split:
    uses: split
    needs: [extract]
`);
  const s = run(dir);
  assert.equal(s.status.extract, "cached");
  assert.equal(s.status.split, "failed");
  assert.match(s.stdout + s.stderr, /the data set footage has no usable fake clip \(3 real\)/);
});
