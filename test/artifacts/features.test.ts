import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readClipFeatures, readClips, readVideos, type ClipRow } from "../../src/artifacts/features.js";
import { readSplit } from "../../src/artifacts/split.js";
import { encodeNpy } from "../../src/lib/npy.js";
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
  assert.throws(() => readClips(d), (e: Error) => e.message === `${join(d, "videos.jsonl")}:1: clip a: "label" must be "real" or "fake" (null only on a row with an "error"), got "maybe"`);
});

test("readSplit: the three id lists; bad shapes name the file", () => {
  const d = dirWith({ "split.json": JSON.stringify({ train: ["a"], val: [], test: ["b"], seed: 0 }) });
  assert.deepEqual(readSplit(d), { train: ["a"], val: [], test: ["b"], resolved_findings: [] });
  const resolved = dirWith({ "split.json": JSON.stringify({ train: ["a"], val: [], test: ["b"], resolved_findings: ["class-pure-sources"] }) });
  assert.deepEqual(readSplit(resolved).resolved_findings, ["class-pure-sources"]);
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

test("readClipFeatures: the matrix, or an error naming the file: missing, wrong width, no frames, non-finite", () => {
  const row = (id: string): ClipRow => ({ id, path: `real/${id}.mp4`, label: "real", source: null, features: `${id}.npy`, frames: 2, error: null });
  const d = dirWith({});
  const put = (id: string, data: number[], rows: number, cols: number) => writeFileSync(join(d, `${id}.npy`), encodeNpy({ data: Float32Array.from(data), rows, cols }));
  put("ok", [1, 2, 3, 4], 2, 2);
  put("empty", [], 0, 2);
  put("nan", [1, Number.NaN, 3, 4], 2, 2);
  const says = (n: number) => `the model expects ${n}`;
  assert.deepEqual(Array.from(readClipFeatures(d, row("ok"), 2, says).data), [1, 2, 3, 4]);
  assert.equal(readClipFeatures(d, row("ok"), null, says).cols, 2, "width unchecked when unknown");
  assert.throws(() => readClipFeatures(d, row("gone"), 2, says), new RegExp(`${join(d, "gone.npy")}: missing \\(listed for clip gone in videos.jsonl\\)`));
  assert.throws(() => readClipFeatures(d, row("ok"), 3, says), /ok\.npy: 2 feature dims, the model expects 3$/);
  assert.throws(() => readClipFeatures(d, row("empty"), 2, says), /empty\.npy: no frames \(clip real\/empty\.mp4\)/);
  assert.throws(() => readClipFeatures(d, row("nan"), 2, says), /nan\.npy: non-finite value at frame 0, dim 1/);
});

test("readVideos: the one checked reader of videos.jsonl: defaults for absent fields, file:line errors", () => {
  const d = dirWith({
    "videos.jsonl": [
      JSON.stringify({ id: "a", label: "real", source: "", group: 7, features: "features/a.npy", frames: 8, error: null }),
      "",
      JSON.stringify({ id: "b", label: null, error: "unknown label \"x\"" }),
    ].join("\n") + "\n",
  });
  const [a, b] = readVideos(d);
  assert.equal(a!.source, null, "an empty source is unknown");
  assert.equal(a!.group, "7", "a numeric group id from a CSV is a string");
  assert.equal(a!.path, "a", "path defaults to the id");
  assert.deepEqual(a!.phash, []);
  assert.equal(a!.fps, null);
  assert.equal(b!.label, null);
  assert.equal(b!.error, 'unknown label "x"');
  const bad = (rows: string) => readVideos(dirWith({ "videos.jsonl": rows }));
  assert.throws(() => bad('{"id":"a","label":"real"}\n\n{"id":"a","label":"fake"}\n'), /videos\.jsonl:3: id "a" already used on line 1/);
  assert.throws(() => bad('{"label":"real"}\n'), /videos\.jsonl:1: "id" must be a non-empty string/);
  assert.throws(() => bad('{"id":"a","label":"real","phash":["xyz"]}\n'), /clip a: "phash" must be a list of 64-bit hex strings/);
  const empty = dirWith({});
  assert.throws(() => readVideos(empty), (e: Error) => e.message === `${join(empty, "videos.jsonl")}: missing (the clip list of the stage that made the features)`);
});
