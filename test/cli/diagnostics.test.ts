// Every pipeline.yaml diagnostic with its exact line:col, the source line and the underline;
// exit code 2 and nothing run.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { dfd, project } from "../helpers/cli.js";

function check(yaml: string, expected: string) {
  const dir = project({ "pipeline.yaml": yaml });
  const r = dfd(dir, ["run"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.equal(r.stderr, expected);
  assert.equal(existsSync(join(dir, "artifacts", "objects")), false, "nothing ran");
}

test("YAML syntax error: an unclosed { is reported where it was opened", () => {
  check("stages:\n  a: {run: x\n  b: 1\n", [
    `pipeline.yaml:2:6: unclosed "{": the mapping opened here has no closing "}" (the parser was still inside it at line 3:3); close it on this line, or quote the value if the "{" is meant literally`,
    " 2 |   a: {run: x",
    "   |      ^",
    "",
  ].join("\n"));
});

test("unknown top-level key, with did-you-mean", () => {
  check("dtaa: clips\nstages:\n  a:\n    run: x\n", [
    `pipeline.yaml:1:1: unknown top-level key "dtaa" (did you mean "data"?); expected one of: data, stages, remote, executor`,
    " 1 | dtaa: clips",
    "   | ^^^^",
    "",
  ].join("\n"));
});

test("unknown stage key, with did-you-mean", () => {
  check("stages:\n  a:\n    run: x\n    deeps: [f]\n", [
    `pipeline.yaml:4:5: unknown key "deeps" in stage "a" (did you mean "deps"?)`,
    " 4 |     deeps: [f]",
    "   |     ^^^^^",
    "",
  ].join("\n"));
});

test("wrong types: needs not a list, with: not a mapping", () => {
  check("stages:\n  a:\n    run: x\n    needs: {b: 1}\n  b:\n    uses: split\n    with: 3\n", [
    "pipeline.yaml:4:12: `needs:` must be a list of stage names",
    " 4 |     needs: {b: 1}",
    "   |            ^^^^^^",
    "pipeline.yaml:7:11: `with:` must be a mapping of param → value",
    " 7 |     with: 3",
    "   |           ^",
    "",
  ].join("\n"));
});

test("unknown stage in needs, with did-you-mean; duplicate stage", () => {
  check("stages:\n  prep:\n    run: x\n  train:\n    run: y\n    needs: [prep, trian]\n", [
    `pipeline.yaml:6:19: stage "train" needs unknown stage "trian"`,
    " 6 |     needs: [prep, trian]",
    "   |                   ^^^^^",
    "",
  ].join("\n"));
  check("stages:\n  a:\n    run: x\n  a:\n    run: y\n", [
    `pipeline.yaml:4:3: duplicate stage "a" (first defined at line 2:3); stage names must be unique`,
    " 4 |   a:",
    "   |   ^",
    "",
  ].join("\n"));
});

test("a cycle names its path, at the edge that closes it", () => {
  check("stages:\n  a:\n    run: x\n    needs: [c]\n  b:\n    run: x\n    needs: [a]\n  c:\n    run: x\n    needs: [b]\n", [
    "pipeline.yaml:7:13: dependency cycle: a → c → b → a",
    " 7 |     needs: [a]",
    "   |             ^",
    "",
  ].join("\n"));
});

test("a missing deps path, both uses and run, neither, unknown kind", () => {
  const dir = project({ "pipeline.yaml": "stages:\n  a:\n    run: x\n    deps: [src/missing.py]\n" });
  const r = dfd(dir, ["run"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, [
    `pipeline.yaml:4:12: stage "a": deps path "src/missing.py" does not exist (looked for ${join(dir, "src/missing.py")})`,
    " 4 |     deps: [src/missing.py]",
    "   |            ^^^^^^^^^^^^^^",
    "",
  ].join("\n"));
  check("stages:\n  a:\n    uses: split\n    run: x\n", [
    "pipeline.yaml:4:5: stage \"a\" has both `uses:` and `run:`; a stage is either built-in (uses/with) or a shell command (run/deps/params)",
    " 4 |     run: x",
    "   |     ^^^",
    "",
  ].join("\n"));
  check("stages:\n  a:\n    needs: []\n", [
    "pipeline.yaml:2:3: stage \"a\" needs `uses: <kind>` or `run: <command>`",
    " 2 |   a:",
    "   |   ^",
    "",
  ].join("\n"));
  check("stages:\n  a:\n    uses: evalute\n", [
    `pipeline.yaml:3:11: unknown stage kind "evalute" (did you mean "evaluate"?); built-in kinds: demo, extract, diagnose, split, train, evaluate, crossval (or \`run:\` for a shell command, or a module path: \`uses: ./my-kind.js\`)`,
    " 3 |     uses: evalute",
    "   |           ^^^^^^^",
    "",
  ].join("\n"));
});

test("a missing pipeline file is a clear error", () => {
  const dir = project({});
  const r = dfd(dir, ["run"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "pipeline.yaml: no such file (pass the pipeline file: dfd run path/to/pipeline.yaml)\n");
});
