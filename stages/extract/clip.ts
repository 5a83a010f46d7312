// One clip → its feature matrix. Used by the extract stage (one clip per worker-pool task) and by
// predict, so a model always sees features made exactly the way it was trained.
//
// Sampling needs the clip's frame count before decoding (to compute features for the picked frames
// only); ffprobe's count is exact for almost every file. When the decoded count differs (a damaged
// file, or `fps:` resampling, where the count is only estimated), the features already computed
// are reused and only a missing pick triggers a second, exact pass.
import { stat } from "node:fs/promises";
import type { Matrix } from "../../src/lib/npy.js";
import { decodeClip, openClip, type DecodeOptions, type DecodedClip } from "../../src/video/frames.js";
import { ClipError, type ProbeInfo } from "../../src/video/probe.js";
import { extractorNamed } from "./features/registry.js";
import type { ExtractParams } from "./params.js";
import { dhash } from "./phash.js";
import { sampleIndices, spreadIndices } from "./sample.js";

export type { ProbeInfo } from "../../src/video/probe.js";

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

export async function extractClipFeatures(file: string, params: ExtractParams, opts: ClipOptions = {}): Promise<ClipResult> {
  const extractor = extractorNamed(params.features);
  const st = await stat(file).catch(() => null);
  if (!st) throw new ClipError("file not found");
  if (!st.isFile()) throw new ClipError("not a regular file");
  if (st.size === 0) throw new ClipError("empty file (0 bytes)");
  // ffprobe, then ffmpeg already decoding while the probe's facts are checked
  const { info, clip } = await openClip(file, decodeOptions(params, opts.signal));
  try {
    return await extractProbed(file, info, clip, params, opts);
  } catch (e) {
    await clip.close();
    if (e instanceof ClipError) e.probe = info;
    throw e;
  }
}

function decodeOptions(params: ExtractParams, signal: AbortSignal | undefined): DecodeOptions {
  return { fps: params.fps, size: params.size, resize: params.resize, normalizeFormat: params.normalize_format, thumbs: true, signal };
}

async function extractProbed(file: string, info: ProbeInfo, clip: DecodedClip, params: ExtractParams, opts: ClipOptions): Promise<ClipResult> {
  const extractor = extractorNamed(params.features);
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
  let pass = await decodePass(clip, params, want, rows);
  let picks = sampleIndices(pass.decoded, params);
  if (picks.some((i) => !rows.has(i))) {
    pass = await decodePass(decodeClip(file, decodeOptions(params, opts.signal)), params, new Set(picks), rows);
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
  params: ExtractParams,
  want: Set<number> | null,
  rows: Map<number, Float32Array>,
): Promise<{ decoded: number; thumbs: Uint8Array[] }> {
  const extractor = extractorNamed(params.features);
  const compute = (index: number, rgb: Uint8Array, neighbour: Uint8Array | undefined) => {
    if (rows.has(index) || (want && !want.has(index))) return;
    rows.set(index, extractor.frame(rgb, params.size, params.size, neighbour));
  };
  let index = 0;
  let first: Uint8Array | undefined;
  let prev: Uint8Array | undefined;
  for await (const rgb of clip.frames) {
    if (index === 0) first = rgb;
    else {
      if (index === 1) compute(0, first!, rgb);
      compute(index, rgb, prev);
    }
    prev = rgb;
    index++;
    // Features are computed synchronously: let the event loop read the pipes between frames, so
    // neither this clip's nor another clip's ffmpeg sits on a full pipe meanwhile.
    await new Promise((r) => setImmediate(r));
  }
  if (index === 1) compute(0, first!, undefined);
  return { decoded: index, thumbs: clip.thumbs() };
}
