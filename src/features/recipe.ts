// The feature recipe: how a clip becomes a feature matrix (frame rate, sampling, analysis size,
// resizing, the extractor...). The extract stage's params are this recipe plus how the stage runs
// (workers, on_error: stages/extract/params.ts). extract.json records the recipe, train saves it
// with every model (dfd.json `extract`), and predict re-applies it through extractClipFeatures, so
// a model always sees features made exactly the way it was trained.
import { existsSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import type { Json, ParamsSpec } from "../params.js";
import type { Reencode } from "../video/frames.js";
import type { FeatureExtractor } from "./extractor.js";
import { checkExtractorRef, ENCODER, extractorNames, isModuleRef, loadExtractor, moduleHash, pathHash } from "./registry.js";

export interface FeatureRecipe {
  fps: number | null;
  max_frames: number | null;
  frames: number | null;
  size: number;
  resize: "crop" | "scale" | "stretch";
  normalize_format: boolean;
  /** A built-in extractor's name, or a module path relative to pipeline.yaml. */
  features: string;
  min_frames: number;
  max_pixels: number;
  /** Re-encode every clip to one format first (format control); off while `crf` is null. */
  format: FormatControl;
  /** The model file or directory of `features: encoder` (absolute once resolved). */
  model: string | null;
}

/** One H.264 format every clip is re-encoded to before anything else, as evaluation sets are
 * format-controlled (docs/detector.md): CRF, frame rate, short side scaled and centre-cropped. */
export interface FormatControl {
  crf: number | null;
  fps: number | null;
  size: number | null;
}

/** The Reencode step a format control asks for, or null when it is off. */
export function formatStep(f: FormatControl | undefined): Reencode | null {
  return f && f.crf !== null ? { crf: f.crf, fps: f.fps, size: f.size } : null;
}

/** A module extractor as recorded with the recipe (extract.json, a model's dfd.json): its path
 * relative to the project (pipeline.yaml's folder, POSIX separators) and the file's sha256. */
export interface FeatureModuleRecord {
  path: string;
  sha256: string;
}

/** The recipe as recorded: `feature_module` is present when `features` is a module path,
 * `feature_model` when an encoder reads a model file (its path relative to the project and the
 * sha256 of its files). `format` and `model` are left out while unset. */
export type RecordedRecipe = FeatureRecipe & { feature_module?: FeatureModuleRecord; feature_model?: FeatureModuleRecord };

export const recipeParams = {
  fps: { type: "number", default: null, nullable: true, min: 0.01, doc: "resample to this frame rate before sampling; null = every decoded frame" },
  max_frames: { type: "number", integer: true, default: 64, nullable: true, min: 1, doc: "at most this many frames per clip, spread uniformly over the clip; null = all" },
  frames: { type: "number", integer: true, default: null, nullable: true, min: 1, doc: "exactly this many frames per clip, spread uniformly (repeated when the clip is shorter): removes frame-count shortcuts; overrides max_frames" },
  size: { type: "number", integer: true, default: 128, min: 64, max: 1024, doc: "analysis frames are size×size pixels (forensic-v1: a power of two, at least 64: the 24-bin radial spectrum needs 24 pixel rings)" },
  resize: { type: "string", default: "crop", enum: ["crop", "scale", "stretch"], doc: "crop: centre patch at native resolution (keeps pixel-level traces); scale: short side to size then centre crop; stretch: to size×size" },
  normalize_format: { type: "boolean", default: false, doc: "re-encode every clip through H.264 yuv420p before features (removes GIF-palette vs H.264 cues)" },
  features: {
    type: "string", default: "forensic-v1", names: extractorNames, module: true, check: checkExtractorRef,
    doc: "per-frame feature extractor: a built-in name, or a module path relative to pipeline.yaml (./my-extractor.js) whose default export is a FeatureExtractor (docs/data.md)",
  },
  min_frames: { type: "number", integer: true, default: 2, min: 1, doc: "clips with fewer decoded frames are errors" },
  max_pixels: { type: "number", integer: true, default: 7680 * 4320, min: 1, doc: "clips with more pixels per frame (width×height) are errors; default 8K UHD" },
  format: {
    type: "object",
    doc: "format control: re-encode every clip through H.264 at one CRF, frame rate and square size before anything else, as evaluation sets are made (docs/detector.md); off while crf is null",
    properties: {
      crf: { type: "number", min: 0, max: 51, nullable: true, default: null, doc: "x264 constant rate factor (e.g. 20); null = no format control" },
      fps: { type: "number", min: 0.01, nullable: true, default: null, doc: "frame rate of the re-encoded clip; null = keep" },
      size: { type: "number", integer: true, min: 16, max: 4096, nullable: true, default: null, doc: "short side scaled to this, then the centre size×size cropped; null = keep the frame" },
    },
  },
  model: {
    type: "path", nullable: true, default: null,
    doc: "the image encoder `features: encoder` runs: an .onnx file, or a directory holding model.onnx or a TensorFlow.js model.json (and optionally dfd-encoder.json); docs/detector.md",
  },
} as const satisfies ParamsSpec;

/** The defaults of a params spec (for params that have one). */
export function specDefaults<P>(spec: ParamsSpec): P {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(spec)) if ("default" in s) out[k] = s.default ?? null;
  return out as P;
}

export const RECIPE_DEFAULTS: FeatureRecipe = specDefaults<FeatureRecipe>(recipeParams);

/** Fills missing keys from the defaults (a model's dfd.json may predate a param). */
export function withDefaults<P extends Partial<RecordedRecipe>>(p: P): RecordedRecipe & P {
  return { ...RECIPE_DEFAULTS, ...p };
}

/** The params to record in extract.json: as given, and for a module extractor `features` as a
 * path relative to the project plus `feature_module` { path, sha256 }. Built-in names are
 * recorded unchanged (same bytes as before module extractors existed). */
export function recordRecipe<P extends FeatureRecipe>(params: P, projectDir: string): Omit<P, "format" | "model"> & Partial<Pick<RecordedRecipe, "format" | "model" | "feature_module" | "feature_model">> {
  const { format, model, ...rest } = params;
  const out: Omit<P, "format" | "model"> & Partial<Pick<RecordedRecipe, "format" | "model" | "feature_module" | "feature_model">> = { ...rest };
  if (format && format.crf !== null) out.format = format;
  if (model) {
    const path = projectPath(projectDir, model);
    out.model = path;
    out.feature_model = { path, sha256: pathHash(resolve(projectDir, model)) };
  }
  if (!isModuleRef(params.features)) return out;
  const path = projectPath(projectDir, params.features);
  return { ...out, features: path, feature_module: { path, sha256: moduleHash(resolve(projectDir, params.features)) } };
}

/** `target` relative to the project, POSIX separators, starting with ./ or ../. */
function projectPath(projectDir: string, target: string): string {
  const rel = relative(projectDir, resolve(projectDir, target)).split(sep).join("/");
  return rel.startsWith("../") || rel === ".." ? rel : `./${rel}`;
}

/** The extractor a recorded recipe names, checked against the record: for a module, the file is
 * looked for under each of `projectDirs` in turn (the project the model was trained in, the
 * current folder...) and must have the recorded sha256, else the error says what changed. */
export async function recipeExtractor(recipe: RecordedRecipe, projectDirs: readonly string[], what = "the model"): Promise<FeatureExtractor> {
  if (recipe.features === ENCODER) {
    const rec = recipe.feature_model;
    const tried = [...new Set(projectDirs.map((d) => resolve(d, rec?.path ?? recipe.model ?? "")))];
    const file = tried.find((f) => existsSync(f));
    if (!file) throw new Error(`${what} was trained on features from the encoder model ${rec?.path ?? recipe.model}, which is not there (looked for ${tried.join(", ")}): run dfd predict inside that project (or restore the model)`);
    if (rec?.sha256 && pathHash(file) !== rec.sha256)
      throw new Error(`${what} was trained on features from the encoder model ${file} as it was then (sha256 ${rec.sha256.slice(0, 12)}…), and it has changed since: the features would differ from training. Restore it, or re-run the pipeline`);
    return loadExtractor(ENCODER, "/", file);
  }
  if (!isModuleRef(recipe.features)) return loadExtractor(recipe.features, projectDirs[0] ?? process.cwd());
  const rec = recipe.feature_module;
  const tried = [...new Set(projectDirs.map((d) => resolve(d, rec?.path ?? recipe.features)))];
  const file = tried.find((f) => existsSync(f));
  if (!file)
    throw new Error(`${what} was trained on features from the module ${recipe.features}, which is not there (looked for ${tried.join(", ")}): run dfd predict inside that project (or restore the file)`);
  if (rec?.sha256) {
    const now = moduleHash(file);
    if (now !== rec.sha256)
      throw new Error(
        `${what} was trained on features from ${file} as it was then (sha256 ${rec.sha256.slice(0, 12)}…), and the file has changed since (now ${now.slice(0, 12)}…): ` +
          `the features would differ from training. Restore the file, or re-run the pipeline (dfd run) to retrain on the new extractor`,
      );
  }
  return loadExtractor(file, "/");
}

/** A recorded recipe read from JSON (dfd.json `extract`, extract.json `params`). */
export function asRecipe(x: Record<string, Json>): RecordedRecipe {
  return withDefaults(x as unknown as Partial<RecordedRecipe>);
}
