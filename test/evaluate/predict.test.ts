// dfd predict on real clips with a real model: ffmpeg makes small lavfi clips (plain test pattern =
// real, the same with heavy temporal noise = fake), extractClipFeatures computes their features
// with non-default params, the train stage fits a tiny model on them, and predict must re-apply
// exactly those params (saved in dfd.json) to new clips, good and bad.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeJsonl } from "../../src/lib/jsonl.js";
import { writeNpy } from "../../src/lib/npy.js";
import { predict, type PredictIO } from "../../src/commands/predict.js";
import { extractClipFeatures } from "../../src/features/clip.js";
import { forensicV1 } from "../../src/features/forensic.js";
import { recordRecipe, withDefaults } from "../../src/features/recipe.js";
import { loadExtractor } from "../../src/features/registry.js";
import { resolveModelRef } from "../../src/commands/model-ref.js";
import { openArtifacts } from "../../src/runner/project.js";
import type { RunRecord } from "../../src/runner/records.js";
import { spawnSync } from "node:child_process";
import { BIN } from "../helpers/cli.js";
import trainKind from "../../stages/train/index.js";
import { trainParams } from "../../stages/train/params.js";
import { dfd } from "../helpers/cli.js";
import { makeClip } from "../video/helpers.js";
import { runKind, standaloneProvenance } from "../../src/runner/in-process.js";

// Not the extract defaults (max_frames 64, size 128): predict must use these, from dfd.json.
const EXTRACT = withDefaults({ size: 64, max_frames: 6 }); // size 32 gives NaN in spec_00 (empty radial bin)
const TINY = { backend: "cpu", d_model: 16, layers: 1, heads: 2, ff: 32, seq_len: 8, lr: 0.01, max_epochs: 8, min_epochs: 3, patience: 3, batch_size: 4, dropout: 0 };

/** A user's extractor module: grey mean and std per frame. */
const GREY = `export default {
  name: "grey-stats", dims: 2, names: ["mean", "std"],
  frame(rgb) {
    let s = 0, q = 0;
    for (let i = 0; i < rgb.length; i++) { s += rgb[i]; q += rgb[i] * rgb[i]; }
    const m = s / rgb.length;
    return Float32Array.from([m / 255, Math.sqrt(Math.max(0, q / rgb.length - m * m)) / 255]);
  },
};
`;

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
  let trainShell = "";
  let trainMod = "";
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

    const trainOn = async (features: string, name: string) => {
      const out = join(root, name);
      mkdirSync(out);
      const params: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(trainParams))
        params[k] = s.type === "object" ? Object.fromEntries(Object.entries(s.properties).map(([kk, ss]) => [kk, (ss as { default?: unknown }).default])) : k in TINY ? TINY[k as keyof typeof TINY] : (s as { default?: unknown }).default;
      await runKind(trainKind, {
        name: "train", params: params as never, projectDir: root, outDir: out, tmpDir: mkdtempSync(join(root, "tmp-")),
        inputs: [{ name: "extract", kind: "extract", dir: features }, { name: "split", kind: "split", dir: splitDir }],
        progress() {}, log: { debug() {}, info() {}, warn() {}, error() {} }, signal: new AbortController().signal, cpus: 2,
        logFile: join(root, `${name}.log`), provenance: standaloneProvenance(),
      });
      return out;
    };
    trainOut = await trainOn(extractDir, "train");

    // A model trained on features a shell stage wrote (no extract.json), and one trained on
    // features of a user's module extractor (extract.json records its path and sha256).
    const shellDir = join(root, "extract-shell");
    cpSync(extractDir, shellDir, { recursive: true });
    rmSync(join(shellDir, "extract.json"));
    trainShell = await trainOn(shellDir, "train-shell");
    writeFileSync(join(root, "package.json"), `{ "type": "module" }\n`);
    writeFileSync(join(root, "grey.js"), GREY);
    const modRecipe = withDefaults({ size: 64, max_frames: 6, features: "./grey.js" });
    const grey = await loadExtractor("./grey.js", root);
    const modDir = join(root, "extract-mod");
    mkdirSync(join(modDir, "features"), { recursive: true });
    const modRows: Record<string, unknown>[] = rows.map((r) => ({ ...r, dims: grey.dims }));
    for (const r of modRows) writeNpy(join(modDir, r.features as string), (await extractClipFeatures(join(root, "data", r.path as string), modRecipe, grey)).features);
    writeJsonl(join(modDir, "videos.jsonl"), modRows);
    writeFileSync(join(modDir, "extract.json"), JSON.stringify({ params: recordRecipe(modRecipe, root), feature: { name: grey.name, dims: grey.dims, names: grey.names }, counts: {} }));
    trainMod = await trainOn(modDir, "train-mod");

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
    assert.deepEqual(Object.keys(broken).sort(), ["error", "frames", "label", "path", "score"]);
    assert.equal(broken.frames, null);
    assert.equal(broken.score, null);
    assert.match(broken.error, /invalid data|not a video|could not|moov/i);
    assert.match(missing.error, /no such file/);
    assert.match(empty.error, /no video files/);
    for (const ok of [a, b]) {
      assert.deepEqual(Object.keys(ok).sort(), ["frames", "label", "path", "score"]);
      assert.equal(ok.frames, 6, "10-frame clips, max_frames 6 saved with the model");
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

  test("a reader that closes the pipe (| head -1) ends predict quietly: exit 0, no EPIPE trace", () => {
    const cmd = `"${process.execPath}" "${BIN}" predict --model "${trainOut}" --json --backend cpu folder broken.mp4 folder linked folder | head -1; echo "exit=\${PIPESTATUS[0]}" >&2`;
    const r = spawnSync("bash", ["-c", cmd], { cwd: clips, encoding: "utf8", timeout: 120_000 });
    assert.equal(r.stdout.trim().split("\n").length, 1, r.stdout);
    assert.equal(JSON.parse(r.stdout).path, join("folder", "a_real.mp4"));
    assert.match(r.stderr, /exit=0\s*$/, r.stderr);
    assert.doesNotMatch(r.stderr, /EPIPE|Error|at /, r.stderr);
  });

  test("a model trained on features made outside extract: predict says it cannot re-create them", async () => {
    await assert.rejects(predict(["folder"], { model: trainShell, backend: "cpu", cwd: clips }, capture()), (e: Error) => {
      assert.match(e.message, /dfd\.json: this model was trained on features that dfd's extract stage did not make .* dfd predict cannot re-create them: compute the clips' features with your own feature script/);
      return true;
    });
  });

  test("a model trained on a module extractor: predict loads the same module, and refuses a changed one", async () => {
    const io = capture();
    assert.equal(await predict(["folder"], { model: trainMod, json: true, backend: "cpu", cwd: clips, projectDir: root }, io), 0);
    assert.deepEqual(io.lines.map((l) => JSON.parse(l).frames), [6, 6]);
    // found from the model's own location too (<project>/artifacts/... is how dfd stores models;
    // here the project is `root`, which holds both the module and the model)
    writeFileSync(join(root, "grey.js"), GREY.replace("/ 255]", "/ 256]"));
    try {
      await assert.rejects(predict(["folder"], { model: trainMod, backend: "cpu", cwd: clips, projectDir: root }, capture()), /was trained on features from .*grey\.js as it was then \(sha256 [0-9a-f]{12}…\), and the file has changed since/);
      rmSync(join(root, "grey.js"));
      await assert.rejects(predict(["folder"], { model: trainMod, backend: "cpu", cwd: clips, projectDir: root }, capture()), /from the module \.\/grey\.js, which is not there \(looked for .*grey\.js/);
    } finally {
      writeFileSync(join(root, "grey.js"), GREY);
    }
  });
});

describe("--model latest", () => {
  test("picks the latest run that trained a model, says which, and explains a run that did not train", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dfd-model-ref-"));
    try {
      const pipeline = join(dir, "pipeline.yaml");
      writeFileSync(pipeline, "stages: {}\n");
      mkdirSync(join(dir, "artifacts"));
      const { store } = await openArtifacts(pipeline);
      const records = store.runs;
      const hash = "ab".repeat(32);
      mkdirSync(store.objectDir(hash), { recursive: true });
      const stage = (name: string, kind: string, outputHash: string | null, status: "ran" | "cached" | "failed" = "ran") =>
        ({ name, kind, key: null, status, reasons: [], seconds: 1, params: {}, outputHash, summary: null });
      const run = (id: string, startedAt: string, stages: ReturnType<typeof stage>[]): RunRecord =>
        ({ id, pid: 1, startedAt, finishedAt: startedAt, pipeline: { file: pipeline, sha256: "" }, overrides: [], data: null, status: "ok", stages });
      await records.put(run("20261201-100000-aaaaaa", "2026-12-01T10:00:00.000Z", [stage("extract", "extract", "cd".repeat(32)), stage("train", "train", hash)]));
      await records.put(run("20261201-110000-bbbbbb", "2026-12-01T11:00:00.000Z", [stage("extract", "extract", "cd".repeat(32)), stage("diagnose", "diagnose", "ef".repeat(32))]));
      await records.put(run("20261201-120000-cccccc", "2026-12-01T12:00:00.000Z", [stage("train", "train", null, "failed")]));
      await store.close();

      const notes: string[] = [];
      assert.equal(await resolveModelRef("latest", dir, "pipeline.yaml", (l) => void notes.push(l)), store.objectDir(hash));
      assert.deepEqual(notes, ["dfd predict: the model of run 20261201-100000-aaaaaa (stage train), the latest run that trained one (2 newer runs did not)"]);
      await assert.rejects(resolveModelRef("latest~1", dir, "pipeline.yaml", () => {}), /only 1 run\(s\) recorded that trained a model/);
      await assert.rejects(resolveModelRef("20261201-11", dir, "pipeline.yaml", () => {}), /--model 20261201-11: run 20261201-110000-bbbbbb has no train stage; give a run that trained \(`--model latest` picks the latest one\)/);
      await assert.rejects(resolveModelRef("20261201-12", dir, "pipeline.yaml", () => {}), /stage train of run 20261201-120000-cccccc produced no model \(failed\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
