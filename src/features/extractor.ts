// The interface a per-frame feature extractor implements. The built-in one is hand-made forensic
// statistics (forensic.ts, "forensic-v1"); a user's extractor is a module whose default export
// implements this interface, named by path in pipeline.yaml (`features: ./my-extractor.js`), see
// registry.ts and docs/data.md "Your own feature extractor".
export interface FeatureExtractor {
  /** Recorded in extract.json `feature.name`; part of what a trained model expects. */
  readonly name: string;
  /** Width of the feature vector `frame` returns. */
  readonly dims: number;
  /** One name per dimension, e.g. "spec_03", "lap_std_r". */
  readonly names: readonly string[];
  /** Features of one frame. `rgb` is w×h×3 bytes (rgb24, row-major); `prev` is the frame decoded
   * just before it (or after it, for the first frame), undefined for a one-frame clip. Must be
   * deterministic: the same bytes in give the same floats out. May return a Promise (a model
   * behind an async runtime). */
  frame(rgb: Uint8Array, w: number, h: number, prev?: Uint8Array): Float32Array | Promise<Float32Array>;
  /** Optional: why this extractor cannot work on size×size frames (forensic-v1 needs a power of
   * two), checked before any clip is decoded. */
  sizeError?(size: number): string | undefined;
}

/** An extractor whose `frame` returns the row itself (the built-ins). */
export interface SyncFeatureExtractor extends FeatureExtractor {
  frame(rgb: Uint8Array, w: number, h: number, prev?: Uint8Array): Float32Array;
}

/** What is wrong with `x` as a FeatureExtractor (for a user module's default export), or
 * undefined when it has the right shape. */
export function extractorShapeError(x: unknown): string | undefined {
  if (x === null || typeof x !== "object") return `its default export is ${x === null ? "null" : typeof x}, not a feature extractor object { name, dims, names, frame() }`;
  const e = x as Partial<Record<keyof FeatureExtractor, unknown>>;
  const problems: string[] = [];
  if (typeof e.name !== "string" || !e.name) problems.push("`name` must be a non-empty string");
  if (typeof e.dims !== "number" || !Number.isInteger(e.dims) || e.dims < 1) problems.push(`\`dims\` must be a whole number ≥ 1 (got ${JSON.stringify(e.dims ?? null)})`);
  if (!Array.isArray(e.names) || !e.names.every((n) => typeof n === "string")) problems.push("`names` must be an array of strings");
  else if (typeof e.dims === "number" && e.names.length !== e.dims) problems.push(`\`names\` has ${e.names.length} entries, \`dims\` is ${e.dims}`);
  if (typeof e.frame !== "function") problems.push("`frame(rgb, w, h, prev)` must be a function");
  if (e.sizeError !== undefined && typeof e.sizeError !== "function") problems.push("`sizeError`, when given, must be a function");
  return problems.length ? `its default export is not a feature extractor: ${problems.join("; ")}` : undefined;
}
