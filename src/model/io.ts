// Saving and loading a model directory:
//   model.json   TensorFlow.js weights manifest ({format: "dfd-detector", modelTopology: {class_name,
//                config}, weightsManifest: [{paths, weights}]}) — tf.io.loadWeights reads it in a
//                browser; the topology is the ModelConfig that src/model/transformer.ts rebuilds.
//   weights.bin  the float32 weights, in manifest order.
//   dfd.json     what scoring needs besides weights: threshold, seq_len, normalisation, the extract
//                params the features were made with, backend, train params.
import * as tf from "@tensorflow/tfjs-core";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Json } from "../params.js";
import type { Normalization } from "./batches.js";
import { validateConfig, type ModelConfig } from "./config.js";
import { weightSpecs, type Weights } from "./weights.js";

export const MODEL_FORMAT = "dfd-detector";

/** model/dfd.json (the pinned contract, plus `model`: the architecture). */
export interface DfdMeta {
  threshold: number;
  seq_len: number;
  feature_dims: number;
  normalization: Normalization;
  /** extract.json's params: predict re-extracts new clips with exactly these. */
  extract: Record<string, Json> | null;
  /** The backend that trained the model. */
  backend: string;
  /** The train stage's resolved params. */
  params: Record<string, Json>;
  model: ModelConfig;
}

export async function saveModel(dir: string, weights: Weights | Map<string, tf.Tensor>, meta: DfdMeta): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const named = weightSpecs(meta.model).map((s) => {
    const tensor = weights.get(s.name);
    if (!tensor) throw new Error(`saveModel: missing weight "${s.name}"`);
    return { name: s.name, tensor };
  });
  const { data, specs } = await tf.io.encodeWeights(named);
  const bytes = Array.isArray(data) ? Buffer.concat(data.map((d) => Buffer.from(d))) : Buffer.from(data);
  writeFileSync(join(dir, "weights.bin"), bytes);
  const modelJson = {
    format: MODEL_FORMAT,
    generatedBy: "dfd",
    convertedBy: null,
    modelTopology: { class_name: "DfdTransformerDetector", config: meta.model },
    weightsManifest: [{ paths: ["weights.bin"], weights: specs }],
  };
  writeFileSync(join(dir, "model.json"), JSON.stringify(modelJson, null, 1) + "\n");
  writeFileSync(join(dir, "dfd.json"), JSON.stringify(meta, null, 1) + "\n");
}

export interface LoadedModel {
  meta: DfdMeta;
  config: ModelConfig;
  /** Weight tensors by name (the caller owns and disposes them). */
  tensors: Map<string, tf.Tensor>;
}

/** Reads a model directory; accepts the train stage's output dir too (uses its model/). */
export function resolveModelDir(dir: string): string {
  if (!existsSync(join(dir, "model.json")) && existsSync(join(dir, "model", "model.json"))) return join(dir, "model");
  return dir;
}

export function loadModelFiles(dirIn: string): LoadedModel {
  const dir = resolveModelDir(dirIn);
  const modelFile = join(dir, "model.json");
  const metaFile = join(dir, "dfd.json");
  if (!existsSync(modelFile)) throw new Error(`${modelFile}: missing — is ${dirIn} a train output (\`dfd path train\`) or its model/ folder?`);
  if (!existsSync(metaFile)) throw new Error(`${metaFile}: missing (written by the train stage beside model.json)`);
  const modelJson = parseJson(modelFile) as {
    format?: string;
    modelTopology?: { config?: ModelConfig };
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  if (modelJson.format !== MODEL_FORMAT)
    throw new Error(`${modelFile}: format is ${JSON.stringify(modelJson.format)}, expected "${MODEL_FORMAT}"`);
  const config = modelJson.modelTopology?.config;
  if (!config) throw new Error(`${modelFile}: no modelTopology.config`);
  try {
    validateConfig(config);
  } catch (e) {
    throw new Error(`${modelFile}: ${(e as Error).message}`);
  }
  const meta = parseJson(metaFile) as DfdMeta;
  if (!meta.normalization || !Array.isArray(meta.normalization.mean) || typeof meta.threshold !== "number")
    throw new Error(`${metaFile}: needs "threshold" and "normalization" {mean, std}`);
  meta.model ??= config;
  const tensors = new Map<string, tf.Tensor>();
  for (const group of modelJson.weightsManifest ?? []) {
    const buf = Buffer.concat(group.paths.map((p) => {
      const f = join(dir, p);
      if (!existsSync(f)) throw new Error(`${f}: missing (listed in ${modelFile})`);
      return readFileSync(f);
    }));
    const expected = group.weights.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    if (buf.length !== expected) throw new Error(`${join(dir, group.paths[0] ?? "")}: ${buf.length} bytes, the manifest needs ${expected}`);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const decoded = tf.io.decodeWeights(ab, group.weights);
    for (const [name, t] of Object.entries(decoded)) tensors.set(name, t);
  }
  return { meta, config, tensors };
}

function parseJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not valid JSON: ${(e as Error).message}`);
  }
}
