// dfd predict on real clips with a real model: ffmpeg makes small lavfi clips (plain test pattern =
// real, the same with heavy temporal noise = fake), extractClipFeatures computes their features
// with non-default params, the train stage fits a tiny model on them, and predict must re-apply
// exactly those params (saved in dfd.json) to new clips, good and bad.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeJsonl } from "../../src/lib/jsonl.js";
import { writeNpy } from "../../src/lib/npy.js";
import { predict, type PredictIO } from "../../src/commands/predict.js";
import { extractClipFeatures } from "../../src/features/clip.js";
import { forensicV1 } from "../../src/features/forensic.js";
import { withDefaults } from "../../src/features/recipe.js";
import trainKind from "../../stages/train/index.js";
import { trainParams } from "../../stages/train/params.js";
import { dfd } from "../helpers/cli.js";
import { makeClip } from "../video/helpers.js";
import { runKind, standaloneProvenance } from "../../src/runner/in-process.js";

// Not the extract defaults (max_frames 64, size 128): predict must use these, from dfd.json.
const EXTRACT = withDefaults({ size: 64, max_frames: 6 }); // size 32 gives NaN in spec_00 (empty radial bin)
const TINY = { backend: "cpu", d_model: 16, layers: 1, heads: 2, ff: 32, seq_len: 8, lr: 0.01, max_epochs: 8, min_epochs: 3, patience: 3, batch_size: 4, dropout: 0 };

const real = (out: string, seed: number) => makeClip(out, `testsrc2=size=64x64:rate=10:duration=1,hue=h=${seed * 40}`);
const fake = (out: string, seed: number) => makeClip(out, `testsrc2=size=64x64:rate=10:duration=1,hue=h=${seed * 40},noise=alls=60:allf=t`);

function capture(): PredictIO & { lines: string[]; errs: string[] } {
  const lines: string[] = [];
  const errs: string[] = [];
  return { lines, errs, out: (l) => void lines.push(l), err: (l) => void errs.push(l) };
}

describe("dfd predict", () => {
  let root = "";
  let trainOut = "";
  let clips = "";

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "dfd-predict-"));
    // training data: 3 real + 3 fake clips, features with EXTRACT, as the extract stage lays them out
    const extractDir = join(root, "extract");
    mkdirSync(join(extractDir, "features"), { recursive: true });
    const rows: Record<string, unknown>[] = [];
    const split = { train: [] as string[], val: [] as string[], test: [] as string[] };
    for (let i = 0; i < 3; i++)
      for (const label of ["real", "fake"] as const) {
        const id = `${label}${i}`;
        const file = (label === "real" ? real : fake)(join(root, "data", label, `${id}.mp4`), i);
        const { features } = await extractClipFeatures(file, EXTRACT, forensicV1);
        writeNpy(join(extractDir, "features", `${id}.npy`), features);
        rows.push({ id, path: `${label}/${id}.mp4`, label, source: label, group: null, frames: features.rows, dims: features.cols, features: `features/${id}.npy`, error: null });
        (i === 2 ? split.val : split.train).push(id);
      }
    writeJsonl(join(extractDir, "videos.jsonl"), rows);
    const dims = rows[0]!.dims as number;
    writeFileSync(join(extractDir, "extract.json"), JSON.stringify({ params: EXTRACT, feature: { name: EXTRACT.features, dims, names: [] }, counts: {} }));
    const splitDir = join(root, "split");
    mkdirSync(splitDir);
    writeFileSync(join(splitDir, "split.json"), JSON.stringify({ ...split, seed: 0, stratify: "label", group_by: null }));

    trainOut = join(root, "train");
    mkdirSync(trainOut);
    const params: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(trainParams))
      params[k] = s.type === "object" ? Object.fromEntries(Object.entries(s.properties).map(([kk, ss]) => [kk, (ss as { default?: unknown }).default])) : k in TINY ? TINY[k as keyof typeof TINY] : (s as { default?: unknown }).default;
    await runKind(trainKind, {
      name: "train", params: params as never, projectDir: root, outDir: trainOut, tmpDir: mkdtempSync(join(root, "tmp-")),
      inputs: [{ name: "extract", kind: "extract", dir: extractDir }, { name: "split", kind: "split", dir: splitDir }],
      progress() {}, log: { debug() {}, info() {}, warn() {}, error() {} }, signal: new AbortController().signal, cpus: 2,
      logFile: join(root, "train.log"), provenance: standaloneProvenance(),
    });

    // new clips to score: two good ones in a folder (plus a non-video file there), one bad
    clips = join(root, "new");
    real(join(clips, "folder", "a_real.mp4"), 5);
    fake(join(clips, "folder", "b_fake.mp4"), 5);
    writeFileSync(join(clips, "folder", "notes.txt"), "not a video\n");
    writeFileSync(join(clips, "broken.mp4"), "this is a text file, not a video\n");
    mkdirSync(join(clips, "empty"));
    mkdirSync(join(clips, "linked"));
    symlinkSync(join(clips, "folder", "a_real.mp4"), join(clips, "linked", "l.mp4"));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test("--json: one line per clip in order, bad clips get an error line and do not stop the others", async () => {
    const io = capture();
    const code = await predict(["broken.mp4", "folder", "missing.mp4", "empty"], { model: trainOut, json: true, backend: "cpu", cwd: clips }, io);
    assert.equal(code, 1, "exit 1: some clips failed");
    const lines = io.lines.map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.path), ["broken.mp4", join("folder", "a_real.mp4"), join("folder", "b_fake.mp4"), "missing.mp4", "empty"]);
    const [broken, a, b, missing, empty] = lines;
    assert.deepEqual(Object.keys(broken).sort(), ["error", "label", "path", "score"]);
    assert.equal(broken.score, null);
    assert.match(broken.error, /invalid data|not a video|could not|moov/i);
    assert.match(missing.error, /no such file/);
    assert.match(empty.error, /no video files/);
    for (const ok of [a, b]) {
      assert.deepEqual(Object.keys(ok).sort(), ["label", "path", "score"]);
      assert.ok(ok.score >= 0 && ok.score <= 1);
      assert.ok(ok.label === "real" || ok.label === "fake");
    }
    assert.ok(b.score > a.score, `the noisy clip scores above the clean one (${b.score} vs ${a.score})`);
    assert.deepEqual(io.errs, ["3 of 5 clips failed"]);
  });

  test("table output; the model/ subdir works as --model; scores match the saved extract params", async () => {
    const io = capture();
    const code = await predict([join(clips, "folder")], { model: join(trainOut, "model"), backend: "cpu" }, io);
    assert.equal(code, 0);
    assert.match(io.lines[0]!, /^path\s+score\s+label\s+frames$/);
    const rows = io.lines.slice(1, 3).map((l) => l.split(/\s+/));
    assert.equal(rows.length, 2);
    // 10 frames per clip, max_frames 6 saved with the model (the default would give all 10)
    for (const r of rows) assert.equal(r[3], "6");
    assert.match(io.lines[3]!, /threshold saved with the model/);

    // same features as the extract stage would give ⇒ same score as scoring those features directly
    const { loadDetector } = await import("../../src/model/detector.js");
    const det = await loadDetector(trainOut, { backend: "cpu" });
    const { features } = await extractClipFeatures(join(clips, "folder", "b_fake.mp4"), EXTRACT, forensicV1);
    const [direct] = await det.score([features]);
    det.dispose();
    assert.equal(rows[1]![1], direct!.score.toFixed(4));
  });

  test("symlinked clips inside a folder are followed", async () => {
    const io = capture();
    assert.equal(await predict(["linked"], { model: trainOut, json: true, backend: "cpu", cwd: clips }, io), 0);
    assert.deepEqual(io.lines.map((l) => JSON.parse(l).path), [join("linked", "l.mp4")]);
  });

  test("a directory that is not a model is an error naming it", async () => {
    await assert.rejects(predict([clips], { model: clips, cwd: root }, capture()), (e: Error) => e.message.includes(join(clips, "model", "dfd.json")));
    await assert.rejects(predict([], { model: trainOut }, capture()), /give one or more clips/);
    await assert.rejects(predict([clips], { model: trainOut, jobs: Number.NaN }, capture()), /--jobs must be a whole number/);
  });

  test("the real CLI: dfd predict --json", () => {
    const r = dfd(clips, ["predict", "--model", trainOut, "--json", "--backend", "cpu", "folder/b_fake.mp4", "broken.mp4"]);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    assert.equal(lines[0].path, "folder/b_fake.mp4");
    assert.ok(typeof lines[0].score === "number");
    assert.ok(lines[1].error);
    assert.match(r.stderr, /1 of 2 clips failed/);
    const bad = dfd(clips, ["predict", "--model", clips, "x.mp4"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /not a dfd model/);
  });
});
