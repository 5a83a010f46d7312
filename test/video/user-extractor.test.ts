// A user's feature extractor named by module path (`features: ./my-extractor.js`): the param's
// check (what the pipeline resolver reports at pipeline.yaml:line:col), the extract stage loading
// it in its worker processes, extract.json recording it with its content hash, and the recorded
// recipe finding the same file again (or saying clearly that it changed or is gone).
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { readNpy } from "../../src/lib/npy.js";
import { readJsonl } from "../../src/lib/jsonl.js";
import { extractParams } from "../../stages/extract/params.js";
import extract from "../../stages/extract/index.js";
import { recipeExtractor, withDefaults, type RecordedRecipe } from "../../src/features/recipe.js";
import { checkExtractorRef, loadExtractor } from "../../src/features/registry.js";
import type { StringSpec } from "../../src/params.js";
import { runKind } from "../../src/runner/in-process.js";
import { makeClip, makeCtx, tempDir } from "./helpers.js";

const tmp = tempDir("dfd-user-extractor-");
after(tmp.cleanup);

/** Mean red, green and blue of the frame, and the mean absolute difference to its neighbour. */
const GOOD = `
export default {
  name: "rgb-mean",
  dims: 4,
  names: ["r", "g", "b", "motion"],
  frame(rgb, w, h, prev) {
    let r = 0, g = 0, b = 0, d = 0;
    for (let i = 0; i < w * h * 3; i += 3) { r += rgb[i]; g += rgb[i + 1]; b += rgb[i + 2]; }
    if (prev) for (let i = 0; i < rgb.length; i++) d += Math.abs(rgb[i] - prev[i]);
    const n = w * h * 255;
    return Float32Array.from([r / n, g / n, b / n, d / (n * 3)]);
  },
};
`;

const project = join(tmp.dir, "project");
function write(rel: string, text: string): string {
  const file = join(project, rel);
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe("the features: param's check", () => {
  const spec = extractParams.features as StringSpec;
  before(() => {
    write("package.json", `{ "type": "module" }\n`);
    write("my-extractor.js", GOOD);
    write("extractors/async.mjs", GOOD.replace(`"rgb-mean"`, `"rgb-mean-async"`).replace("frame(rgb", "async frame(rgb"));
    write("no-default.mjs", "export const x = 1;\n");
    write("bad-shape.mjs", `export default { name: "x", dims: 3, names: ["a", "b"] };\n`);
    write("not-object.mjs", `export default 42;\n`);
    write("syntax.mjs", `export default {\n`);
    write("throws.mjs", `throw new Error("needs a GPU");\n`);
  });
  const check = (v: string) => spec.check!(v, { projectDir: project });

  test("lists the built-in names and accepts module paths", () => {
    assert.equal(spec.module, true);
    assert.deepEqual([...spec.names!()], ["forensic-v1", "forensic-v2", "encoder"]);
    assert.equal(spec.enum, undefined);
  });

  test("a built-in name and a good module pass", async () => {
    assert.equal(await check("forensic-v1"), undefined);
    assert.equal(await check("./my-extractor.js"), undefined);
    assert.equal(await check("./extractors/async.mjs"), undefined);
  });

  test("each problem is one clear message naming the file", async () => {
    assert.match((await check("forensic-v9"))!, /unknown feature extractor "forensic-v9" \(known: forensic-v1, forensic-v2, encoder; or a module path/);
    assert.match((await check("./nope.js"))!, /^\.\/nope\.js: no such file \(.*project\/nope\.js\)$/);
    assert.match((await check("./extractors"))!, /not a file/);
    assert.match((await check("./no-default.mjs"))!, /no default export/);
    assert.match((await check("./bad-shape.mjs"))!, /`names` has 2 entries, `dims` is 3; `frame\(rgb, w, h, prev\)` must be a function/);
    assert.match((await check("./not-object.mjs"))!, /default export is number/);
    assert.match((await check("./syntax.mjs"))!, /failed to load: /);
    assert.match((await check("./throws.mjs"))!, /failed to load: needs a GPU/);
  });

  test("an edited module is imported afresh", async () => {
    const file = write("edited.mjs", GOOD);
    assert.equal((await loadExtractor("./edited.mjs", project)).name, "rgb-mean");
    writeFileSync(file, GOOD.replace(`"rgb-mean"`, `"rgb-mean-2"`) + "\n// longer\n");
    assert.equal((await loadExtractor("./edited.mjs", project)).name, "rgb-mean-2");
  });
});

describe("extract with a module extractor", () => {
  const data = join(tmp.dir, "data");
  before(() => {
    write("package.json", `{ "type": "module" }\n`);
    write("my-extractor.js", GOOD);
    makeClip(join(data, "real", "a.mp4"), "testsrc2=s=96x96:r=10", { frames: 6 });
    makeClip(join(data, "fake", "b.mp4"), "color=c=red:s=96x96:r=10", { frames: 5 });
  });

  test("features come from the module, computed in the worker processes; extract.json records it", async () => {
    const ctx = makeCtx(extract, tmp.dir, { data, name: "user", params: { features: "./my-extractor.js", size: 64 } });
    ctx.projectDir = project;
    await runKind(extract, ctx);
    const rows = readJsonl<{ path: string; features: string; dims: number; error: string | null }>(join(ctx.outDir, "videos.jsonl"));
    assert.deepEqual(rows.map((r) => [r.path, r.dims, r.error]), [["fake/b.mp4", 4, null], ["real/a.mp4", 4, null]]);
    const red = readNpy(join(ctx.outDir, rows[0]!.features));
    assert.equal(red.cols, 4);
    assert.equal(red.rows, 5);
    assert.ok(red.data[0]! > 0.9 && red.data[1]! < 0.1 && red.data[2]! < 0.1, `a red clip has mean r≈1, g≈b≈0: ${[...red.data.slice(0, 4)]}`);
    const meta = JSON.parse(readFileSync(join(ctx.outDir, "extract.json"), "utf8"));
    assert.deepEqual(meta.feature, { name: "rgb-mean", dims: 4, names: ["r", "g", "b", "motion"] });
    assert.equal(meta.params.features, "./my-extractor.js");
    assert.equal(meta.params.feature_module.path, "./my-extractor.js");
    assert.match(meta.params.feature_module.sha256, /^[0-9a-f]{64}$/);

    // what predict does with the recorded recipe (dfd.json `extract` is a copy of these params)
    const recipe = withDefaults(meta.params as RecordedRecipe);
    assert.equal((await recipeExtractor(recipe, [join(tmp.dir, "elsewhere"), project])).name, "rgb-mean");
    writeFileSync(join(project, "my-extractor.js"), GOOD.replace("d / (n * 3)", "d / n"));
    await assert.rejects(recipeExtractor(recipe, [project], "the model M"), /the model M was trained on features from .*my-extractor\.js as it was then \(sha256 [0-9a-f]{12}…\), and the file has changed since/);
    await assert.rejects(recipeExtractor(recipe, [join(tmp.dir, "elsewhere")], "the model M"), /the model M was trained on features from the module \.\/my-extractor\.js, which is not there \(looked for .*elsewhere\/my-extractor\.js\)/);
    writeFileSync(join(project, "my-extractor.js"), GOOD);
  });

  test("a module whose frame() returns the wrong width fails every clip with a message naming it", async () => {
    write("narrow.mjs", GOOD.replace("dims: 4", "dims: 5").replace(`["r", "g", "b", "motion"]`, `["r", "g", "b", "motion", "x"]`));
    const ctx = makeCtx(extract, tmp.dir, { data, name: "narrow", params: { features: "./narrow.mjs", size: 64 } });
    ctx.projectDir = project;
    await assert.rejects(Promise.resolve(runKind(extract, ctx)), /frame\(\) returned 4 values, expected a Float32Array of dims = 5/);
  });
});

describe("through the CLI", () => {
  test("a bad module path is a pipeline.yaml:line:col error; a good one runs and is recorded", async () => {
    const { project: makeProject, dfd } = await import("../helpers/cli.js");
    const data = join(tmp.dir, "cli-data");
    makeClip(join(data, "real", "a.mp4"), "testsrc2=s=96x96:r=10", { frames: 4 });
    makeClip(join(data, "fake", "b.mp4"), "color=c=red:s=96x96:r=10", { frames: 4 });
    const yaml = (features: string) => `data: ${data}\nstages:\n  extract:\n    uses: extract\n    with:\n      size: 64\n      features: ${features}\n`;
    const dir = makeProject({ "pipeline.yaml": yaml("./nope.js"), "package.json": `{ "type": "module" }\n`, "my-extractor.js": GOOD });
    const bad = dfd(dir, ["run"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /pipeline\.yaml:7:17: .*\.\/nope\.js.*(not found|no such file)/, bad.stderr);
    // a module of the wrong shape: the param's check, at the same position
    writeFileSync(join(dir, "pipeline.yaml"), yaml("./bad-shape.mjs"));
    writeFileSync(join(dir, "bad-shape.mjs"), `export default { name: "x", dims: 3, names: ["a", "b"] };\n`);
    const shape = dfd(dir, ["run"]);
    assert.equal(shape.code, 2, shape.stderr);
    assert.match(shape.stderr, /pipeline\.yaml:7:17: .*bad-shape\.mjs: its default export is not a feature extractor: `names` has 2 entries, `dims` is 3/, shape.stderr);
    writeFileSync(join(dir, "pipeline.yaml"), yaml("./my-extractor.js"));
    const ok = dfd(dir, ["run"]);
    assert.equal(ok.code, 0, ok.stderr);
    const out = dfd(dir, ["path", "extract"]).stdout.trim();
    const meta = JSON.parse(readFileSync(join(out, "extract.json"), "utf8"));
    assert.equal(meta.feature.name, "rgb-mean");
    assert.equal(meta.params.feature_module.path, "./my-extractor.js");
  });
});
