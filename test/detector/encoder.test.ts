// The learned-encoder extractor on models the tests write themselves: ONNX graphs from a few
// protobuf bytes (test/detector/onnx-model.ts) and a TensorFlow.js layers model saved to disk.
// Features are checked against values computed by hand from the weights.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadEncoder, pool, preprocess } from "../../src/features/encoder.js";
import { writeConvModel, writePooledModel } from "./onnx-model.js";

const root = mkdtempSync(join(tmpdir(), "dfd-encoder-"));
after(() => rmSync(root, { recursive: true, force: true }));

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/** A w×h frame: a horizontal ramp in red, a constant green, a vertical ramp in blue. */
function frame(w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = 3 * (y * w + x);
      out[i] = (x * 37) % 256;
      out[i + 1] = 90;
      out[i + 2] = (y * 53) % 256;
    }
  return out;
}

/** Per-channel mean of the ImageNet-normalised frame. */
function channelMeans(rgb: Uint8Array, mean = IMAGENET_MEAN, std = IMAGENET_STD): number[] {
  const n = rgb.length / 3;
  return [0, 1, 2].map((c) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (rgb[3 * i + c]! / 255 - mean[c]!) / std[c]!;
    return s / n;
  });
}

test("onnx: a 1×1 convolution's feature maps, averaged over space, equal W·mean(x) + b", async () => {
  const W = [[1, 0, 0], [0, 1, 0], [0.5, 0.5, 1], [1, -1, 0]];
  const B = [0, 0.1, 0.2, 0.3];
  const file = join(root, "conv.onnx");
  writeConvModel(file, W, B);
  const enc = await loadEncoder(file);
  try {
    assert.equal(enc.name, "onnx:conv.onnx");
    assert.equal(enc.dims, 4);
    assert.deepEqual(enc.names.slice(0, 2), ["emb_0000", "emb_0001"]);
    const rgb = frame(16, 16);
    const got = await enc.frame(rgb, 16, 16);
    const m = channelMeans(rgb);
    const want = W.map((row, k) => B[k]! + row.reduce((s, w, c) => s + w * m[c]!, 0));
    got.forEach((v, k) => assert.ok(Math.abs(v - want[k]!) < 1e-4, `dim ${k}: ${v} vs ${want[k]}`));
    // deterministic to the bit
    assert.deepEqual(Buffer.from((await enc.frame(rgb, 16, 16)).buffer), Buffer.from(got.buffer));
  } finally {
    await enc.dispose();
  }
});

test("onnx: a fixed 32×32 input gets resized frames; dfd-encoder.json sets mean and std", async () => {
  const dir = join(root, "pooled");
  mkdirSync(dir);
  const M = [[1, 0], [0, 2], [1, 1]];
  writePooledModel(join(dir, "model.onnx"), M);
  writeFileSync(join(dir, "dfd-encoder.json"), JSON.stringify({ mean: [0, 0, 0], std: [1, 1, 1] }));
  const enc = await loadEncoder(dir);
  try {
    assert.equal(enc.dims, 2);
    // a flat colour survives any resize exactly: output = colour/255 · M
    const flat = new Uint8Array(64 * 64 * 3);
    for (let i = 0; i < flat.length; i += 3) [flat[i], flat[i + 1], flat[i + 2]] = [51, 102, 255];
    const got = await enc.frame(flat, 64, 64);
    const c = [0.2, 0.4, 1];
    const want = [0, 1].map((k) => c.reduce((s, v, j) => s + v * M[j]![k]!, 0));
    got.forEach((v, k) => assert.ok(Math.abs(v - want[k]!) < 1e-5, `dim ${k}: ${v} vs ${want[k]}`));
  } finally {
    await enc.dispose();
  }
});

test("encoder: preprocessing (half-pixel bilinear) and pooling of token and map outputs", () => {
  const cfg = { mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number], size: null, layout: "nchw" as const, output: null, tokens: "cls" as const };
  // 2×1 → 4×1... a 2×2 checker of 0 and 255 halved to 1×1 is its mean
  const rgb = Uint8Array.from([0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0]);
  assert.deepEqual([...preprocess(rgb, 2, 2, 1, cfg)], [0.5, 0.5, 0.5]);
  // same size: the identity, channel planes first (NCHW)
  assert.deepEqual([...preprocess(rgb, 2, 2, 2, cfg)], [0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0]);
  assert.deepEqual([...preprocess(rgb, 2, 2, 2, { ...cfg, layout: "nhwc" })], [0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
  const tokens = Float32Array.from([1, 2, 3, 5, 7, 9]); // [1, 2 tokens, 3 dims]
  assert.deepEqual([...pool(tokens, [1, 2, 3], cfg)], [1, 2, 3]);
  assert.deepEqual([...pool(tokens, [1, 2, 3], { ...cfg, tokens: "mean" })], [3, 4.5, 6]);
  assert.deepEqual([...pool(Float32Array.from([1, 3, 10, 20]), [1, 2, 1, 2], cfg)], [2, 15]);
  assert.deepEqual([...pool(Float32Array.from([1, 10, 3, 20]), [1, 1, 2, 2], { ...cfg, layout: "nhwc" })], [2, 15]);
  assert.throws(() => pool(new Float32Array(16), [1, 2, 2, 2, 2], cfg), /expected \[1, D\], \[1, T, D\] or \[1, C, H, W\]/);
});

test("encoder: clear errors naming the file", async () => {
  await assert.rejects(loadEncoder(join(root, "nope.onnx")), /model: .*nope\.onnx: no such file or directory/);
  const empty = join(root, "empty");
  mkdirSync(empty);
  await assert.rejects(loadEncoder(empty), /expected an \.onnx file, or a directory holding model\.onnx or a TensorFlow\.js model\.json/);
  const garbage = join(root, "garbage.onnx");
  writeFileSync(garbage, "not a model");
  await assert.rejects(loadEncoder(garbage), /garbage\.onnx: onnxruntime cannot load it/);
  const badCfg = join(root, "badcfg");
  mkdirSync(badCfg);
  writePooledModel(join(badCfg, "model.onnx"), [[1], [1], [1]]);
  writeFileSync(join(badCfg, "dfd-encoder.json"), JSON.stringify({ mean: [0, 0], colour: "rgb" }));
  await assert.rejects(loadEncoder(badCfg), /dfd-encoder\.json: "mean" must be 3 numbers/);
  writeFileSync(join(badCfg, "dfd-encoder.json"), JSON.stringify({ colour: "rgb" }));
  await assert.rejects(loadEncoder(badCfg), /dfd-encoder\.json: unknown key "colour"/);
  writeFileSync(join(badCfg, "dfd-encoder.json"), JSON.stringify({ output: "logits" }));
  await assert.rejects(loadEncoder(badCfg), /no output "logits" \(outputs: embedding\)/);
});

test("tfjs: a layers model directory (model.json + weights) runs on the cpu backend, NHWC", async () => {
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-backend-cpu");
  const layers = await import("@tensorflow/tfjs-layers");
  await tf.setBackend("cpu");
  const model = layers.sequential({
    layers: [
      layers.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 1, useBias: true }),
      layers.layers.globalAveragePooling2d({}),
    ],
  });
  const K = [[1, 0], [0, 1], [1, -1]]; // [in 3, out 2]
  model.setWeights([tf.tensor4d(K.flat(), [1, 1, 3, 2]), tf.tensor1d([0.5, -0.5])]);
  const dir = join(root, "tfjs");
  mkdirSync(dir);
  await model.save(tf.io.withSaveHandler(async (a) => {
    writeFileSync(join(dir, "weights.bin"), Buffer.from(a.weightData as ArrayBuffer));
    writeFileSync(join(dir, "model.json"), JSON.stringify({ format: "layers-model", modelTopology: a.modelTopology, weightsManifest: [{ paths: ["weights.bin"], weights: a.weightSpecs }] }));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  model.dispose();
  const enc = await loadEncoder(dir);
  try {
    assert.equal(enc.name, "tfjs:tfjs");
    assert.equal(enc.dims, 2);
    const rgb = frame(8, 8);
    const m = channelMeans(rgb);
    const want = [0, 1].map((k) => [0.5, -0.5][k]! + K.reduce((s, row, c) => s + row[k]! * m[c]!, 0));
    const got = await enc.frame(rgb, 8, 8);
    got.forEach((v, k) => assert.ok(Math.abs(v - want[k]!) < 1e-4, `dim ${k}: ${v} vs ${want[k]}`));
    // a 16×16 frame is resized to the model's 8×8 input
    assert.equal((await enc.frame(frame(16, 16), 16, 16)).length, 2);
  } finally {
    await enc.dispose();
  }
  writeFileSync(join(dir, "model.json"), JSON.stringify({ format: "graph-model", modelTopology: {}, weightsManifest: [] }));
  await assert.rejects(loadEncoder(dir), /graph model needs the optional package @tensorflow\/tfjs-converter/);
});
