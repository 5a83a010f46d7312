// A stage's findings are printed in full when it runs; a cached re-run summarises them in one line
// (so a no-op run stays short), while `dfd why`, the run record and `runs --json` keep them all.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dfd, lastJson, project } from "../helpers/cli.js";

const KIND = `export default {
  kind: "finder",
  description: "returns findings",
  params: {},
  async run(ctx) {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(ctx.outDir + "/out.txt", "x");
    return {
      lines: ["looked at 3 things"],
      findings: [
        { id: "a", severity: "error", reason: "first problem found", advice: "fix the first" },
        { id: "b", severity: "error", reason: "second problem found" },
        { id: "c", severity: "warn", reason: "a thing to watch" },
        { id: "d", severity: "info", reason: "for your information" },
      ],
    };
  },
};
`;

test("a cached stage prints its findings as one line; a stage that ran prints each", () => {
  const dir = project({
    "kinds/finder.js": KIND,
    "pipeline.yaml": "stages:\n  check:\n    uses: ./kinds/finder.js\n  other:\n    run: echo hi > \"$DFD_OUT/x\"\n    needs: [check]\n",
  });
  const first = dfd(dir, ["run"]);
  assert.equal(first.code, 0, first.stderr);
  for (const line of ["✖ error: first problem found — fix the first", "✖ error: second problem found", "⚠ warn: a thing to watch", "ℹ info: for your information"])
    assert.ok(first.stdout.includes(`    ${line}\n`), `ran: full finding "${line}" in\n${first.stdout}`);

  const second = dfd(dir, ["run"]);
  assert.equal(second.code, 0, second.stderr);
  assert.ok(second.stdout.includes("    looked at 3 things\n"), second.stdout);
  assert.ok(second.stdout.includes("    ✖ 2 errors, 1 warning, 1 note (cached; `dfd why check` lists them)\n"), second.stdout);
  assert.ok(!second.stdout.includes("first problem found"), `cached: no full findings in\n${second.stdout}`);

  // Where the full list lives: dfd why, and the run record's counts are those of the run that made it.
  const why = dfd(dir, ["why", "check"]);
  assert.equal(why.code, 0, why.stderr);
  assert.match(why.stdout, /findings when it ran: 2 errors, 1 warning, 1 note\n    ✖ error: first problem found — fix the first\n    ✖ error: second problem found\n    ⚠ warn: a thing to watch\n    ℹ info: for your information\n/);
  const runs = lastJson(dfd(dir, ["runs", "--json"])).runs as { findings: { error: number; warn: number } }[];
  assert.equal(runs.length, 2);
  assert.deepEqual(runs.map((r) => r.findings), [{ error: 2, warn: 1 }, { error: 2, warn: 1 }]);
});
