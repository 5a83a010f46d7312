// The `model` artifact: a trained detector, as the train stage writes it and evaluate, `dfd
// predict`, a cross-validation stage or a user's script read it. One writer, one reader, one set
// of checks; no TensorFlow.js here (weights travel as named Float32Arrays).
//
//   <dir>/model/dfd.json       ModelMeta: kind, threshold, feature_dims, extract params, backend,
//                              train params; transformer: seq_len, normalization, architecture
//   <dir>/model/model.json     transformer: TensorFlow.js weights manifest (format "dfd-detector")
//   <dir>/model/weights.bin    transformer: float32 weights in manifest order
//   <dir>/model/linear.json    linear: LinearWeights (statistics, standardisation, coefficients)
//   <dir>/history.json         TrainHistory: what training did, deterministic (no timings)
//
// Nothing in these files depends on the wall clock or the host: the same data, params, seed and
// backend give the same bytes, so a re-train leaves every downstream stage cached.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ModelConfig } from "../model/config.js";
import type { LinearWeights } from "../model/linear.js";
import type { Json } from "../params.js";
import { findInput, type Finding, type StageContext } from "../stage.js";
import { readJsonFile } from "./json.js";

export const MODEL_DIR = "model";
export const META_FILE = "dfd.json";
export const MANIFEST_FILE = "model.json";
export const WEIGHTS_FILE = "weights.bin";
export const LINEAR_FILE = "linear.json";
export const HISTORY_FILE = "history.json";
export const MODEL_FORMAT = "dfd-detector";

/** The one needed stage whose output holds a model (model/dfd.json), whatever its kind. */
export function modelInput(ctx: Pick<StageContext<unknown>, "name" | "inputs">): string {
  return findInput(ctx, { artifact: "model", marker: join(MODEL_DIR, META_FILE) });
}

interface MetaBase {
  /** Absent in models written before the linear probe existed: transformer. */
  kind: "transformer" | "linear";
  threshold: number;
  /** How the threshold was chosen: "val-f1", "default-small-val", "default-no-val". */
  threshold_source?: string;
  feature_dims: number;
  /** extract.json's params: predict re-extracts new clips with exactly these (null: features
   * came from a producer that did not say). */
  extract: Record<string, Json> | null;
  /** What trained the model: a TensorFlow.js backend, or "js" (the linear probe). */
  backend: string;
  /** The train stage's resolved params. */
  params: Record<string, Json>;
}
export interface TransformerMeta extends MetaBase {
  kind: "transformer";
  seq_len: number;
  normalization: { mean: number[]; std: number[] };
  model: ModelConfig;
}
export interface LinearMeta extends MetaBase {
  kind: "linear";
  /** The probe reads whole clips: no window. */
  seq_len: null;
}
export type ModelMeta = TransformerMeta | LinearMeta;

/** One named float32 tensor. */
export interface NamedWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The model dir given a train output dir (holding model/) or the model dir itself, or an error
 * naming both places looked at. */
export function resolveModelDir(dir: string): string {
  if (existsSync(join(dir, MODEL_DIR, META_FILE))) return join(dir, MODEL_DIR);
  if (existsSync(join(dir, META_FILE))) return dir;
  if (!existsSync(dir)) throw new Error(`${dir}: no such directory (give a train stage's output: \`dfd path train\`)`);
  throw new Error(`${dir}: not a dfd model: neither ${join(dir, MODEL_DIR, META_FILE)} nor ${join(dir, META_FILE)} exists (give a train stage's output: \`dfd path train\`)`);
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value, null, 1) + "\n");
}

/** Writes a transformer model dir (model.json + weights.bin + dfd.json). */
export function writeTransformerModel(dir: string, weights: readonly NamedWeight[], meta: TransformerMeta): void {
  mkdirSync(dir, { recursive: true });
  const parts: Buffer[] = [];
  for (const w of weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    if (w.data.length !== n) throw new Error(`model: weight "${w.name}" has ${w.data.length} values, shape [${w.shape}] needs ${n}`);
    parts.push(Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength));
  }
  writeFileSync(join(dir, WEIGHTS_FILE), Buffer.concat(parts));
  writeJson(join(dir, MANIFEST_FILE), {
    format: MODEL_FORMAT,
    generatedBy: "dfd",
    convertedBy: null,
    modelTopology: { class_name: "DfdTransformerDetector", config: meta.model },
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: "float32" })) }],
  });
  writeJson(join(dir, META_FILE), meta);
}

/** Writes a linear-probe model dir (linear.json + dfd.json). */
export function writeLinearModel(dir: string, weights: LinearWeights, meta: LinearMeta): void {
  mkdirSync(dir, { recursive: true });
  writeJson(join(dir, LINEAR_FILE), weights);
  writeJson(join(dir, META_FILE), meta);
}

/** dfd.json of a model dir (or a train output dir), checked. */
export function readModelMeta(dirIn: string): { dir: string; meta: ModelMeta } {
  const dir = resolveModelDir(dirIn);
  const file = join(dir, META_FILE);
  const raw = readJsonFile<Record<string, unknown>>(file, "the model's metadata, written by the train stage");
  const bad = (msg: string): never => {
    throw new Error(`${file}: ${msg}`);
  };
  const kind = raw.kind ?? "transformer";
  if (kind !== "transformer" && kind !== "linear") bad(`"kind" is ${JSON.stringify(kind)}: expected "transformer" or "linear"`);
  if (typeof raw.threshold !== "number" || !Number.isFinite(raw.threshold)) bad(`needs a numeric "threshold"`);
  if (typeof raw.feature_dims !== "number" || !Number.isInteger(raw.feature_dims) || raw.feature_dims < 1) bad(`needs "feature_dims", a positive integer`);
  if (kind === "transformer") {
    const n = raw.normalization as { mean?: unknown; std?: unknown } | undefined;
    if (!n || !Array.isArray(n.mean) || !Array.isArray(n.std) || n.mean.length !== raw.feature_dims || n.std.length !== raw.feature_dims)
      bad(`needs "normalization" {mean, std} with ${raw.feature_dims} values each`);
    if (typeof raw.seq_len !== "number") bad(`needs "seq_len"`);
  }
  const meta = { ...raw, kind, extract: raw.extract ?? null, params: raw.params ?? {}, backend: typeof raw.backend === "string" ? raw.backend : "unknown" } as ModelMeta;
  if (meta.kind === "transformer" && !meta.model) {
    // older dirs: the architecture lives only in model.json's topology
    const manifest = readJsonFile<{ modelTopology?: { config?: ModelConfig } }>(join(dir, MANIFEST_FILE), "the model's weights manifest");
    if (!manifest.modelTopology?.config) throw new Error(`${join(dir, MANIFEST_FILE)}: no modelTopology.config`);
    meta.model = manifest.modelTopology.config;
  }
  return { dir, meta };
}

/** A transformer's named weights from model.json + weights.bin, sizes checked. */
export function readTransformerWeights(dir: string): { config: ModelConfig; weights: NamedWeight[] } {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) throw new Error(`${file}: missing (a transformer model's weights manifest, written by the train stage beside dfd.json)`);
  const m = readJsonFile<{ format?: string; modelTopology?: { config?: ModelConfig }; weightsManifest?: { paths: string[]; weights: { name: string; shape: number[]; dtype?: string }[] }[] }>(file, "the model's weights manifest");
  if (m.format !== MODEL_FORMAT) throw new Error(`${file}: format is ${JSON.stringify(m.format)}, expected "${MODEL_FORMAT}"`);
  const config = m.modelTopology?.config;
  if (!config) throw new Error(`${file}: no modelTopology.config`);
  const weights: NamedWeight[] = [];
  for (const group of m.weightsManifest ?? []) {
    const buf = Buffer.concat(group.paths.map((p) => {
      const f = join(dir, p);
      if (!existsSync(f)) throw new Error(`${f}: missing (listed in ${file})`);
      return readFileSync(f);
    }));
    let at = 0;
    const expected = group.weights.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    if (buf.length !== expected) throw new Error(`${join(dir, group.paths[0] ?? "")}: ${buf.length} bytes, the manifest needs ${expected}`);
    for (const w of group.weights) {
      if ((w.dtype ?? "float32") !== "float32") throw new Error(`${file}: weight "${w.name}" is ${w.dtype}, only float32 is supported`);
      const n = w.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      new Uint8Array(data.buffer).set(buf.subarray(at, at + 4 * n));
      at += 4 * n;
      weights.push({ name: w.name, shape: w.shape, data });
    }
  }
  return { config, weights };
}

/** A linear probe's linear.json, checked against dfd.json's feature width. */
export function readLinearWeights(dir: string, featureDims: number): LinearWeights {
  const file = join(dir, LINEAR_FILE);
  const w = readJsonFile<LinearWeights>(file, "a linear model's weights, written by the train stage beside dfd.json");
  const p = Array.isArray(w.stats) ? w.stats.length * featureDims : -1;
  if (w.feature_dims !== featureDims) throw new Error(`${file}: feature_dims ${w.feature_dims}, dfd.json says ${featureDims}`);
  for (const k of ["mean", "std", "coef"] as const)
    if (!Array.isArray(w[k]) || w[k].length !== p || w[k].some((v) => typeof v !== "number" || !Number.isFinite(v)))
      throw new Error(`${file}: "${k}" must hold ${p} finite numbers (${w.stats?.length ?? 0} statistics × ${featureDims} features)`);
  if (typeof w.intercept !== "number" || !Number.isFinite(w.intercept)) throw new Error(`${file}: "intercept" must be a finite number`);
  if (w.std.some((v) => v <= 0)) throw new Error(`${file}: "std" values must be positive`);
  return w;
}

// ---------------------------------------------------------------------------------------------
// history.json

export interface EpochRow {
  epoch: number;
  train_loss: number;
  val_loss: number | null;
  val_auc: number | null;
  /** Mean global gradient norm before clipping. */
  grad_norm: number;
}

/** What training did. Deterministic: timings go to the run record (the stage summary's facts). */
export interface TrainHistory {
  model: "transformer" | "linear";
  /** What trained it: a TensorFlow.js backend, or "js". */
  backend: string;
  /** Data-parallel threads (transformer on wasm/cpu). */
  threads?: number;
  /** Transformer: one row per epoch; linear: []. */
  epochs: EpochRow[];
  /** 1-based epoch whose weights were kept; null for the linear probe. */
  best_epoch: number | null;
  stopped_early: boolean;
  steps?: number;
  /** Linear probe: each λ fitted, the one kept, and how it was chosen. */
  linear?: { l2: number; l2_source: string; features: number; train_loss: number; fits: { l2: number; val_loss: number | null; val_auc: number | null; iterations: number; converged: boolean }[] };
  threshold: number;
  threshold_source: string;
  train_clips: number;
  val_clips: number;
  val_real: number;
  val_fake: number;
  /** Sanity findings about the run (src/model/threshold.ts). */
  findings: Finding[];
}

export function writeHistory(trainDir: string, h: TrainHistory): void {
  writeJson(join(trainDir, HISTORY_FILE), h);
}

/** history.json as readers may rely on it, tolerant of older files (per-epoch rows under `epochs`
 * or `history`, `loss` for `train_loss`, `chosen_epoch` for `best_epoch`); null when absent. */
export function readHistory(trainDir: string): TrainHistory | null {
  const file = join(trainDir, HISTORY_FILE);
  if (!existsSync(file)) return null;
  const h = readJsonFile<Record<string, unknown>>(file, "the train stage's training history");
  const rows = (Array.isArray(h.epochs) ? h.epochs : Array.isArray(h.history) ? h.history : []) as Record<string, unknown>[];
  const n = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    model: h.model === "linear" ? "linear" : "transformer",
    backend: typeof h.backend === "string" ? h.backend : "unknown",
    ...(n(h.threads) !== null ? { threads: n(h.threads)! } : {}),
    epochs: rows.map((r, i) => ({ epoch: n(r.epoch) ?? i + 1, train_loss: n(r.train_loss) ?? n(r.loss) ?? Number.NaN, val_loss: n(r.val_loss), val_auc: n(r.val_auc), grad_norm: n(r.grad_norm) ?? Number.NaN })),
    best_epoch: n(h.best_epoch) ?? n(h.chosen_epoch),
    stopped_early: h.stopped_early === true,
    ...(n(h.steps) !== null ? { steps: n(h.steps)! } : {}),
    ...(h.linear && typeof h.linear === "object" ? { linear: h.linear as TrainHistory["linear"] } : {}),
    threshold: n(h.threshold) ?? Number.NaN,
    threshold_source: typeof h.threshold_source === "string" ? h.threshold_source : "unknown",
    train_clips: n(h.train_clips) ?? 0,
    val_clips: n(h.val_clips) ?? 0,
    val_real: n(h.val_real) ?? 0,
    val_fake: n(h.val_fake) ?? 0,
    findings: Array.isArray(h.findings) ? (h.findings as Finding[]) : [],
  };
}
