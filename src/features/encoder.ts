// A learned frame encoder from a local file, as a feature extractor: an ONNX model run by
// onnxruntime-node (an optional dependency), or a TensorFlow.js model directory (model.json and its
// weight files; a Keras-style layers model runs on tfjs-layers, a graph model needs the optional
// @tensorflow/tfjs-converter). Nothing is downloaded: the user exports the model once (CLIP,
// DINOv2...: docs/detector.md) and points `model:` at it.
//
// Each frame: rgb bytes → [0, 1] → resized (bilinear, half-pixel centres) to the model's input
// size when it declares one → (x − mean) / std per channel → NCHW (ONNX) or NHWC (TensorFlow.js)
// → the model → one vector: a [1, D] output as it is, [1, T, D] token outputs by their first (CLS)
// token or mean, [1, C, H, W] feature maps averaged over space. A directory may hold
// dfd-encoder.json to say otherwise: { "mean": [..3], "std": [..3], "size": 224, "layout":
// "nchw" | "nhwc", "output": "name", "tokens": "cls" | "mean" }. Deterministic: one intra-op
// thread, fixed graph optimisation.
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";

/** The shape of a per-frame feature extractor (extract's FeatureExtractor; `frame` async). */
export interface EncoderExtractor {
  readonly name: string;
  readonly dims: number;
  readonly names: readonly string[];
  frame(rgb: Uint8Array, w: number, h: number, prev?: Uint8Array): Promise<Float32Array>;
  /** Frees the runtime's session. */
  dispose(): Promise<void>;
}

export interface EncoderConfig {
  mean: [number, number, number];
  std: [number, number, number];
  /** Input side the frames are resized to; null = the model's declared size, else the frame's. */
  size: number | null;
  layout: "nchw" | "nhwc";
  /** Output to read; null = the first. */
  output: string | null;
  tokens: "cls" | "mean";
}

export const CONFIG_FILE = "dfd-encoder.json";
const IMAGENET = { mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] };

/** A runtime's view of a loaded model: run one preprocessed image, get the output tensor. */
interface Runner {
  /** Declared input [height, width] when fixed. */
  inputSize: [number, number] | null;
  run(data: Float32Array, side: number): Promise<{ data: Float32Array; dims: number[] }>;
  dispose(): Promise<void>;
}

/** Loads `model` (an .onnx file, or a directory with model.onnx or a TensorFlow.js model.json). */
export async function loadEncoder(model: string): Promise<EncoderExtractor> {
  if (!existsSync(model)) throw new Error(`model: ${model}: no such file or directory`);
  const dir = statSync(model).isDirectory();
  const onnxFile = dir ? join(model, "model.onnx") : model.endsWith(".onnx") ? model : null;
  const tfjsFile = dir ? join(model, "model.json") : model.endsWith(".json") ? model : null;
  const kind = onnxFile && existsSync(onnxFile) ? "onnx" : tfjsFile && existsSync(tfjsFile) ? "tfjs" : null;
  if (!kind) throw new Error(`model: ${model}: expected an .onnx file, or a directory holding model.onnx or a TensorFlow.js model.json`);
  const config = readConfig(dir ? join(model, CONFIG_FILE) : null, kind === "onnx" ? "nchw" : "nhwc");
  const runner = kind === "onnx" ? await onnxRunner(onnxFile!, config) : await tfjsRunner(tfjsFile!, config);
  const side = config.size ?? (runner.inputSize ? runner.inputSize[0] : null);
  if (runner.inputSize && runner.inputSize[0] !== runner.inputSize[1]) throw new Error(`model: ${model}: the input is ${runner.inputSize[0]}×${runner.inputSize[1]}; only square inputs are supported`);
  const label = `${kind === "onnx" ? "onnx" : "tfjs"}:${basename(model)}`;
  const embed = async (rgb: Uint8Array, w: number, h: number): Promise<Float32Array> => {
    if (rgb.length !== w * h * 3) throw new Error(`frame has ${rgb.length} bytes, expected ${w * h * 3}`);
    const s = side ?? w;
    const out = await runner.run(preprocess(rgb, w, h, s, config), s);
    return pool(out.data, out.dims, config);
  };
  // probe once on a mid-grey frame for the width of the output
  const dims = (await embed(new Uint8Array(4 * 4 * 3).fill(128), 4, 4)).length;
  return {
    name: label,
    dims,
    names: Array.from({ length: dims }, (_, i) => `emb_${String(i).padStart(4, "0")}`),
    frame: (rgb, w, h) => embed(rgb, w, h),
    dispose: () => runner.dispose(),
  };
}

function readConfig(file: string | null, layout: "nchw" | "nhwc"): EncoderConfig {
  const c: EncoderConfig = { ...IMAGENET, size: null, layout, output: null, tokens: "cls" };
  if (!file || !existsSync(file)) return c;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  const bad = (msg: string): never => {
    throw new Error(`${file}: ${msg}`);
  };
  const triple = (k: "mean" | "std") => {
    const v = raw[k];
    if (v === undefined) return;
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === "number" && Number.isFinite(x))) bad(`"${k}" must be 3 numbers (R, G, B on the [0, 1] scale)`);
    if (k === "std" && (v as number[]).some((x) => x <= 0)) bad(`"std" must be positive`);
    c[k] = v as [number, number, number];
  };
  triple("mean");
  triple("std");
  if (raw.size !== undefined && raw.size !== null) {
    if (!Number.isInteger(raw.size) || (raw.size as number) < 1) bad(`"size" must be a positive whole number`);
    c.size = raw.size as number;
  }
  if (raw.layout !== undefined) {
    if (raw.layout !== "nchw" && raw.layout !== "nhwc") bad(`"layout" must be "nchw" or "nhwc"`);
    c.layout = raw.layout as "nchw" | "nhwc";
  }
  if (raw.output !== undefined && raw.output !== null) {
    if (typeof raw.output !== "string") bad(`"output" must be an output's name`);
    c.output = raw.output as string;
  }
  if (raw.tokens !== undefined) {
    if (raw.tokens !== "cls" && raw.tokens !== "mean") bad(`"tokens" must be "cls" or "mean"`);
    c.tokens = raw.tokens as "cls" | "mean";
  }
  const known = new Set(["mean", "std", "size", "layout", "output", "tokens"]);
  const unknown = Object.keys(raw).filter((k) => !known.has(k));
  if (unknown.length) bad(`unknown key${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")} (known: ${[...known].join(", ")})`);
  return c;
}

/** rgb24 w×h → normalised float32 side×side×3 in the config's layout (bilinear, half-pixel). */
export function preprocess(rgb: Uint8Array, w: number, h: number, side: number, c: EncoderConfig): Float32Array {
  const out = new Float32Array(side * side * 3);
  const plane = side * side;
  const sx = w / side, sy = h / side;
  for (let y = 0; y < side; y++) {
    const fy = Math.min(h - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy), y1 = Math.min(h - 1, y0 + 1), ty = fy - y0;
    for (let x = 0; x < side; x++) {
      const fx = Math.min(w - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx), x1 = Math.min(w - 1, x0 + 1), tx = fx - x0;
      for (let ch = 0; ch < 3; ch++) {
        const p = (yy: number, xx: number) => rgb[3 * (yy * w + xx) + ch]!;
        const v = ((1 - ty) * ((1 - tx) * p(y0, x0) + tx * p(y0, x1)) + ty * ((1 - tx) * p(y1, x0) + tx * p(y1, x1))) / 255;
        const z = (v - c.mean[ch]!) / c.std[ch]!;
        if (c.layout === "nchw") out[ch * plane + y * side + x] = z;
        else out[3 * (y * side + x) + ch] = z;
      }
    }
  }
  return out;
}

/** One vector from the model's output for one image (batch 1). */
export function pool(data: Float32Array, dims: number[], c: Pick<EncoderConfig, "layout" | "tokens">): Float32Array {
  const shape = dims[0] === 1 && dims.length > 1 ? dims.slice(1) : dims;
  if (shape.length === 1) return Float32Array.from(data);
  if (shape.length === 2) {
    const [t, d] = shape as [number, number];
    if (c.tokens === "cls") return data.slice(0, d);
    const out = new Float64Array(d);
    for (let i = 0; i < t; i++) for (let j = 0; j < d; j++) out[j]! += data[i * d + j]! / t;
    return Float32Array.from(out);
  }
  if (shape.length === 3) {
    const [a, b, e] = shape as [number, number, number];
    // nchw: [C, H, W]; nhwc: [H, W, C]
    const channels = c.layout === "nchw" ? a : e;
    const cells = (a * b * e) / channels;
    const out = new Float64Array(channels);
    for (let i = 0; i < data.length; i++) {
      const ch = c.layout === "nchw" ? Math.floor(i / cells) : i % channels;
      out[ch]! += data[i]! / cells;
    }
    return Float32Array.from(out);
  }
  throw new Error(`the model's output has shape [${dims.join(", ")}]: expected [1, D], [1, T, D] or [1, C, H, W]`);
}

async function onnxRunner(file: string, c: EncoderConfig): Promise<Runner> {
  let ort: typeof import("onnxruntime-node");
  try {
    ort = await import("onnxruntime-node");
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" ? "is not installed" : `failed to load (${(e as Error).message.split("\n")[0]})`;
    throw new Error(`model: ${file}: an ONNX encoder needs the optional package onnxruntime-node, which ${why}: run \`npm install onnxruntime-node@1.22.0\` in the project (it ships CPU binaries for linux-x64/arm64, macOS and Windows; no download at install)`);
  }
  let session: import("onnxruntime-node").InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all" });
  } catch (e) {
    throw new Error(`model: ${file}: onnxruntime cannot load it: ${(e as Error).message.split("\n")[0]}`);
  }
  if (session.inputNames.length !== 1) throw new Error(`model: ${file}: expected one image input, the model has ${session.inputNames.length} (${session.inputNames.join(", ")})`);
  const input = session.inputNames[0]!;
  const output = c.output ?? session.outputNames[0]!;
  if (!session.outputNames.includes(output)) throw new Error(`model: ${file}: no output "${output}" (outputs: ${session.outputNames.join(", ")})`);
  const meta = session.inputMetadata[0];
  const shape = meta && meta.isTensor ? meta.shape : [];
  if (shape.length && shape.length !== 4) throw new Error(`model: ${file}: the input "${input}" has rank ${shape.length}; expected an image batch [1, 3, H, W] or [1, H, W, 3]`);
  const [hDim, wDim] = c.layout === "nchw" ? [shape[2], shape[3]] : [shape[1], shape[2]];
  const inputSize: [number, number] | null = typeof hDim === "number" && typeof wDim === "number" && hDim > 0 && wDim > 0 ? [hDim, wDim] : null;
  return {
    inputSize,
    async run(data, side) {
      const t = new ort.Tensor("float32", data, c.layout === "nchw" ? [1, 3, side, side] : [1, side, side, 3]);
      const r = await session.run({ [input]: t }, [output]);
      const o = r[output]!;
      return { data: o.data as Float32Array, dims: [...o.dims] };
    },
    dispose: () => session.release(),
  };
}

async function tfjsRunner(file: string, c: EncoderConfig): Promise<Runner> {
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-backend-cpu");
  let json: { format?: string; modelTopology?: unknown; weightsManifest?: { paths: string[]; weights: import("@tensorflow/tfjs-core").io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`model: ${file}: not valid JSON: ${(e as Error).message}`);
  }
  const dir = file.slice(0, file.length - basename(file).length);
  const specs = (json.weightsManifest ?? []).flatMap((g) => g.weights);
  const weightData = Buffer.concat((json.weightsManifest ?? []).flatMap((g) => g.paths.map((p) => {
    const f = join(dir, p);
    if (!existsSync(f)) throw new Error(`model: ${f}: missing (listed in ${file})`);
    return readFileSync(f);
  })));
  const artifacts = { modelTopology: json.modelTopology as object, weightSpecs: specs, weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) };
  if (tf.getBackend() !== "cpu") await tf.setBackend("cpu");
  type Predictor = { predict(x: import("@tensorflow/tfjs-core").Tensor): import("@tensorflow/tfjs-core").Tensor | import("@tensorflow/tfjs-core").Tensor[]; inputs?: { shape: (number | null)[] }[]; dispose(): void };
  let model: Predictor;
  if (json.format === "graph-model") {
    let conv: { loadGraphModel(h: unknown): Promise<Predictor> };
    try {
      conv = (await import(/* optional */ "@tensorflow/tfjs-converter" as string)) as typeof conv;
    } catch {
      throw new Error(`model: ${file}: a TensorFlow.js graph model needs the optional package @tensorflow/tfjs-converter: run \`npm install @tensorflow/tfjs-converter@4.22.0\`, or export the model to ONNX (docs/detector.md)`);
    }
    model = await conv.loadGraphModel(tf.io.fromMemory(artifacts));
  } else {
    const layers = await import("@tensorflow/tfjs-layers");
    try {
      model = (await layers.loadLayersModel(tf.io.fromMemory(artifacts))) as unknown as Predictor;
    } catch (e) {
      throw new Error(`model: ${file}: TensorFlow.js cannot load it as a layers model: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  const shape = model.inputs?.[0]?.shape ?? [];
  const [hDim, wDim] = c.layout === "nchw" ? [shape[2], shape[3]] : [shape[1], shape[2]];
  const inputSize: [number, number] | null = typeof hDim === "number" && typeof wDim === "number" ? [hDim, wDim] : null;
  return {
    inputSize,
    async run(data, side) {
      // always the cpu backend: the same floats in extract's worker processes and in predict
      if (tf.getBackend() !== "cpu") await tf.setBackend("cpu");
      const x = tf.tensor4d(data, c.layout === "nchw" ? [1, 3, side, side] : [1, side, side, 3]);
      const y = model.predict(x);
      const t = Array.isArray(y) ? y[0]! : y;
      const out = { data: Float32Array.from(await t.data()), dims: [...t.shape] };
      x.dispose();
      (Array.isArray(y) ? y : [y]).forEach((v) => v.dispose());
      return out;
    },
    async dispose() {
      model.dispose();
    },
  };
}
