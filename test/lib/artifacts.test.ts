import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readClips, readSplit } from "../../src/lib/artifacts.js";
import { mulberry32 } from "../../src/lib/random.js";

const dirWith = (files: Record<string, string>) => {
  const d = mkdtempSync(join(tmpdir(), "dfd-artifacts-"));
  for (const [n, t] of Object.entries(files)) writeFileSync(join(d, n), t);
  return d;
};

test("readClips: labelled rows by id; an unlabelled row with an error is left out, not fatal", () => {
  const d = dirWith({
    "videos.jsonl": [
      { id: "a", path: "real/a.mp4", label: "real", source: "cam", features: "features/a.npy", frames: 8, error: null },
      { id: "b", path: "weird/b.mp4", label: null, label_raw: "weird", source: null, features: null, frames: 0, error: "unknown label \"weird\"" },
      { id: "c", path: "fake/c.gif", label: "fake", source: "", features: null, frames: 0, error: "truncated file" },
    ].map((r) => JSON.stringify(r)).join("\n") + "\n",
  });
  const rows = readClips(d);
  assert.deepEqual([...rows.keys()], ["a", "c"]);
  assert.equal(rows.get("c")!.source, null);
  assert.equal(rows.get("c")!.error, "truncated file");
});

test("readClips: an unlabelled row without an error names the file and line", () => {
  const d = dirWith({ "videos.jsonl": JSON.stringify({ id: "a", label: "maybe" }) + "\n" });
  assert.throws(() => readClips(d), (e: Error) => e.message === `${join(d, "videos.jsonl")}:1: clip a has label "maybe" and no error: expected "real" or "fake"`);
});

test("readSplit: the three id lists; bad shapes name the file", () => {
  const d = dirWith({ "split.json": JSON.stringify({ train: ["a"], val: [], test: ["b"], seed: 0 }) });
  assert.deepEqual(readSplit(d), { train: ["a"], val: [], test: ["b"] });
  const bad = dirWith({ "split.json": JSON.stringify({ train: "a" }) });
  assert.throws(() => readSplit(bad), /split\.json: "train" must be a list of clip ids/);
  assert.throws(() => readSplit(dirWith({})), /split\.json: missing \(the split stage's output\)/);
});

test("mulberry32: deterministic, in [0, 1)", () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(xs.slice(0, 5), Array.from({ length: 5 }, () => b()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notEqual(mulberry32(1)(), mulberry32(2)());
});
