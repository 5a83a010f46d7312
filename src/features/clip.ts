// One clip → its feature matrix. Used by the extract stage (one clip per worker-pool task) and by
// `dfd predict`, so a model always sees features made exactly the way it was trained.
//
// One ffmpeg per clip decodes it and describes it (src/video/frames.ts openClip). Which frames are
// picked depends on the decoded count, known only at the end: frames are held (at analysis size)
// until the end when the clip fits a small memory budget (almost every clip: one pass, features
// for the picks only). A longer clip switches to picking by the count its header promises
// (duration × frame rate) and keeps going; when the decoded count turns out different, the
// features already computed are reused and only a missing pick triggers a second, exact pass.
import { stat } from "node:fs/promises";
import type { Matrix } from "../lib/npy.js";
import { decodeClip, openClip, type DecodeOptions, type DecodedClip, type OpenedClip, type Reencode } from "../video/frames.js";
import { ClipError, type ProbeInfo } from "../video/probe.js";
import type { FeatureExtractor } from "./extractor.js";
import { dhash } from "./phash.js";
import { formatStep, type FeatureRecipe } from "./recipe.js";
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
  /** A re-encode applied first, before the recipe's format control: a training-time augmentation
   * variant (extract's `augment:`), never part of the recipe predict re-applies. */
  augment?: Reencode;
}

/** The re-encodes before decoding: the augmentation variant, then the recipe's format control. */
function reencodes(params: FeatureRecipe, augment: Reencode | undefined): Reencode[] {
  const steps: Reencode[] = [];
  if (augment) steps.push(augment);
  const f = formatStep(params.format);
  if (f) steps.push(f);
  return steps;
}

/** Frames held in memory per clip while its length is unknown (24 MiB: 512 frames at size 128). */
const HOLD_BYTES = 24 * 2 ** 20;

/** `extractor` is the one `params.features` names (loadExtractor / recipeExtractor). */
export async function extractClipFeatures(file: string, params: FeatureRecipe, extractor: FeatureExtractor, opts: ClipOptions = {}): Promise<ClipResult> {
  const st = await stat(file).catch(() => null);
  if (!st) throw new ClipError("file not found");
  if (!st.isFile()) throw new ClipError("not a regular file");
  if (st.size === 0) throw new ClipError("empty file (0 bytes)");
  const opened = openClip(file, decodeOptions(params, opts));
  let info: ProbeInfo | undefined;
  try {
    const h = await opened.header;
    const bitrate = h.bitrate ?? (h.duration ? Math.round((st.size * 8) / h.duration) : null);
    info = { ...h, bitrate, bytes: st.size, source_frames: null };
    return await extractOpened(file, info, opened, params, extractor, opts);
  } catch (e) {
    await opened.clip.close();
    if (e instanceof ClipError && info) e.probe = info;
    throw e;
  }
}

function decodeOptions(params: FeatureRecipe, opts: ClipOptions): DecodeOptions {
  return {
    fps: params.fps, size: params.size, resize: params.resize, normalizeFormat: params.normalize_format, thumbs: true, signal: opts.signal,
    reencode: reencodes(params, opts.augment),
  };
}

async function extractOpened(file: string, info: ProbeInfo, opened: OpenedClip, params: FeatureRecipe, extractor: FeatureExtractor, opts: ClipOptions): Promise<ClipResult> {
  if (info.width && info.height && info.width * info.height > params.max_pixels)
    throw new ClipError(`resolution ${info.width}×${info.height} is above max_pixels (${params.max_pixels}); raise max_pixels to process it`);
  // the frame rate frames arrive at: fps:, else the last re-encode's, else the clip's own
  const rate = params.fps ?? reencodes(params, opts.augment).reduce<number | null>((r, st) => st.fps ?? r, null) ?? info.fps;
  const promised = rate && info.duration ? Math.round(info.duration * rate) : null;
  const rows = new Map<number, Float32Array>();
  let pass = await firstPass(opened.clip, params, extractor, promised, rows);
  info.source_frames = opened.sourceFrames();
  if (info.duration === null && info.fps && info.source_frames) {
    // no container duration in ffmpeg's text (a GIF, with older builds): frames at the frame rate
    info.duration = Math.round((info.source_frames / info.fps) * 1e4) / 1e4;
    info.bitrate ??= Math.round((info.bytes * 8) / info.duration);
  }
  let picks = sampleIndices(pass.decoded, params);
  if (picks.some((i) => !rows.has(i))) {
    pass = await decodePass(decodeClip(file, decodeOptions(params, opts)), params, extractor, new Set(picks), rows);
    picks = sampleIndices(pass.decoded, params);
  }
  if (pass.decoded < params.min_frames)
    throw new ClipError(`only ${pass.decoded} frame${pass.decoded === 1 ? "" : "s"} decoded; at least ${params.min_frames} needed (min_frames)`);
  const data = new Float32Array(picks.length * extractor.dims);
  picks.forEach((i, r) => data.set(rows.get(i)!, r * extractor.dims));
  const phash = spreadIndices(pass.thumbs.length, 4).map((i) => dhash(pass.thumbs[i]!));
  return { features: { data, rows: picks.length, cols: extractor.dims }, probe: info, phash, decoded: pass.decoded };
}

/** The first decode: holds frames until the end (then computes the picks of the exact count), or,
 * past HOLD_BYTES, computes the picks of the counts around `promised` from then on (none when the
 * header promised nothing: the second pass then has the exact count). */
async function firstPass(
  clip: DecodedClip,
  params: FeatureRecipe,
  extractor: FeatureExtractor,
  promised: number | null,
  rows: Map<number, Float32Array>,
): Promise<{ decoded: number; thumbs: Uint8Array[] }> {
  const compute = featureRows(params, extractor, rows);
  const hold = Math.max(2, Math.floor(HOLD_BYTES / (params.size * params.size * 3)));
  let held: Uint8Array[] | null = [];
  let want: Set<number> | null = null;
  let prev: Uint8Array | undefined;
  let index = 0;
  for await (const rgb of clip.frames) {
    let computed = false;
    if (held) {
      held.push(rgb);
      if (held.length > hold) {
        // Too long to hold: pick by the promised count (the counts around it; at least this many).
        want = new Set();
        if (promised !== null) {
          const lo = Math.max(index + 1, promised - 2);
          for (let t = lo; t <= Math.max(lo, promised + 2); t++) for (const i of sampleIndices(t, params)) want.add(i);
        }
        for (let i = 0; i < held.length; i++) if (want.has(i)) await compute(i, held[i]!, i === 0 ? held[1] : held[i - 1]);
        held = null;
        computed = true;
      }
    } else if (want!.has(index)) {
      await compute(index, rgb, prev);
      computed = true;
    }
    prev = rgb;
    index++;
    // After computing features, let the event loop read the pipes, so neither this clip's nor
    // another clip's ffmpeg sits on a full pipe meanwhile (holding a frame takes no time: the
    // iteration itself waits for ffmpeg when no frame is queued).
    if (computed) await new Promise((r) => setImmediate(r));
  }
  if (held) for (const i of new Set(sampleIndices(index, params))) await compute(i, held[i]!, i === 0 ? held[1] : held[i - 1]);
  return { decoded: index, thumbs: clip.thumbs() };
}

/** Computes (once) the features of frame `index` into `rows`, against its neighbour: the previous
 * frame, the next one for frame 0, none for a one-frame clip. */
function featureRows(params: FeatureRecipe, extractor: FeatureExtractor, rows: Map<number, Float32Array>) {
  return async (index: number, rgb: Uint8Array, neighbour: Uint8Array | undefined): Promise<void> => {
    if (rows.has(index)) return;
    const out = extractor.frame(rgb, params.size, params.size, neighbour);
    rows.set(index, checkRow(extractor, out instanceof Float32Array ? out : await out));
  };
}

/** The second, exact pass: decodes the clip again, computing the frames in `want` not yet in `rows`. */
async function decodePass(
  clip: DecodedClip,
  params: FeatureRecipe,
  extractor: FeatureExtractor,
  want: Set<number>,
  rows: Map<number, Float32Array>,
): Promise<{ decoded: number; thumbs: Uint8Array[] }> {
  const row = featureRows(params, extractor, rows);
  let computed = false;
  const compute = async (index: number, rgb: Uint8Array, neighbour: Uint8Array | undefined) => {
    if (!want.has(index)) return;
    await row(index, rgb, neighbour);
    computed = true;
  };
  let index = 0;
  let first: Uint8Array | undefined;
  let prev: Uint8Array | undefined;
  for await (const rgb of clip.frames) {
    computed = false;
    if (index === 0) first = rgb;
    else {
      if (index === 1) await compute(0, first!, rgb);
      await compute(index, rgb, prev);
    }
    prev = rgb;
    index++;
    // as in firstPass: after computing features, let the event loop read the pipes
    if (computed) await new Promise((r) => setImmediate(r));
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
