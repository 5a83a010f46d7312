// Built-in-style kinds (injected into the registry): `with:` validated against the ParamsSpec with
// line:col, defaults filled, --set coerced by the spec (nested, enum, numbers), the kind's code
// version, usesData and notNeeded in the key, a kind whose module is missing.
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { modelParams } from "../../src/model/params.js";
import type { ParamsSpec } from "../../src/params.js";
import { createRegistry, KindUnavailableError } from "../../src/registry.js";
import { defineStage, inputOf } from "../../src/stage.js";
import { project, writeFiles } from "../helpers/cli.js";
import { dfdIn } from "../helpers/inprocess.js";

const TRAIN_PARAMS: ParamsSpec = {
  lr: { type: "number", min: 0, max: 1, default: 0.001 },
  epochs: { type: "number", integer: true, min: 1, default: 2 },
  backend: { type: "string", enum: ["auto", "wasm", "cpu"], default: "auto" },
  max_frames: { type: "number", integer: true, nullable: true, default: null },
  loss: { type: "object", properties: { type: { type: "string", enum: ["bce", "focal"], default: "focal" }, gamma: { type: "number", default: 2 } } },
  layers: { type: "array", items: { type: "number", integer: true }, default: [64, 32] },
};

function registry(codeFile: string) {
  return createRegistry({
    source: defineStage({
      kind: "source", description: "reads data", params: {}, usesData: true, code: [pathToFileURL(codeFile)],
      notNeeded: ({ data }) => (data ? undefined : "no data set"),
      async run(ctx) { writeFileSync(join(ctx.outDir, "list.txt"), readFileSync(join(ctx.data!, "a.txt"))); },
    }),
    toy: defineStage({
      kind: "toy", description: "records its params", params: TRAIN_PARAMS, code: [pathToFileURL(codeFile)],
      async run(ctx) {
        const src = ctx.inputs.find((i) => i.kind === "source");
        writeFileSync(join(ctx.outDir, "params.json"), JSON.stringify({ params: ctx.params, source: src ? readFileSync(join(inputOf(ctx, "source"), "list.txt"), "utf8") : null }));
        ctx.progress(1, 1, "done");
        return { lines: ["trained"], metrics: { auc: 0.9 }, findings: [{ id: "x", severity: "warn", reason: "something odd" }] };
      },
    }),
    broken: () => Promise.reject(new KindUnavailableError(`stage kind "broken" is not available: stages/broken/index.ts is missing (not built yet?)`)),
  });
}

function setup(yaml: string) {
  const dir = project({ "pipeline.yaml": yaml, "code.js": "// v1\n", "clips/a.txt": "A" });
  return { dir, file: join(dir, "pipeline.yaml"), reg: registry(join(dir, "code.js")) };
}

const json = (out: string) => JSON.parse(out.trim().split("\n").pop()!);

test("with: errors carry line:col: unknown param, enum, integer, range, nested, list items", async () => {
  const { dir, file, reg } = setup(`stages:
  t:
    uses: toy
    with:
      lrr: 0.1
      epochs: 2.5
      backend: wsam
      lr: 3
      loss: {type: focall}
      layers: [1, x]
`);
  const r = await dfdIn(reg, dir, ["run", file]);
  assert.equal(r.code, 2);
  const heads = r.err.split("\n").filter((l) => l.startsWith(file) || l.startsWith("pipeline.yaml"));
  assert.deepEqual(heads.map((l) => l.replace(file, "pipeline.yaml")), [
    `pipeline.yaml:5:7: stage "t": unknown param "lrr" in params (did you mean "lr"?); known: lr, epochs, backend, max_frames, loss, layers`,
    `pipeline.yaml:8:11: stage "t": params.lr must be ≤ 1, got 3`,
    `pipeline.yaml:6:15: stage "t": params.epochs must be an integer, got 2.5`,
    `pipeline.yaml:7:16: stage "t": params.backend must be one of "auto", "wasm", "cpu", got "wsam" (did you mean "wasm"?)`,
    `pipeline.yaml:9:20: stage "t": params.loss.type must be one of "bce", "focal", got "focall" (did you mean "focal"?)`,
    `pipeline.yaml:10:19: stage "t": params.layers[1] must be an integer, got "x"`,
  ]);
});

test("defaults are filled, --set is coerced by the spec (nested, null, lists), and a bad --set names the rule", async () => {
  const { dir, file, reg } = setup("stages:\n  t:\n    uses: toy\n    with: {lr: 0.01}\n");
  const r = await dfdIn(reg, dir, ["run", file, "--json", "--set", "t.loss.type=bce", "--set", "t.epochs=7", "--set", "t.max_frames=64", "--set", "t.layers=[8, 4]"]);
  assert.equal(r.code, 0, r.err);
  const path = (await dfdIn(reg, dir, ["path", "t", "-p", file, "--set", "t.loss.type=bce", "--set", "t.epochs=7", "--set", "t.max_frames=64", "--set", "t.layers=[8, 4]"])).out.trim();
  assert.deepEqual(JSON.parse(readFileSync(join(path, "params.json"), "utf8")).params, {
    lr: 0.01, epochs: 7, backend: "auto", max_frames: 64, loss: { type: "bce", gamma: 2 }, layers: [8, 4],
  });
  assert.deepEqual(json(r.out).stages[0].reasons, ["no cached output"]);
  const bad = await dfdIn(reg, dir, ["run", file, "--set", "t.loss.type=mse", "--set", "t.epochs=many", "--set", "t.loss.gama=1", "--set", "t.lr.x=1"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.err, [
    `--set t.loss.type=mse: stage "t": params.loss.type must be one of "bce", "focal", got "mse"`,
    `--set t.epochs=many: stage "t": params.epochs must be an integer ≥ 1, got "many"`,
    `--set t.loss.gama=1: stage "t" has no param "loss.gama" (did you mean "gamma"?)`,
    `--set t.lr.x=1: stage "t": "lr" is a number in [0, 1], not a mapping`,
    "",
  ].join("\n"));
});

test("the summary table shows the stage's lines and findings, severity-marked", async () => {
  const { dir, file, reg } = setup("stages:\n  t:\n    uses: toy\n");
  const r = await dfdIn(reg, dir, ["run", file]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^t +ran +\d+\.\d +no cached output\n {4}trained\n {4}⚠ warn: something odd\n/m);
});

test("a change in the kind's code files re-runs its stages: 'code of toy changed: code.js changed'", async () => {
  const { dir, file, reg } = setup("stages:\n  t:\n    uses: toy\n");
  assert.equal((await dfdIn(reg, dir, ["run", file])).code, 0);
  appendFileSync(join(dir, "code.js"), "// v2\n");
  const r = await dfdIn(registry(join(dir, "code.js")), dir, ["run", file, "--json"]);
  const s = json(r.out).stages[0];
  assert.equal(s.status, "ran");
  assert.match(s.reasons[0], /^code of toy changed \([0-9a-f]{8} → [0-9a-f]{8}\): code\.js changed$/);
});

test("inKey: false params reach the stage but not the key: changing them re-runs nothing", async () => {
  const { dir, file } = setup("stages:\n  t:\n    uses: pooled\n    with: {workers: 1}\n");
  const reg = createRegistry({
    pooled: defineStage({
      kind: "pooled", description: "a worker count that cannot change the output", code: [pathToFileURL(join(dir, "code.js"))],
      params: { lr: { type: "number", default: 0.001 }, workers: { type: "number", integer: true, nullable: true, default: null, inKey: false } },
      async run(ctx) { writeFileSync(join(ctx.outDir, "params.json"), JSON.stringify(ctx.params)); },
    }),
  });
  assert.equal((await dfdIn(reg, dir, ["run", file])).code, 0);
  const same = json((await dfdIn(reg, dir, ["run", file, "--set", "t.workers=4", "--json"])).out).stages[0];
  assert.equal(same.status, "cached");
  const st = json((await dfdIn(reg, dir, ["status", file, "--set", "t.workers=4", "--json"])).out).stages[0];
  assert.equal(st.state, "fresh");
  const other = json((await dfdIn(reg, dir, ["run", file, "--set", "t.lr=0.5", "--set", "t.workers=4", "--json"])).out).stages[0];
  assert.equal(other.status, "ran");
  assert.deepEqual(other.reasons, ["params.lr 0.001 → 0.5"]);
  const out = (await dfdIn(reg, dir, ["path", "t", "--pipeline", file, "--set", "t.lr=0.5"])).out.trim();
  assert.equal(JSON.parse(readFileSync(join(out, "params.json"), "utf8")).workers, 4, "the stage got the value");
});

test("inKeyWhen: a model kind's own settings are keyed only with that kind (train's real params)", async () => {
  const { dir, file } = setup("stages:\n  t:\n    uses: model\n    with: {model: transformer}\n");
  const reg = createRegistry({
    model: defineStage({
      kind: "model", description: "train's params", code: [pathToFileURL(join(dir, "code.js"))], params: modelParams,
      async run(ctx) { writeFileSync(join(ctx.outDir, "params.json"), JSON.stringify(ctx.params)); },
    }),
  });
  assert.equal((await dfdIn(reg, dir, ["run", file])).code, 0);
  // the probe's penalty does not re-train a transformer…
  assert.equal(json((await dfdIn(reg, dir, ["run", file, "--set", "t.linear.l2=1", "--json"])).out).stages[0].status, "cached");
  // …its own settings do
  const lr = json((await dfdIn(reg, dir, ["run", file, "--set", "t.lr=0.5", "--json"])).out).stages[0];
  assert.deepEqual([lr.status, lr.reasons], ["ran", ["params.lr 0.0001 → 0.5"]]);
  // the other way round: with model: linear, the transformer's width is not in the key, the penalty is
  const linear = json((await dfdIn(reg, dir, ["run", file, "--set", "t.model=linear", "--json"])).out).stages[0];
  assert.equal(linear.status, "ran");
  assert.equal(json((await dfdIn(reg, dir, ["run", file, "--set", "t.model=linear", "--set", "t.d_model=8", "--json"])).out).stages[0].status, "cached");
  const l2 = json((await dfdIn(reg, dir, ["run", file, "--set", "t.model=linear", "--set", "t.linear.l2=1", "--json"])).out).stages[0];
  assert.deepEqual([l2.status, l2.reasons], ["ran", ["params.linear.l2 0.1 → 1"]]);
});

test("usesData: the data set's content is in the key; notNeeded: skipped by design, dependants still run without it", async () => {
  const { dir, file, reg } = setup("data: clips\nstages:\n  src:\n    uses: source\n  t:\n    uses: toy\n    needs: [src]\n");
  let r = json((await dfdIn(reg, dir, ["run", file, "--json"])).out);
  assert.deepEqual(r.stages.map((s: { status: string }) => s.status), ["ran", "ran"]);
  writeFiles(dir, { "clips/a.txt": "B" });
  r = json((await dfdIn(reg, dir, ["run", file, "--json"])).out);
  assert.match(r.stages[0].reasons[0], /^data clips\/a\.txt changed \([0-9a-f]{8} → [0-9a-f]{8}\)$/);
  assert.match(r.stages[1].reasons[0], /^upstream src output changed/);
  // Without a data set, src is not needed; t runs with no input for it, and that is a new key.
  r = json((await dfdIn(reg, dir, ["run", file, "--json", "--set", "data=null"])).out);
  assert.deepEqual(r.stages.map((s: { status: string; reasons: string[] }) => [s.status, s.reasons]), [
    ["skipped", ["not needed: no data set"]],
    ["ran", ["upstream src is not needed now (no input from it)"]],
  ]);
});

test("only the kinds a pipeline uses are loaded; a missing kind module is an error at its uses:", async () => {
  const { dir, file, reg } = setup("stages:\n  t:\n    uses: toy\n");
  assert.equal((await dfdIn(reg, dir, ["run", file])).code, 0);
  writeFileSync(file, "stages:\n  b:\n    uses: broken\n");
  const r = await dfdIn(reg, dir, ["run", file]);
  assert.equal(r.code, 2);
  assert.match(r.err, /pipeline\.yaml:3:11: stage kind "broken" is not available: stages\/broken\/index\.ts is missing \(not built yet\?\)\n/);
});
