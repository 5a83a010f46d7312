// The YAML slips a newcomer makes in pipeline.yaml, each reported by the real CLI at the place of
// the mistake with a message that says how to fix it (exit 2, nothing run).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { dfd, lastJson, project } from "../helpers/cli.js";

function check(yaml: string, expected: string[]) {
  const dir = project({ "pipeline.yaml": yaml });
  const r = dfd(dir, ["run"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.equal(r.stderr, expected.join("\n") + "\n");
  assert.equal(existsSync(join(dir, "artifacts", "objects")), false, "nothing ran");
}

test("duplicate keys are named in full, at the second occurrence", () => {
  check("stages:\n  demo:\n    uses: demo\n  extract:\n    uses: extract\n    needs: [demo]\n  demo:\n    uses: demo\n", [
    `pipeline.yaml:7:3: duplicate stage "demo" (first defined at line 2:3); stage names must be unique`,
    " 7 |   demo:",
    "   |   ^^^^",
  ]);
  check("stages:\n  extract:\n    uses: extract\n    with: {fps: 4}\n    uses: demo\n", [
    `pipeline.yaml:5:5: duplicate key "uses" (first at line 3:5); a key appears once per mapping`,
    " 5 |     uses: demo",
    "   |     ^^^^",
  ]);
  check("stages:\n  demo:\n    uses: demo\n    with:\n      seed: 1\n      real: 4\n      seed: 2\n", [
    `pipeline.yaml:7:7: duplicate key "seed" (first at line 5:7); a key appears once per mapping`,
    " 7 |       seed: 2",
    "   |       ^^^^",
  ]);
});

test("an unquoted command containing ': ' gets a hint to quote it", () => {
  check("stages:\n  a:\n    run: echo step: done\n    deps: []\n", [
    `pipeline.yaml:3:10: the value of "run:" contains ": ", which YAML reads as the start of a nested mapping; quote the whole value: run: 'echo step: done'`,
    " 3 |     run: echo step: done",
    "   |          ^^^^^^^^^^^^^^^",
  ]);
  // The suggested quoting is valid: the same file with it runs.
  const dir = project({ "pipeline.yaml": "stages:\n  a:\n    run: 'echo step: done'\n" });
  assert.equal(dfd(dir, ["run"]).code, 0);
});

test("an unclosed { or [ is reported where it was opened, not lines later", () => {
  check("stages:\n  demo:\n    uses: demo\n    with: {real: 4, fake: 4\n\n  extract:\n    uses: extract\n", [
    `pipeline.yaml:4:11: unclosed "{": the mapping opened here has no closing "}" (the parser was still inside it at line 6:3); close it on this line, or quote the value if the "{" is meant literally`,
    " 4 |     with: {real: 4, fake: 4",
    "   |           ^",
  ]);
  check("stages:\n  a:\n    run: x\n  b:\n    run: y\n    needs: [a\n  c:\n    run: z\n", [
    `pipeline.yaml:6:12: unclosed "[": the list opened here has no closing "]" (the parser was still inside it at line 7:3); close it on this line, or quote the value if the "[" is meant literally`,
    " 6 |     needs: [a",
    "   |            ^",
  ]);
});

test("an unclosed quote is reported where it was opened", () => {
  check(`stages:\n  a:\n    run: "echo hi\n  b:\n    run: y\n`, [
    `pipeline.yaml:3:10: unclosed double quote: the string opened here has no closing " (it runs to the end of the file)`,
    ` 3 |     run: "echo hi`,
    "   |          ^",
  ]);
});

test("tabs, a missing space after a colon or a dash, and indentation slips", () => {
  check("stages:\n  a:\n\trun: x\n\tdeps: []\n", [
    "pipeline.yaml:3:1: a tab is used for indentation (also on line 4); YAML indents with spaces only",
    " 3 | \trun: x",
    "   | ^",
  ]);
  check("stages:\n  demo:\n    uses:demo\n", [
    `pipeline.yaml:3:5: stage "demo" must be a mapping with \`uses:\` or \`run:\` (YAML read "uses:demo" as one word: a space is missing after the colon; write "uses: demo")`,
    " 3 |     uses:demo",
    "   |     ^^^^^^^^^",
  ]);
  check("data:clips\nstages:\n  a:\n    run: x\n", [
    `pipeline.yaml:1:1: missing space after "data:": YAML reads "data:clips" as one word; write "data: clips"`,
    " 1 | data:clips",
    "   | ^^^^^",
  ]);
  check("stages:\n  a:\n    run: x\n  b:\n    run: y\n    needs:\n      - a\n      -c\n", [
    `pipeline.yaml:8:7: a list item needs a space after the dash: "- c"`,
    " 8 |       -c",
    "   |       ^",
  ]);
  check("stages:\n  demo:\n    uses: demo\n     with: {real: 4}\n", [
    `pipeline.yaml:4:6: line 4 is indented deeper than line 3, as if it continued "uses: demo"; keys of one mapping start in the same column (nest under a key that ends with ":")`,
    " 4 |      with: {real: 4}",
    "   |      ^^^^^^^^^^^^^^^",
  ]);
  check("stages:\n  demo:\n    uses: demo\n    with:\n    real: 4\n", [
    `pipeline.yaml:5:5: unknown key "real" in stage "demo"; \`with:\` above is empty: to put "real" inside it, indent it further than \`with:\``,
    " 5 |     real: 4",
    "   |     ^^^^",
  ]);
});

test("a command that starts with a YAML indicator gets a hint to quote it", () => {
  check("stages:\n  a:\n    run: [ -f x ] && echo y\n", [
    `pipeline.yaml:3:10: the value of "run:" starts with "[", which YAML reads as the start of a list, and then goes on; quote the whole value: run: '[ -f x ] && echo y'`,
    " 3 |     run: [ -f x ] && echo y",
    "   |          ^^^^^^^^^^^^^^^^^^",
  ]);
  check("stages:\n  a:\n    run: @echo hi\n", [
    `pipeline.yaml:3:10: a YAML value cannot start with "@"; quote the whole value: run: '@echo hi'`,
    " 3 |     run: @echo hi",
    "   |          ^",
  ]);
  check("stages:\n  a:\n    run: *.sh\n", [
    "pipeline.yaml:3:10: `run:` must be a shell command string; YAML read \"*.sh\" as an alias (`*`): quote it, e.g. '*.sh'",
    " 3 |     run: *.sh",
    "   |          ^^^^",
  ]);
});

test("structure slips: a stage outside stages:, a param above with:, needs without brackets, a misspelt with:", () => {
  check("stages:\ndemo:\n  uses: demo\n", [
    "pipeline.yaml:1:1: `stages:` is empty: put the stages under it, indented (`  extract:` on the next line)",
    " 1 | stages:",
    "   | ^^^^^^",
    `pipeline.yaml:2:1: unknown top-level key "demo"; expected one of: data, stages, remote, executor; "demo" looks like a stage: indent it under \`stages:\``,
    " 2 | demo:",
    "   | ^^^^",
  ]);
  check("stages:\n  extract:\n    uses: extract\n    fps: 8\n  mine:\n    run: x\n    window: 3\n", [
    `pipeline.yaml:4:5: unknown key "fps" in stage "extract"; a \`uses:\` stage's params go under \`with:\` (with: {fps: …})`,
    " 4 |     fps: 8",
    "   |     ^^^",
    `pipeline.yaml:7:5: unknown key "window" in stage "mine"; a \`run:\` stage's params go under \`params:\``,
    " 7 |     window: 3",
    "   |     ^^^^^^",
  ]);
  check("stages:\n  a:\n    run: x\n  b:\n    run: y\n  c:\n    run: z\n    needs: a, b\n", [
    "pipeline.yaml:8:12: `needs: a, b` is one string in YAML; write a list: needs: [a, b]",
    " 8 |     needs: a, b",
    "   |            ^^^^",
  ]);
  check("stages:\n  demo:\n    uses: demo\n    whit: {real: 4}\n", [
    `pipeline.yaml:4:5: unknown key "whit" in stage "demo" (did you mean "with"?)`,
    " 4 |     whit: {real: 4}",
    "   |     ^^^^",
  ]);
});

test("--json carries the positioned YAML diagnostic", () => {
  const dir = project({ "pipeline.yaml": "stages:\n  demo:\n    uses: demo\n  demo:\n    uses: demo\n" });
  const r = dfd(dir, ["run", "--json"]);
  assert.equal(r.code, 2);
  const j = lastJson(r);
  assert.equal(j.status, "failed");
  assert.deepEqual(j.diagnostics.map((d: { line: number; col: number; message: string }) => [d.line, d.col, d.message]), [
    [4, 3, `duplicate stage "demo" (first defined at line 2:3); stage names must be unique`],
  ]);
});
