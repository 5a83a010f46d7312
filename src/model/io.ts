// A transformer's weights between tfjs variables and the model artifact (src/artifacts/model.ts,
// which owns the files and their checks): in weightSpecs order, float32.
import * as tf from "@tensorflow/tfjs-core";
import { readModelMeta, readTransformerWeights, writeTransformerModel, type TransformerMeta } from "../artifacts/model.js";
import { validateConfig, type ModelConfig } from "./config.js";
import { weightSpecs, type Weights } from "./weights.js";

export { MODEL_FORMAT } from "../artifacts/model.js";
/** model/dfd.json of a transformer. */
export type DfdMeta = TransformerMeta;

export async function saveModel(dir: string, weights: Weights | Map<string, tf.Tensor>, meta: Omit<TransformerMeta, "kind"> & { kind?: "transformer" }): Promise<void> {
  const named = weightSpecs(meta.model).map((s) => {
    const tensor = weights.get(s.name);
    if (!tensor) throw new Error(`saveModel: missing weight "${s.name}"`);
    return { name: s.name, shape: s.shape, data: tensor.dataSync() as Float32Array };
  });
  writeTransformerModel(dir, named, { ...meta, kind: "transformer" });
}

export interface LoadedModel {
  meta: TransformerMeta;
  config: ModelConfig;
  /** Weight tensors by name (the caller owns and disposes them). */
  tensors: Map<string, tf.Tensor>;
}

/** Reads a transformer model dir (or the train output dir holding it) into tensors. */
export function loadModelFiles(dirIn: string): LoadedModel {
  const { dir, meta } = readModelMeta(dirIn);
  if (meta.kind !== "transformer") throw new Error(`${dir}: a ${meta.kind} model, not a transformer`);
  const { config, weights } = readTransformerWeights(dir);
  try {
    validateConfig(config);
  } catch (e) {
    throw new Error(`${dir}/model.json: ${(e as Error).message}`);
  }
  const tensors = new Map<string, tf.Tensor>();
  for (const w of weights) tensors.set(w.name, tf.tensor(w.data, w.shape, "float32"));
  return { meta, config, tensors };
}
