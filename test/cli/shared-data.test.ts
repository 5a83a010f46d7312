// The runner on the shared real data set (../shared/data/clips, ~100 clips, ~90 MB): the data set
// is hashed once, a re-run is cached without re-reading a byte, and a manifest path as `data:`
// keys the folder it lives in. Skipped, saying so, when the data set is not there.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { project, run } from "../helpers/cli.js";

const CLIPS = resolve(fileURLToPath(new URL("../../../shared/data/clips", import.meta.url)));
const present = existsSync(resolve(CLIPS, "manifest.csv"));

test("shared clips: hashed once, then cached with nothing re-read", { skip: present ? false : `no shared data set at ${CLIPS}` }, () => {
  const dir = project({
    "pipeline.yaml": `data: ${CLIPS}/manifest.csv
stages:
  count:
    run: tail -n +2 "$DFD_DATA" | wc -l > $DFD_OUT/clips.txt
`,
  });
  const first = run(dir, [], { DFD_STATS: "1" });
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.status.count, "ran");
  const read = /dfd: hashed (\d+) files, read (\d+)/.exec(first.stderr);
  assert.ok(read && Number(read[2]) > 100, `the data set's files are hashed on the first run: ${first.stderr}`);
  const second = run(dir, [], { DFD_STATS: "1" });
  assert.equal(second.status.count, "cached");
  assert.match(second.stderr, /dfd: hashed \d+ files, read 0 /);
});
