// One clip → its feature matrix. Used by the extract stage (one clip per worker-pool task) and by
// `dfd predict`, so a model always sees features made exactly the way it was trained.
//
// Sampling needs the clip's frame count before decoding (to compute features for the picked frames
// only); ffprobe's count is exact for almost every file. When the decoded count differs (a damaged
// file, or `fps:` resampling, where the count is only estimated), the features already computed
// are reused and only a missing pick triggers a second, exact pass.
import { stat } from "node:fs/promises";
import type { Matrix } from "../lib/npy.js";
import { decodeClip, openClip, type DecodeOptions, type DecodedClip } from "../video/frames.js";
import { ClipError, type ProbeInfo } from "../video/probe.js";
import type { FeatureExtractor } from "./extractor.js";
import { dhash } from "./phash.js";
import type { FeatureRecipe } from "./recipe.js";
import { sampleIndices, spreadIndices } from "./sample.js";

export type { ProbeInfo } from "../video/probe.js";

export interface ClipResult {
  features: Matrix;
  probe: ProbeInfo;
  /** dHash of up to 4 evenly spaced frames. */
  phash: string[];
  /** Frames decoded (after `fps:` resampling). */
  decoded: number;
}

export interface ClipOptions {
  signal?: AbortSignal;
}

/** `extractor` is the one `params.features` names (loadExtractor / recipeExtractor). */
export async function extractClipFeatures(file: string, params: FeatureRecipe, extractor: FeatureExtractor, opts: ClipOptions = {}): Promise<ClipResult> {
  const st = await stat(file).catch(() => null);
  if (!st) throw new ClipError("file not found");
  if (!st.isFile()) throw new ClipError("not a regular file");
  if (st.size === 0) throw new ClipError("empty file (0 bytes)");
  // ffprobe, then ffmpeg already decoding while the probe's facts are checked
  const { info, clip } = await openClip(file, decodeOptions(params, opts.signal));
  try {
    return await extractProbed(file, info, clip, params, extractor, opts);
  } catch (e) {
    await clip.close();
    if (e instanceof ClipError) e.probe = info;
    throw e;
  }
}

function decodeOptions(params: FeatureRecipe, signal: AbortSignal | undefined): DecodeOptions {
  return { fps: params.fps, size: params.size, resize: params.resize, normalizeFormat: params.normalize_format, thumbs: true, signal };
}

async function extractProbed(file: string, info: ProbeInfo, clip: DecodedClip, params: FeatureRecipe, extractor: FeatureExtractor, opts: ClipOptions): Promise<ClipResult> {
  if (info.width && info.height && info.width * info.height > params.max_pixels)
    throw new ClipError(`resolution ${info.width}×${info.height} is above max_pixels (${params.max_pixels}); raise max_pixels to process it`);
  const expected = params.fps ? (info.duration ? Math.round(info.duration * params.fps) : null) : info.source_frames;

  // With fps: resampling the count is an estimate (rounding at the clip's ends), so cover the picks
  // of the counts around it: a few extra feature rows instead of a second decode.
  const spread = params.fps ? 2 : 0;
  const want = expected === null ? null : new Set<number>();
  for (let t = expected === null ? 0 : Math.max(1, expected - spread); want && t <= expected! + spread; t++)
    for (const i of sampleIndices(t, params)) want.add(i);
  const rows = new Map<number, Float32Array>();
  let pass = await decodePass(clip, params, extractor, want, rows);
  let picks = sampleIndices(pass.decoded, params);
  if (picks.some((i) => !rows.has(i))) {
    pass = await decodePass(decodeClip(file, decodeOptions(params, opts.signal)), params, extractor, new Set(picks), rows);
    picks = sampleIndices(pass.decoded, params);
  }
  if (pass.decoded < params.min_frames)
    throw new ClipError(`only ${pass.decoded} frame${pass.decoded === 1 ? "" : "s"} decoded; at least ${params.min_frames} needed (min_frames)`);
  const data = new Float32Array(picks.length * extractor.dims);
  picks.forEach((i, r) => data.set(rows.get(i)!, r * extractor.dims));
  const phash = spreadIndices(pass.thumbs.length, 4).map((i) => dhash(pass.thumbs[i]!));
  return { features: { data, rows: picks.length, cols: extractor.dims }, probe: info, phash, decoded: pass.decoded };
}

/** Decodes the clip once, computing features for the frames in `want` (null = all frames), each
 * against its neighbour (the previous frame; the next one for frame 0). */
async function decodePass(
  clip: DecodedClip,
  params: FeatureRecipe,
  extractor: FeatureExtractor,
  want: Set<number> | null,
  rows: Map<number, Float32Array>,
): Promise<{ decoded: number; thumbs: Uint8Array[] }> {
  const compute = async (index: number, rgb: Uint8Array, neighbour: Uint8Array | undefined) => {
    if (rows.has(index) || (want && !want.has(index))) return;
    const out = extractor.frame(rgb, params.size, params.size, neighbour);
    rows.set(index, checkRow(extractor, out instanceof Float32Array ? out : await out));
  };
  let index = 0;
  let first: Uint8Array | undefined;
  let prev: Uint8Array | undefined;
  for await (const rgb of clip.frames) {
    if (index === 0) first = rgb;
    else {
      if (index === 1) await compute(0, first!, rgb);
      await compute(index, rgb, prev);
    }
    prev = rgb;
    index++;
    // Features are computed synchronously: let the event loop read the pipes between frames, so
    // neither this clip's nor another clip's ffmpeg sits on a full pipe meanwhile.
    await new Promise((r) => setImmediate(r));
  }
  if (index === 1) await compute(0, first!, undefined);
  return { decoded: index, thumbs: clip.thumbs() };
}

/** A frame's features as the extractor promised them: `dims` numbers (a user module may return a
 * plain array; it becomes float32 like the built-ins' rows). */
function checkRow(extractor: FeatureExtractor, out: unknown): Float32Array {
  if (out instanceof Float32Array && out.length === extractor.dims) return out;
  const len = (out as { length?: unknown } | null)?.length;
  if ((Array.isArray(out) || ArrayBuffer.isView(out)) && len === extractor.dims) return Float32Array.from(out as ArrayLike<number>);
  throw new Error(
    `feature extractor ${extractor.name}: frame() returned ${typeof len === "number" ? `${len} values` : out === null ? "null" : typeof out}, expected a Float32Array of dims = ${extractor.dims}`,
  );
}
