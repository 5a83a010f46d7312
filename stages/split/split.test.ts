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

/** Runs split on these rows; `diagnose` adds a diagnose input with these duplicate pairs and
 * finding ids (diagnostics.json as diagnose writes it, cut to what split reads). */
async function split(rows: readonly VideoRecord[], params: Partial<SplitParams> = {}, duplicates?: [string, string, number][], findingIds: string[] = []) {
  const inputs: Record<string, Record<string, string>> = { extract: { "videos.jsonl": jsonl(rows) } };
  const findings = findingIds.map((id) => ({ id, severity: "error", reason: id }));
  if (duplicates) inputs.diagnose = { "diagnostics.json": JSON.stringify({ findings, duplicates }) };
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
      assert.match(summary.lines!.join("\n"), new RegExp(`group_by ${by}: \\d+ ${by}s, none in two sets`));
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
  assert.equal(findings[0]!.reason, "val has no fake clips: 1 fake source in all, all in train");
  assert.match(findings[0]!.advice!, /add fake clips from more sources/);
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
    const { out, findings } = await split(rows, { seed }, dups, ["near-duplicates"]);
    const where = (id: string) => (["train", "val", "test"] as const).find((s) => out[s].includes(id));
    assert.equal(where("r000"), where("r001"));
    assert.equal(where("r001"), where("f000"));
    assert.equal(where("f001"), where("f002"));
    assert.match(findings.find((f) => f.id === "split-duplicates")!.reason, /kept 2 near-duplicate cluster\(s\) \(5 clips\)/);
    assert.deepEqual(out.resolved_findings, ["near-duplicates"]);
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

/** `perClass` sources per class with these sizes; every source all-real or all-AI. */
const pureSources = (real: number[], fake: number[], extra: (label: string, g: number) => Partial<VideoRecord> = () => ({})) =>
  (["real", "fake"] as const).flatMap((label) =>
    (label === "real" ? real : fake).flatMap((n, g) =>
      Array.from({ length: n }, (_, i) => video({ id: `${label[0]}${g}_${String(i).padStart(2, "0")}`, label, source: `${label}-src${g}`, ...extra(label, g) })),
    ),
  );

test("group_by auto: group column first, else source when sources are class-pure, else none; the choice and why in split.json", async () => {
  const pure = pureSources([5, 4, 3, 3], [6, 4, 2]);
  const bySource = await split(pure);
  assert.equal(bySource.out.group_by_requested, "auto");
  assert.equal(bySource.out.group_by, "source");
  assert.match(bySource.out.group_by_reason, /sources are class-pure \(each all-real or all-AI; 4 real, 3 fake\)/);
  assert.match(bySource.summary.lines![1]!, /^group_by source \(auto\): 7 sources, none in two sets — sources are class-pure/);
  assert.deepEqual(bySource.out.resolved_findings, ["class-pure-sources"]);
  for (const s of ["val", "test"] as const) assert.ok(bySource.out.counts[s].real > 0 && bySource.out.counts[s].fake > 0, `${s} holds both classes`);

  const withGroups = await split(pure.map((v, i) => ({ ...v, group: `pair${i % 5}` })));
  assert.equal(withGroups.out.group_by, "group");
  assert.match(withGroups.out.group_by_reason, /the data set has a group column \(5 groups\)/);
  assert.match(withGroups.out.group_by_reason, /too few for 3 sets, so a source may straddle sets/);

  // paired content (a real source and the fakes made from it share a group) and class-pure
  // sources: both keys together, so neither a pair nor a source straddles two sets
  const paired = await split(pureSources([5, 4, 3, 3], [6, 4, 2], (_label, g) => ({ group: `pair${g}` })));
  assert.equal(paired.out.group_by, "source+group");
  assert.match(paired.out.group_by_reason, /group column \(4 groups\) and class-pure sources: each group and each source stays in one set \(4 units\)/);
  assert.deepEqual(paired.out.resolved_findings, ["class-pure-sources"]);
  const setOf = new Map<string, string>();
  for (const s of ["train", "val", "test"] as const) for (const id of paired.out[s]) setOf.set(id, s);
  for (const g of [0, 1, 2, 3]) {
    const sets = new Set(pure.filter((v) => v.source!.endsWith(`src${g}`)).map((v) => setOf.get(v.id)));
    assert.equal(sets.size, 1, `pair${g} (a real and a fake source) in one set`);
  }

  const mixed = await split(clips(10, 10, (i) => ({ source: `s${i % 3}` })));
  assert.equal(mixed.out.group_by, null);
  assert.equal(mixed.out.group_by_reason, "no group column; 3 source(s) hold both classes: split clip by clip");
  assert.match(mixed.summary.lines![1]!, /^group_by none \(auto\): no group column; 3 source\(s\)/);
  assert.deepEqual(mixed.out.resolved_findings, []);

  const unknown = await split(clips(10, 10));
  assert.equal(unknown.out.group_by_reason, "no group column; no clip has a source: split clip by clip");

  // two fake sources cannot give train, val and test one each: clip by clip, said plainly, and the
  // shared sources are a warning
  const few = await split(pureSources([4, 4, 4], [8, 8]));
  assert.equal(few.out.group_by, null);
  assert.match(few.out.group_by_reason, /sources are class-pure, but fake has 2 source\(s\), too few to give each of the 3 sets its own/);
  const shared = few.findings.find((f) => f.id === "split-shared-sources");
  assert.equal(shared?.severity, "warn");
  assert.match(shared!.reason, /source\(s\) have clips in more than one set/);
  assert.deepEqual(few.out.resolved_findings, []);
  // with val: 0 two sources per class are enough
  assert.equal((await split(pureSources([4, 4, 4], [8, 8]), { val: 0 })).out.group_by, "source");
  // explicit choices are kept: none, and null meaning none
  for (const g of ["none", null] as const) {
    const r = await split(pure, { group_by: g });
    assert.equal(r.out.group_by, null);
    assert.equal(r.out.group_by_requested, null);
    assert.ok(r.findings.some((f) => f.id === "split-shared-sources"));
  }
});

test("resolved_findings: only findings diagnose reported, only when the split closes them", async () => {
  const pure = pureSources([5, 4, 3, 3], [6, 4, 2]);
  const withDiag = await split(pure, {}, [], ["class-pure-sources", "metadata-auc:codec"]);
  assert.deepEqual(withDiag.out.resolved_findings, ["class-pure-sources"]);
  const notReported = await split(pure, {}, [], ["metadata-auc:codec"]);
  assert.deepEqual(notReported.out.resolved_findings, []);
  const notClosed = await split(pure, { group_by: "none" }, [], ["class-pure-sources"]);
  assert.deepEqual(notClosed.out.resolved_findings, []);
});

test("few groups: val and test still get both classes when the units allow, and say plainly when not", async () => {
  // fake sources of 4, 3 and 1 clips (targets 6/1/1): biggest-first greedy alone leaves one of
  // val/test without a fake; the repair moves a source there
  const reals = Array.from({ length: 20 }, (_, i) => video({ id: `r${String(i).padStart(2, "0")}`, label: "real", source: `cam${i}` }));
  const fakes = [4, 3, 1].flatMap((n, g) => Array.from({ length: n }, (_, i) => video({ id: `f${g}_${i}`, label: "fake", source: `gen${g}` })));
  for (const seed of [0, 1, 2, 3, 4]) {
    const { out, findings } = await split([...reals, ...fakes], { seed, group_by: "source" });
    for (const s of ["train", "val", "test"] as const) assert.ok(out.counts[s].fake > 0 && out.counts[s].real > 0, `seed ${seed}: ${s} ${JSON.stringify(out.counts[s])}`);
    assert.deepEqual(findings.filter((f) => f.id.startsWith("split-missing-class")), []);
    const where = (id: string) => (["train", "val", "test"] as const).find((s) => out[s].includes(id));
    for (const g of [0, 1, 2]) assert.equal(new Set(fakes.filter((f) => f.source === `gen${g}`).map((f) => where(f.id))).size, 1, `gen${g} in one set`);
  }
  // three real sources, two of them tiny, and only two fake ones: test cannot have both
  const two = [...pureSources([6, 1, 1], [5, 5])];
  const { findings } = await split(two, { group_by: "source" });
  const missing = findings.filter((f) => f.id.startsWith("split-missing-class"));
  assert.equal(missing.length, 1);
  assert.match(missing[0]!.reason, /^(val|test) has no fake clips: 2 fake sources in all, in train and (val|test)$/);
});

test("a one-class data set is refused, naming the data set, also without diagnose", async () => {
  const ctx = tempContext<SplitParams>({ name: "split", spec: splitParams, inputs: { extract: { "videos.jsonl": jsonl(clips(5, 0)) } } });
  try {
    await assert.rejects(runKind(kind, ctx), (e: Error) => {
      assert.equal(
        e.message,
        "the data set listed by stage extract has no usable fake clip (5 real): a detector needs both classes — add fake clips (an ai/ (or fake/) folder beside real/, or manifest.csv rows labelled fake)",
      );
      return true;
    });
    const withData = { ...ctx, data: join(ctx.root, "mydata") };
    await assert.rejects(runKind(kind, withData), /^Error: the data set mydata has no usable fake clip/);
  } finally {
    ctx.cleanup();
  }
});
