// The interface a per-frame feature extractor implements. The default is hand-made forensic
// statistics (forensic.ts); a learned encoder (an ONNX / TensorFlow.js image model loaded from a
// local path) can be added behind the same interface and registered in registry.ts.
export interface FeatureExtractor {
  /** Recorded in extract.json `feature.name`; part of what a trained model expects. */
  readonly name: string;
  readonly dims: number;
  /** One name per dimension, e.g. "spec_03", "lap_std_r". */
  readonly names: readonly string[];
  /** Features of one frame. `rgb` is w×h×3 bytes (rgb24, row-major); `prev` is the frame decoded
   * just before it (or after it, for the first frame), undefined for a one-frame clip. Must be
   * deterministic: the same bytes in give the same floats out. */
  frame(rgb: Uint8Array, w: number, h: number, prev?: Uint8Array): Float32Array;
}
