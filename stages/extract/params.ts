// The extract stage's parameters: the schema the runner validates `with:` against, and the
// resolved type. These params are saved with every trained model (dfd.json `extract`), and
// predict re-applies them through extractClipFeatures, so a model always sees the same features.
import type { ParamsSpec } from "../../src/params.js";

export interface ExtractParams {
  fps: number | null;
  max_frames: number | null;
  frames: number | null;
  size: number;
  resize: "crop" | "scale" | "stretch";
  normalize_format: boolean;
  features: string;
  min_frames: number;
  max_pixels: number;
  workers: number | null;
  on_error: "skip" | "fail";
}

export const extractParams: ParamsSpec = {
  fps: { type: "number", default: null, nullable: true, min: 0.01, doc: "resample to this frame rate before sampling; null = every decoded frame" },
  max_frames: { type: "number", integer: true, default: 64, nullable: true, min: 1, doc: "at most this many frames per clip, spread uniformly over the clip; null = all" },
  frames: { type: "number", integer: true, default: null, nullable: true, min: 1, doc: "exactly this many frames per clip, spread uniformly (repeated when the clip is shorter): removes frame-count shortcuts; overrides max_frames" },
  size: { type: "number", integer: true, default: 128, min: 64, max: 1024, doc: "analysis frames are size×size pixels (a power of two, at least 64: the 24-bin radial spectrum needs 24 pixel rings)" },
  resize: { type: "string", default: "crop", enum: ["crop", "scale", "stretch"], doc: "crop: centre patch at native resolution (keeps pixel-level traces); scale: short side to size then centre crop; stretch: to size×size" },
  normalize_format: { type: "boolean", default: false, doc: "re-encode every clip through H.264 yuv420p before features (removes GIF-palette vs H.264 cues)" },
  features: { type: "string", default: "forensic-v1", enum: ["forensic-v1", "forensic-v2"], doc: "per-frame feature extractor: forensic-v1 (53 hand-made statistics), forensic-v2 (spectra, residual co-occurrence, warp error: docs/detector.md)" },
  min_frames: { type: "number", integer: true, default: 2, min: 1, doc: "clips with fewer decoded frames are errors" },
  max_pixels: { type: "number", integer: true, default: 7680 * 4320, min: 1, doc: "clips with more pixels per frame (width×height) are errors; default 8K UHD" },
  workers: { type: "number", integer: true, default: null, nullable: true, min: 1, inKey: false, doc: "feature worker threads; null = the run's cores (the output is byte-identical whatever the count, so it is not part of the cache key)" },
  on_error: { type: "string", default: "skip", enum: ["skip", "fail"], doc: "skip: list bad clips in videos.jsonl and the summary and go on; fail: fail the stage with the list" },
};

export const EXTRACT_DEFAULTS: ExtractParams = {
  fps: null,
  max_frames: 64,
  frames: null,
  size: 128,
  resize: "crop",
  normalize_format: false,
  features: "forensic-v1",
  min_frames: 2,
  max_pixels: 7680 * 4320,
  workers: null,
  on_error: "skip",
};

/** Fills missing keys from the defaults (predict gets params from a model's dfd.json, which may
 * predate a param). */
export function withDefaults(p: Partial<ExtractParams>): ExtractParams {
  return { ...EXTRACT_DEFAULTS, ...p };
}
