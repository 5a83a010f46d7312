// The diagnose stage end to end through its run(): a real temp context, videos.jsonl written the
// way extract writes it, real files out.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Finding, StageSummary } from "../../src/stage.js";
import { hamming, nearDuplicates, parseHash } from "./duplicates.js";
import kind from "./index.js";
import { diagnoseParams, type DiagnoseParams } from "./params.js";
import { jsonl, seq, tempContext, video } from "../../test/helpers/stage-context.js";
import type { VideoRecord } from "../../src/artifacts/features.js";
import { runKind } from "../../src/runner/in-process.js";

async function diagnose(rows: readonly (VideoRecord | Record<string, unknown>)[] | string, params: Partial<DiagnoseParams> = {}, extractJson?: unknown) {
  const text = typeof rows === "string" ? rows : jsonl(rows as VideoRecord[]);
  const files: Record<string, string> = { "videos.jsonl": text };
  if (extractJson !== undefined) files["extract.json"] = JSON.stringify(extractJson);
  const ctx = tempContext<DiagnoseParams>({ name: "diagnose", spec: diagnoseParams, params, inputs: { extract: files } });
  try {
    const summary = (await runKind(kind, ctx)) as StageSummary;
    const diagnostics = JSON.parse(readFileSync(join(ctx.outDir, "diagnostics.json"), "utf8"));
    const report = readFileSync(join(ctx.outDir, "report.md"), "utf8");
    return { summary, diagnostics, report, findings: summary.findings ?? [] };
  } finally {
    ctx.cleanup();
  }
}

const byId = (fs: Finding[], id: string) => fs.find((f) => f.id === id);

/** The original researcher's data, as the demo stage reproduces it: fakes all 8 frames in
 * 672×384 GIFs at 8 fps, reals 32–92 frames of H.264. */
function demoLike(): VideoRecord[] {
  const r = seq(3);
  const rows: VideoRecord[] = [];
  for (let i = 0; i < 12; i++) {
    rows.push(video({ label: "fake", source: "hotshot", frames: 8, source_frames: 8, fps: 8, duration: 1, width: 672, height: 384, codec: "gif", pix_fmt: "bgra", format: "gif", bitrate: null, bytes: 3e5 + 1e5 * r() }));
    const n = 32 + Math.floor(60 * r());
    rows.push(video({ label: "real", source: `cam${i % 3}`, frames: n, source_frames: n, fps: 25, duration: n / 25, bytes: 5e5 + 2e5 * r() }));
  }
  return rows;
}

/** Both classes drawn from the same metadata distribution. */
function balanced(): VideoRecord[] {
  const r = seq(11);
  const rows: VideoRecord[] = [];
  for (let i = 0; i < 40; i++) {
    const n = 24 + Math.floor(40 * r());
    const fps = [24, 25, 30][Math.floor(3 * r())]!;
    const [w, h] = [[640, 360], [1280, 720]][Math.floor(2 * r())]!;
    rows.push(video({ label: i % 2 ? "fake" : "real", source: `s${Math.floor(i / 2) % 4}`, frames: n, source_frames: n, fps, duration: n / fps, width: w, height: h, codec: r() < 0.5 ? "h264" : "vp9", bytes: 2e5 + 3e5 * r(), bitrate: 4e5 + 4e5 * r() }));
  }
  return rows;
}

test("demo-like metadata (fakes all 8 frames, GIF) → frame-count error, sequence-length error, high AUCs", async () => {
  const { findings, diagnostics, report, summary } = await diagnose(demoLike());
  const fc = byId(findings, "frame-count-ratio");
  assert.equal(fc?.severity, "error");
  assert.match(fc!.reason, /fake 8\.0 \(8–8\)/);
  assert.equal(fc!.data!.auc, 1);
  assert.equal(byId(findings, "sequence-length")?.severity, "error");
  assert.match(byId(findings, "sequence-length")!.advice!, /extract\.frames/);
  for (const a of ["codec", "fps", "resolution", "format"]) {
    assert.equal(byId(findings, `metadata-auc:${a}`)?.severity, "error", a);
    assert.equal(diagnostics.auc[a], 1, a);
  }
  assert.match(byId(findings, "metadata-auc:codec")!.advice!, /normalize_format: true/);
  assert.equal(byId(findings, "metadata-classifier")?.severity, "error");
  assert.ok(diagnostics.metadata_classifier_auc >= 0.95);
  assert.equal(byId(findings, "single-source:fake")?.severity, "warn");
  assert.equal(byId(findings, "single-source:real"), undefined, "three real sources");
  // contract shape
  assert.equal(diagnostics.classes.fake.count, 12);
  assert.equal(diagnostics.classes.fake.numeric.frames.mean, 8);
  assert.deepEqual(diagnostics.classes.fake.categorical.codec, { gif: 12 });
  assert.deepEqual(diagnostics.duplicates, []);
  assert.match(report, /## Frame counts per class/);
  assert.match(report, /\| codec \| 1\.00 \|/);
  assert.ok(summary.lines!.length >= 2 && summary.lines!.length <= 4);
  assert.equal(findings[0]!.severity, "error", "errors first");
});

test("advice follows what extract already applied (extract.json params): the finding stays, the remedy changes", async () => {
  const before = await diagnose(demoLike());
  assert.match(byId(before.findings, "metadata-auc:codec")!.advice!, /^set extract\.normalize_format: true/);
  assert.match(byId(before.findings, "metadata-auc:resolution")!.advice!, /extract\.resize: scale brings/);
  assert.match(byId(before.findings, "metadata-auc:fps")!.advice!, /set extract\.fps/);
  const after = await diagnose(demoLike(), {}, { params: { normalize_format: true, resize: "scale", fps: 12, frames: null } });
  assert.equal(byId(after.findings, "metadata-auc:codec")?.severity, "error", "the data is as leaky as before");
  assert.match(byId(after.findings, "metadata-auc:codec")!.advice!, /normalize_format is on/);
  assert.match(byId(after.findings, "metadata-auc:resolution")!.advice!, /already resizes every clip \(resize: scale\)/);
  assert.match(byId(after.findings, "metadata-auc:fps")!.advice!, /already resamples to 12 fps/);
  const broken = await diagnose(demoLike(), {}, "not an object");
  assert.match(byId(broken.findings, "metadata-auc:codec")!.advice!, /^set extract\.normalize_format: true/);
});

test("a balanced synthetic set raises no shortcut finding", async () => {
  const { findings, diagnostics } = await diagnose(balanced());
  const bad = findings.filter((f) => f.severity !== "info");
  assert.deepEqual(bad.map((f) => `${f.id} ${f.reason}`), []);
  assert.equal(byId(findings, "frame-count-ratio")?.severity, "info");
  assert.ok(diagnostics.metadata_classifier_auc < 0.8, String(diagnostics.metadata_classifier_auc));
  for (const [k, v] of Object.entries(diagnostics.auc)) assert.ok((v as number) < 0.8, `${k} ${v}`);
});

test("fixed extracted frame count: sequence-length is info, the source-length shortcut is still reported", async () => {
  const rows = demoLike().map((v) => ({ ...v, frames: 16 }));
  const { findings } = await diagnose(rows);
  assert.equal(byId(findings, "sequence-length")?.severity, "info");
  assert.match(byId(findings, "sequence-length")!.reason, /every clip yields 16/);
  assert.equal(byId(findings, "frame-count-ratio")?.severity, "error");
  assert.match(byId(findings, "frame-count-ratio")!.advice!, /repeats frames/);
});

test("auc_warn / auc_error are the severity thresholds", async () => {
  // fps: fakes 30×8 + 25×2, reals 25×8 + 30×2 → rank AUC (64 wins + 32 ties × ½) / 100 = 0.8
  const rows = [
    ...[...Array(8).fill(30), 25, 25].map((fps) => video({ label: "fake", fps })),
    ...[...Array(8).fill(25), 30, 30].map((fps) => video({ label: "real", fps })),
  ];
  const dflt = await diagnose(rows);
  assert.equal(dflt.diagnostics.auc.fps, 0.8);
  assert.equal(byId(dflt.findings, "metadata-auc:fps")?.severity, "warn");
  const strict = await diagnose(rows, { auc_warn: 0.6, auc_error: 0.75 });
  assert.equal(byId(strict.findings, "metadata-auc:fps")?.severity, "error");
  const lax = await diagnose(rows, { auc_warn: 0.9 });
  assert.equal(byId(lax.findings, "metadata-auc:fps"), undefined);
});

test("class imbalance and failed extractions", async () => {
  const rows = [
    ...Array.from({ length: 9 }, () => video({ label: "real" })),
    ...Array.from({ length: 3 }, () => video({ label: "fake" })),
    video({ label: "fake", error: "ffmpeg: Invalid data found when processing input", frames: 0, features: null }),
  ];
  const { findings, diagnostics } = await diagnose(rows);
  assert.equal(byId(findings, "class-imbalance")?.severity, "warn");
  assert.match(byId(findings, "class-imbalance")!.reason, /9 real vs 3 fake/);
  assert.equal(byId(findings, "extraction-failed")?.data?.fake, 1);
  assert.equal(diagnostics.classes.fake.count, 4);
  assert.equal(diagnostics.classes.fake.failed, 1);
});

test("a one-class data set fails early, naming the data set, not a cache path", async () => {
  await assert.rejects(
    diagnose([video({ label: "real" }), video({ label: "real" })]),
    (e: Error) => e.message === "the data set listed by stage extract has no usable fake clip (2 real): a detector needs both classes — add fake clips (an ai/ (or fake/) folder beside real/, or manifest.csv rows labelled fake)",
  );
  const failedReal = [video({ label: "fake" }), video({ label: "real", error: "truncated", frames: 0 })];
  await assert.rejects(diagnose(failedReal), /has no usable real clip \(1 fake; 1 real clip\(s\) failed extraction\): .* add real clips \(a real\/ folder beside the AI one/);
  const ctx = tempContext<DiagnoseParams>({ name: "diagnose", spec: diagnoseParams, inputs: { extract: { "videos.jsonl": jsonl([video({ label: "fake" })]) } } });
  try {
    await assert.rejects(runKind(kind, { ...ctx, data: join(ctx.root, "clips", "ai") }), /^Error: the data set clips\/ai has no usable real clip \(1 fake\)/);
    assert.ok(!existsSync(join(ctx.outDir, "diagnostics.json")), "nothing analysed");
  } finally {
    ctx.cleanup();
  }
});

test("fail_on: error throws a clear error after writing diagnostics.json and report.md", async () => {
  const ctx = tempContext<DiagnoseParams>({
    name: "diagnose",
    spec: diagnoseParams,
    params: { fail_on: "error" },
    inputs: { extract: { "videos.jsonl": jsonl(demoLike()) } },
  });
  try {
    await assert.rejects(runKind(kind, ctx), (e: Error) => {
      assert.match(e.message, /at or above fail_on: error/);
      assert.match(e.message, /frame-count-ratio/);
      assert.match(e.message, /metadata-auc:codec/);
      return true;
    });
    assert.ok(existsSync(join(ctx.outDir, "diagnostics.json")));
    assert.ok(existsSync(join(ctx.outDir, "report.md")));
  } finally {
    ctx.cleanup();
  }
  // warnings only: fail_on error passes, fail_on warn throws
  const warnOnly = [...Array.from({ length: 9 }, () => video({ label: "real" })), ...Array.from({ length: 4 }, () => video({ label: "fake" }))];
  await diagnose(warnOnly, { fail_on: "error" });
  await assert.rejects(diagnose(warnOnly, { fail_on: "warn" }), /class-imbalance/);
});

test("near-duplicates: Hamming distance on 64-bit dHash, flat frames ignored, cross-class pairs warned", async () => {
  assert.equal(hamming(parseHash("ffffffffffffffff"), parseHash("0000000000000000")), 64);
  assert.equal(hamming(parseHash("8000000000000001"), parseHash("0000000000000000")), 2);
  assert.equal(hamming(parseHash("f0f0"), parseHash("00000000000000f0")), 4);
  const a = ["0123456789abcdef", "fedcba9876543210"];
  const aNear = ["0123456789abcdee", "fedcba9876543211"]; // 1 bit off each
  const other = ["a5a5a5a5a5a5a5a5", "5a5a5a5a5a5a5a5a"];
  const flat = ["0000000000000000"];
  const rows = [
    video({ id: "r1", label: "real", phash: a }),
    video({ id: "f1", label: "fake", phash: aNear }),
    video({ id: "r2", label: "real", phash: other }),
    video({ id: "r3", label: "real", phash: other }),
    video({ id: "f2", label: "fake", phash: flat }),
    video({ id: "f3", label: "fake", phash: flat }),
  ];
  assert.deepEqual(nearDuplicates(rows, 8), [["r2", "r3", 0], ["f1", "r1", 1]]);
  assert.deepEqual(nearDuplicates(rows, 0), [["r2", "r3", 0]]);
  // unequal hash counts: A→B = (0 + 8) / 2 = 4, B→A = 0 → distance max(4, 0) = 4
  const uneven = [video({ id: "a", label: "real", phash: ["00000000000000ff", "000000000000ffff"] }), video({ id: "b", label: "real", phash: ["00000000000000ff"] })];
  assert.deepEqual(nearDuplicates(uneven, 4), [["a", "b", 4]]);
  assert.deepEqual(nearDuplicates(uneven, 3), []);
  const { diagnostics, findings } = await diagnose(rows);
  assert.deepEqual(diagnostics.duplicates, [["r2", "r3", 0], ["f1", "r1", 1]]);
  assert.equal(byId(findings, "near-duplicates:cross-class")?.severity, "warn");
  assert.match(byId(findings, "near-duplicates:cross-class")!.reason, /f1~r1/);
  assert.equal(byId(findings, "near-duplicates")?.severity, "info");
  const off = await diagnose(rows, { duplicate_distance: null });
  assert.deepEqual(off.diagnostics.duplicates, []);
  assert.match(off.report, /Not checked \(duplicate_distance: null\)/);
});

test("a malformed videos.jsonl fails naming the file and line", async () => {
  const good = JSON.stringify(video({ label: "real" }));
  await assert.rejects(diagnose(`${good}\n{"id": "x", "label": "maybe"}\n`), /videos\.jsonl:2: clip x: "label" must be "real" or "fake"/);
  await assert.rejects(diagnose(`${good}\nnot json\n`), /videos\.jsonl:2: not valid JSON/);
  await assert.rejects(diagnose(`${good}\n${good}\n`), /videos\.jsonl:2: id "clip\d+" already used on line 1/);
  await assert.rejects(diagnose(`${JSON.stringify({ ...video({ label: "fake" }), fps: "8" })}\n`), /"fps" must be a number or null/);
});

test("diagnose without an extract input names the fix", async () => {
  const ctx = tempContext<DiagnoseParams>({ name: "diag", spec: diagnoseParams, inputs: {} });
  try {
    await assert.rejects(runKind(kind, ctx), /stage diag needs a stage that provides features \(videos\.jsonl\)/);
  } finally {
    ctx.cleanup();
  }
});

test("rows extract could not label are failures, and a source that only repeats the class folder is unknown", async () => {
  const rows = [
    ...Array.from({ length: 4 }, () => video({ label: "real", source: "real", label_raw: "real" })),
    ...Array.from({ length: 4 }, () => video({ label: "fake", source: "ai", label_raw: "ai" })),
    { ...video({ label: "real" }), label: null, label_raw: "maybe", error: "unknown label: folder maybe/", frames: 0 },
  ];
  const { findings, diagnostics } = await diagnose(rows as VideoRecord[]);
  assert.equal(byId(findings, "single-source:fake"), undefined);
  assert.equal(byId(findings, "no-source")?.severity, "info");
  assert.deepEqual(diagnostics.classes.fake.sources, { "(unknown)": 4 });
  assert.match(byId(findings, "extraction-failed")!.reason, /1 clip\(s\) failed/);
  await assert.rejects(diagnose([{ ...video({ label: "real" }), label: null } as unknown as VideoRecord]), /"label" must be "real" or "fake" \(null only on a row with an "error"\), got null/);
});

/** n clips per source; sources named by class so every source is class-pure. */
const sourced = (perClass: Record<"real" | "fake", number[]>, extra: Partial<VideoRecord> = {}) =>
  (["real", "fake"] as const).flatMap((label) => perClass[label].flatMap((n, g) => Array.from({ length: n }, () => video({ label, source: `${label}-${g}`, ...extra }))));

test("class-pure sources: an error advising group_by: source (or group, or more sources), info when no source repeats", async () => {
  const pure = await diagnose(sourced({ real: [4, 3, 3], fake: [5, 2, 3] }));
  const f = byId(pure.findings, "class-pure-sources");
  assert.equal(f?.severity, "error");
  assert.match(f!.reason, /every source is all-real or all-AI \(3 real, 3 fake sources\): a random split puts clips of one source in both train and test/);
  assert.match(f!.advice!, /^split with group_by: source \(what the default group_by: auto does here\)/);
  assert.deepEqual(pure.diagnostics.sources, { pure: true, real: { "real-0": 4, "real-1": 3, "real-2": 3 }, fake: { "fake-0": 5, "fake-2": 3, "fake-1": 2 }, mixed: [] });
  assert.equal(f!.data!.auto_group_by, "source");

  const grouped = await diagnose(sourced({ real: [4, 3, 3], fake: [5, 2, 3] }).map((v, i) => ({ ...v, group: `g${i % 4}` })));
  assert.match(byId(grouped.findings, "class-pure-sources")!.advice!, /^split with group_by: group \(what group_by: auto picks.*group_by: source tests on unseen sources/);

  const oneEach = await diagnose(sourced({ real: [6], fake: [6] }));
  assert.equal(byId(oneEach.findings, "class-pure-sources")?.severity, "error");
  assert.match(byId(oneEach.findings, "class-pure-sources")!.advice!, /^add real clips from more sources: with 1 real source\(s\)/);

  const singletons = await diagnose(sourced({ real: [1, 1, 1], fake: [1, 1, 1] }));
  assert.equal(byId(singletons.findings, "class-pure-sources")?.severity, "info");

  const mixed = await diagnose([...sourced({ real: [4, 3], fake: [5, 2] }), video({ label: "fake", source: "real-0" })]);
  assert.equal(byId(mixed.findings, "class-pure-sources"), undefined);
  assert.deepEqual(mixed.diagnostics.sources.mixed, ["real-0"]);
});

test("progress names the phase and the clip count, never a bare 0/1", async () => {
  const calls: string[] = [];
  const ctx = tempContext<DiagnoseParams>({ name: "diagnose", spec: diagnoseParams, inputs: { extract: { "videos.jsonl": jsonl(demoLike()) } } });
  try {
    await runKind(kind, { ...ctx, progress: (done, total, note) => void calls.push(`${done}/${total} ${note}`) });
  } finally {
    ctx.cleanup();
  }
  assert.deepEqual(calls, ["0/4 class statistics (24 clips)", "1/4 metadata AUCs (24 clips)", "2/4 metadata classifier (24 clips)", "3/4 near-duplicates (24 clips)", "4/4 done (24 clips)"]);
});
