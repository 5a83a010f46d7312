// The numbers behind the findings: rank AUC with ties, out-of-fold categorical AUC, and the
// all-metadata classifier, on cases small enough to compute by hand.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SOURCE_ATTRIBUTES, type Attribute } from "./attributes.js";
import { fitLogistic, metadataClassifierAuc, solve } from "./classifier.js";
import { stratifiedFolds } from "./folds.js";
import { attributeAuc, outOfFoldEncoding, outOfFoldValueAuc } from "./shortcut.js";
import { numericStats } from "./stats.js";
import { seq, video } from "../../test/helpers/stage-context.js";
import type { VideoRecord } from "../../src/artifacts/features.js";

const attr = (name: string): Attribute => SOURCE_ATTRIBUTES.find((a) => a.name === name)!;
const labelsOf = (clips: VideoRecord[]) => clips.map((c) => (c.label === "fake" ? 1 : 0));
const opt = { folds: 5, seed: 0 };

test("numeric rank AUC counts ties as one half (hand-computed 5/6)", () => {
  // fake fps {3, 2, 2}, real {2, 1}: of 6 fake-real pairs, 4 wins + 2 ties = 5/6
  const clips = [3, 2, 2].map((fps) => video({ label: "fake", fps })).concat([2, 1].map((fps) => video({ label: "real", fps })));
  const r = attributeAuc(attr("fps"), clips, labelsOf(clips), opt);
  assert.equal(r.rank, 5 / 6);
  assert.ok(r.auc >= 5 / 6);
});

test("numeric AUC is oriented: lower-for-fakes separates as well as higher", () => {
  const clips = [1, 2, 3].map((fps) => video({ label: "fake", fps })).concat([4, 5, 6].map((fps) => video({ label: "real", fps })));
  assert.equal(attributeAuc(attr("fps"), clips, labelsOf(clips), opt).rank, 1);
});

test("unknown numeric values rank below every known one (a missing bitrate is a cue too)", () => {
  // fake bitrate {null, 5}, real {1, 2}: null ranks lowest → wins (5>1, 5>2), losses (null<1, null<2) → 0.5
  const clips = [null, 5].map((bitrate) => video({ label: "fake", bitrate })).concat([1, 2].map((bitrate) => video({ label: "real", bitrate })));
  const r = attributeAuc(attr("bitrate"), clips, labelsOf(clips), opt);
  assert.equal(r.rank, 0.5);
  assert.equal(r.missing, 1);
  // every fake without a bitrate, every real with one: perfect separation
  const all = [null, null, null].map((bitrate) => video({ label: "fake", bitrate })).concat([1, 2, 3].map((bitrate) => video({ label: "real", bitrate })));
  assert.equal(attributeAuc(attr("bitrate"), all, labelsOf(all), opt).rank, 1);
});

test("an attribute unknown for every clip has no AUC (NaN), not a fake 0.5", () => {
  const clips = [video({ label: "fake", bitrate: null }), video({ label: "real", bitrate: null })];
  assert.ok(Number.isNaN(attributeAuc(attr("bitrate"), clips, labelsOf(clips), opt).auc));
});

test("categorical out-of-fold AUC: unique values are useless, shared exclusive values are a perfect shortcut", () => {
  const labels = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
  const unique = labels.map((_, i) => `codec${i}`);
  assert.equal(outOfFoldValueAuc(unique, labels, opt), 0.5); // in-sample this would be 1.0
  const exclusive = labels.map((y) => (y ? "gif" : "h264"));
  assert.equal(outOfFoldValueAuc(exclusive, labels, opt), 1);
  const constant = labels.map(() => "h264");
  assert.equal(outOfFoldValueAuc(constant, labels, opt), 0.5);
});

test("categorical out-of-fold AUC approaches the in-sample value when values repeat", () => {
  // fake: gif×8, h264×4; real: h264×12. In-sample: gif fakes beat all reals (96 pairs), h264 fakes
  // tie them (48 × ½) → (96 + 24) / 144 = 0.833
  const labels = [...Array(12).fill(1), ...Array(12).fill(0)] as number[];
  const keys = labels.map((y, i) => (y && i < 8 ? "gif" : "h264"));
  const auc = outOfFoldValueAuc(keys, labels, opt);
  assert.ok(Math.abs(auc - 0.833) < 0.1, `auc ${auc}`);
});

test("out-of-fold encoding uses only the other folds (smoothed fake rate, unseen value → prior)", () => {
  const labels = [1, 1, 1, 0, 0, 0];
  const keys = ["a", "a", "b", "a", "c", "c"];
  const { fold, k } = stratifiedFolds(labels, 3, 7);
  const scores = outOfFoldEncoding(keys, labels, { folds: 3, seed: 7 });
  for (let i = 0; i < keys.length; i++) {
    const train = keys.map((_, j) => j).filter((j) => fold[j] !== fold[i]);
    const prior = train.filter((j) => labels[j] === 1).length / train.length;
    const same = train.filter((j) => keys[j] === keys[i]);
    const expected = same.length ? (same.filter((j) => labels[j] === 1).length + prior) / (same.length + 1) : prior;
    assert.ok(Math.abs(scores[i]! - expected) < 1e-12, `row ${i}`);
  }
  assert.equal(k, 3);
});

test("stratified folds: each class spread evenly, deterministic per seed", () => {
  const labels = [...Array(10).fill(1), ...Array(7).fill(0)] as number[];
  const a = stratifiedFolds(labels, 5, 1);
  assert.deepEqual(a, stratifiedFolds(labels, 5, 1));
  for (const cls of [0, 1]) {
    const per = [0, 0, 0, 0, 0];
    labels.forEach((y, i) => y === cls && per[a.fold[i]!]!++);
    assert.ok(Math.max(...per) - Math.min(...per) <= 1, `class ${cls}: ${per}`);
  }
  assert.notDeepEqual(a.fold, stratifiedFolds(labels, 5, 2).fold);
});

test("solve and fitLogistic: a 2×2 system, and a logistic fit that orders the classes", () => {
  assert.deepEqual(solve([[2, 1], [1, 3]], [3, 5]).map((x) => Math.round(x * 1e9) / 1e9), [0.8, 1.4]);
  const X = [[1, -2], [1, -1], [1, 1], [1, 2]];
  const w = fitLogistic(X, [0, 0, 1, 1], 0.1);
  assert.ok(w[1]! > 0, "weight points towards the fake side");
  assert.ok(Math.abs(w[0]!) < 1e-6, "symmetric data: intercept ~0");
});

test("metadata classifier: separable metadata → AUC ≈ 1, unrelated metadata → AUC near 0.5, deterministic", () => {
  const r = seq(42);
  const separable: VideoRecord[] = [];
  for (let i = 0; i < 30; i++) {
    separable.push(video({ label: "fake", codec: "gif", fps: 8 + r(), width: 672, height: 384, bytes: 2e6 * (1 + r()), bitrate: null }));
    separable.push(video({ label: "real", codec: "h264", fps: 25 + 5 * r(), width: 1280, height: 720, bytes: 1e6 * (1 + r()) }));
  }
  const s = metadataClassifierAuc(SOURCE_ATTRIBUTES, separable, labelsOf(separable), opt);
  assert.ok(s.auc >= 0.99, `separable auc ${s.auc}`);
  assert.deepEqual(metadataClassifierAuc(SOURCE_ATTRIBUTES, separable, labelsOf(separable), opt), s);

  const noise: VideoRecord[] = [];
  const codecs = ["h264", "vp9", "gif"];
  for (let i = 0; i < 80; i++) {
    const draw = () => ({
      codec: codecs[Math.floor(r() * 3)]!,
      fps: [24, 25, 30][Math.floor(r() * 3)]!,
      bytes: 1e5 + 1e6 * r(),
      bitrate: 5e5 + 1e6 * r(),
      duration: 1 + 5 * r(),
      source_frames: 20 + Math.floor(60 * r()),
    });
    noise.push(video({ label: i % 2 ? "fake" : "real", ...draw() }));
  }
  const u = metadataClassifierAuc(SOURCE_ATTRIBUTES, noise, labelsOf(noise), opt);
  assert.ok(u.auc < 0.7, `unseparable auc ${u.auc}`);
  assert.equal(u.folds, 5);
});

test("300 000 clips: statistics and AUCs take no spread of huge arrays (Math.min(...xs) overflows the stack past ~120 000)", () => {
  const n = 300_000;
  const values = Array.from({ length: n }, (_, i) => (i * 7919) % 1000);
  assert.deepEqual([numericStats(values).min, numericStats(values).max], [0, 999]);
  const clips = values.map((x, i) => ({ ...video({ label: i % 2 ? "fake" : "real" }), fps: x }));
  const labels = clips.map((c) => (c.label === "fake" ? 1 : 0));
  const fps = SOURCE_ATTRIBUTES.find((a) => a.name === "fps")!;
  assert.ok(attributeAuc(fps, clips, labels, { folds: 5, seed: 0 }).auc >= 0.5);
});
