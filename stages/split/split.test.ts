// The split stage through its run(): stratification, group_by, duplicates, exclusions, seeds.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { StageSummary } from "../../src/stage.js";
import { jsonl, seq, tempContext, video } from "../../test/helpers/stage-context.js";
import type { VideoRecord } from "../../src/artifacts/features.js";
import { largestRemainder } from "./allocate.js";
import type { SplitJson } from "../../src/artifacts/split.js";
import kind from "./index.js";
import { splitParams, type SplitParams } from "./params.js";
import { runKind } from "../../src/runner/in-process.js";

async function split(rows: readonly VideoRecord[], params: Partial<SplitParams> = {}, duplicates?: [string, string, number][]) {
  const inputs: Record<string, Record<string, string>> = { extract: { "videos.jsonl": jsonl(rows) } };
  if (duplicates) inputs.diagnose = { "diagnostics.json": JSON.stringify({ duplicates }) };
  const ctx = tempContext<SplitParams>({ name: "split", spec: splitParams, params, inputs });
  try {
    const summary = (await runKind(kind, ctx)) as StageSummary;
    const out = JSON.parse(readFileSync(join(ctx.outDir, "split.json"), "utf8")) as SplitJson;
    return { out, summary, findings: summary.findings ?? [] };
  } finally {
    ctx.cleanup();
  }
}

const clips = (real: number, fake: number, extra: (i: number, label: "real" | "fake") => Partial<VideoRecord> = () => ({})) => [
  ...Array.from({ length: real }, (_, i) => video({ id: `r${String(i).padStart(3, "0")}`, label: "real", ...extra(i, "real") })),
  ...Array.from({ length: fake }, (_, i) => video({ id: `f${String(i).padStart(3, "0")}`, label: "fake", ...extra(i, "fake") })),
];

test("largest remainder: hand-computed allocations, always summing to n", () => {
  assert.deepEqual(largestRemainder(5, [0.7, 0.15, 0.15]), [3, 1, 1]); // 3.5 .75 .75 → remainders to val, test
  assert.deepEqual(largestRemainder(1, [0.7, 0.15, 0.15]), [1, 0, 0]);
  assert.deepEqual(largestRemainder(7, [0.7, 0.15, 0.15]), [5, 1, 1]); // 4.9 1.05 1.05
  assert.deepEqual(largestRemainder(10, [0.7, 0.2, 0.1]), [7, 2, 1]); // 0.7 * 10 = 6.999… in floating point
  assert.deepEqual(largestRemainder(3, [1 / 3, 1 / 3, 1 / 3]), [1, 1, 1]);
  assert.deepEqual(largestRemainder(2, [0.5, 0.25, 0.25]), [1, 1, 0]); // tie on .5 → earlier set
  for (let n = 0; n < 60; n++) assert.equal(largestRemainder(n, [0.6, 0.25, 0.15]).reduce((a, b) => a + b), n);
});

test("stratification is exact on odd counts, every clip in exactly one set", async () => {
  const { out } = await split(clips(13, 7), { val: 0.2, test: 0.2 });
  // real 13 → quotas 7.8/2.6/2.6, floors 7/2/2, 2 left → remainders .8 (train), .6 (val before test) → 8/3/2
  // fake 7 → quotas 4.2/1.4/1.4, floors 4/1/1, 1 left → tie .4/.4 goes to the earlier set, val → 4/2/1
  assert.deepEqual(out.counts, { train: { real: 8, fake: 4 }, val: { real: 3, fake: 2 }, test: { real: 2, fake: 1 } });
  const all = [...out.train, ...out.val, ...out.test];
  assert.equal(all.length, 20);
  assert.equal(new Set(all).size, 20);
  assert.equal(out.stratify, "label");
  assert.equal(out.group_by, null);
  assert.equal(out.seed, 0);
  assert.deepEqual(out.excluded, []);
  assert.deepEqual(out.train, [...out.train].sort(), "ids sorted");
});

test("deterministic for a seed, different for another, independent of row order", async () => {
  const rows = clips(20, 20);
  const a = await split(rows, { seed: 1 });
  const b = await split(rows, { seed: 1 });
  const c = await split(rows, { seed: 2 });
  const shuffledRows = [...rows].sort((x, y) => (x.id < y.id ? 1 : -1));
  const d = await split(shuffledRows, { seed: 1 });
  assert.deepEqual(a.out, b.out);
  assert.deepEqual(a.out.train, d.out.train);
  assert.notDeepEqual(a.out.test, c.out.test);
  assert.deepEqual(a.out.counts, c.out.counts, "another seed changes which clips, not how many");
});

test("group_by never splits a group, and stays close to the targets", async () => {
  const r = seq(5);
  // 10 sources per class, uneven sizes 1–6
  const sizes = Array.from({ length: 20 }, () => 1 + Math.floor(6 * r()));
  const rows: VideoRecord[] = [];
  sizes.forEach((n, g) => {
    const label = g < 10 ? "real" : "fake";
    for (let i = 0; i < n; i++) rows.push(video({ id: `g${g}_${i}`, label, source: `src${g}`, group: `grp${g % 4}` }));
  });
  for (const by of ["source", "group"] as const) {
    for (const seed of [0, 1, 2]) {
      const { out, summary } = await split(rows, { group_by: by, seed });
      const setOf = new Map<string, string>();
      for (const s of ["train", "val", "test"] as const)
        for (const id of out[s]) {
          const row = rows.find((v) => v.id === id)!;
          const key = row[by]!;
          assert.ok(!setOf.has(key) || setOf.get(key) === s, `${by} ${key} spans ${setOf.get(key)} and ${s}`);
          setOf.set(key, s);
        }
      assert.equal(out.group_by, by);
      assert.match(summary.lines!.join("\n"), new RegExp(`group_by ${by}: \\d+ group\\(s\\), none spans two sets`));
      if (by === "source") assert.ok(out.train.length > out.test.length, "train stays the largest set");
    }
  }
});

test("a set left without a class is a warning naming the remedy", async () => {
  // all fakes from one generator: with group_by source they can only go to one set
  const rows = clips(10, 6, (i, label) => ({ source: label === "fake" ? "hotshot" : `cam${i}` }));
  const { out, findings } = await split(rows, { group_by: "source" });
  assert.equal(out.counts.train.fake, 6);
  const ids = findings.map((f) => f.id).sort();
  assert.deepEqual(ids, ["split-missing-class:test", "split-missing-class:val"]);
  assert.match(findings[0]!.advice!, /too few fake sources/);
  // val: 0 asked for an empty val: no warning about it
  const noVal = await split(clips(10, 10), { val: 0 });
  assert.equal(noVal.out.val.length, 0);
  assert.deepEqual(noVal.findings, []);
});

test("group_by on clips without that key warns that the split is not grouped", async () => {
  const { findings, out } = await split(clips(5, 5), { group_by: "group" });
  assert.equal(findings.find((f) => f.id === "split-no-groups")?.severity, "warn");
  assert.equal(out.train.length + out.val.length + out.test.length, 10);
});

test("clips whose extraction failed are left out and counted", async () => {
  const rows = [...clips(6, 6), video({ id: "bad1", label: "fake", error: "truncated file", frames: 0, features: null })];
  const { out, summary } = await split(rows);
  assert.deepEqual(out.excluded, [{ id: "bad1", reason: "extraction failed: truncated file" }]);
  assert.ok(![...out.train, ...out.val, ...out.test].includes("bad1"));
  assert.match(summary.lines!.join("\n"), /excluded 1 clip/);
  assert.deepEqual(summary.skipped, [{ item: "bad1", error: "extraction failed: truncated file" }]);
});

test("near-duplicate clusters from diagnose stay in one set", async () => {
  const rows = clips(20, 20);
  // a chain r000~r001~f000 (one cluster via union-find) and a pair f001~f002
  const dups: [string, string, number][] = [["r000", "r001", 2], ["r001", "f000", 3], ["f001", "f002", 0], ["gone", "r003", 1]];
  for (const seed of [0, 1, 2, 3]) {
    const { out, findings } = await split(rows, { seed }, dups);
    const where = (id: string) => (["train", "val", "test"] as const).find((s) => out[s].includes(id));
    assert.equal(where("r000"), where("r001"));
    assert.equal(where("r001"), where("f000"));
    assert.equal(where("f001"), where("f002"));
    assert.match(findings.find((f) => f.id === "split-duplicates")!.reason, /kept 2 near-duplicate cluster\(s\) \(5 clips\)/);
  }
  const without = await split(rows);
  assert.match(without.summary.lines!.join("\n"), /no diagnose input/);
});

test("impossible fractions and a bad diagnostics.json are clear errors", async () => {
  await assert.rejects(split(clips(3, 3), { val: 0.6, test: 0.5 }), /val 0\.6 \+ test 0\.5 = 1\.1 leaves nothing to train on/);
  const ctx = tempContext<SplitParams>({
    name: "split",
    spec: splitParams,
    inputs: { extract: { "videos.jsonl": jsonl(clips(2, 2)) }, diagnose: { "diagnostics.json": "{" } },
  });
  try {
    await assert.rejects(runKind(kind, ctx), /diagnostics\.json: not valid JSON \(the diagnose stage's output\)/);
  } finally {
    ctx.cleanup();
  }
});
