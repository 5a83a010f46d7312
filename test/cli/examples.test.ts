// Every examples/*.yaml stays a valid pipeline: it resolves against the current stage kinds and
// plans (a dry run) with `--set data=` pointing at a data set elsewhere, as its comments tell a
// user to do; and as written, when the shared clips sit beside the repository.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { dfd, lastJson, tempDir, writeFiles } from "../helpers/cli.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const EXAMPLES = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".yaml")).map((f) => join(ROOT, "examples", f));
const SHARED = join(ROOT, "..", "shared", "data", "clips");

test("examples plan with --set data= pointing elsewhere", () => {
  assert.ok(EXAMPLES.length > 0);
  const data = tempDir();
  writeFiles(data, { "real/a.mp4": "not decoded by a dry run", "fake/b.mp4": "nor this" });
  for (const file of EXAMPLES) {
    const artifacts = tempDir();
    const r = dfd(data, ["run", file, "--dry-run", "--json", "--set", `data=${data}`], { DFD_ARTIFACTS: artifacts });
    assert.equal(r.code, 0, `${file}\n${r.stderr}`);
    const stages = lastJson(r).stages as { name: string; status: string }[];
    assert.ok(stages.length > 0 && stages.every((s) => s.status === "would-run"), `${file}: ${JSON.stringify(stages)}`);
  }
});

test("examples plan as written when ../shared/data sits beside the repository", { skip: existsSync(SHARED) ? false : `no shared data set at ${SHARED}` }, () => {
  for (const file of EXAMPLES) {
    const r = dfd(ROOT, ["dag", file, "--json"], { DFD_ARTIFACTS: tempDir() });
    assert.equal(r.code, 0, `${file}\n${r.stderr}`);
  }
});
