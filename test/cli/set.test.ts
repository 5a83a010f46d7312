// --set: shell params (flat and nested), data=PATH, errors; recorded in the run record.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Records } from "../../src/runner/records.js";
import { LocalStore } from "../../src/runner/local-store.js";
import { dfd, project, run } from "../helpers/cli.js";

const PIPELINE = `data: clips
stages:
  train:
    run: cp $DFD_PARAMS $DFD_OUT/params.json; ls "$DFD_DATA" > $DFD_OUT/data.txt
    params:
      lr: 0.001
      epochs: 2
      loss: {type: focal, gamma: 2}
`;
const fresh = () => project({ "pipeline.yaml": PIPELINE, "clips/real/a.txt": "a", "other/fake/b.txt": "b" });

test("--set stage.param and nested stage.a.b override for this run, typed like YAML, and are recorded", async () => {
  const dir = fresh();
  run(dir);
  const r = run(dir, ["--set", "train.lr=0.0003", "--set", "train.loss.type=bce", "--set", "train.epochs=5"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.status.train, "ran");
  assert.deepEqual(r.reasons.train, ["params.epochs 2 → 5", "params.loss.type \"focal\" → \"bce\"", "params.lr 0.001 → 0.0003"]);
  const out = dfd(dir, ["path", "train", "--set", "train.lr=0.0003", "--set", "train.loss.type=bce", "--set", "train.epochs=5"]).stdout.trim();
  assert.deepEqual(JSON.parse(readFileSync(join(out, "params.json"), "utf8")), { lr: 0.0003, epochs: 5, loss: { type: "bce", gamma: 2 } });
  const store = await LocalStore.open(join(dir, "artifacts"));
  try {
    const rec = await store.runs.latest();
    assert.equal(rec!.id, r.json.run);
    assert.deepEqual(rec!.overrides, ["train.lr=0.0003", "train.loss.type=bce", "train.epochs=5"]);
    assert.equal(rec!.status, "ok");
    assert.deepEqual(rec!.stages[0]!.params, { command: 'cp $DFD_PARAMS $DFD_OUT/params.json; ls "$DFD_DATA" > $DFD_OUT/data.txt', deps: [], lr: 0.0003, epochs: 5, loss: { type: "bce", gamma: 2 } });
  } finally {
    await store.close();
  }
  // Without the overrides the pipeline's own values are cached from the first run.
  assert.equal(run(dir).status.train, "cached");
});

test("--set data=PATH swaps the data set for this run", () => {
  const dir = fresh();
  run(dir);
  const r = run(dir, ["--set", "data=other"]);
  assert.equal(r.status.train, "ran");
  assert.match(r.reasons.train!.join("\n"), /data set changed: clips → other/);
  const out = dfd(dir, ["path", "train", "--set", "data=other"]).stdout.trim();
  assert.equal(readFileSync(join(out, "data.txt"), "utf8"), "fake\n");
});

test("--set errors: unknown stage, unknown param, missing '=', missing data path; exit 2", () => {
  const dir = fresh();
  const r = dfd(dir, ["run", "--set", "trian.lr=1", "--set", "train.lrr=1", "--set", "train", "--set", "data=nope"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, [
    `--set trian.lr=1: no stage "trian" (did you mean "train"?); use --set data=PATH or --set <stage>.<param>=VALUE`,
    `--set train.lrr=1: stage "train" has no param "lrr" (did you mean "lr"?); params: lr, epochs, loss`,
    `--set train: expected key=value, e.g. --set train.lr=0.0003 or --set data=path/to/clips`,
    `--set data=nope: data set path ${join(dir, "nope")} does not exist`,
    "",
  ].join("\n"));
});
