// The metadata attributes diagnose looks at, and how each is read from a clip. All come from the
// SOURCE clip's container (what ffprobe says), except `frames`, which is the extracted sequence
// length: the one attribute the model sees directly.
import type { VideoRecord } from "../../src/artifacts/features.js";

export interface NumericAttribute {
  name: string;
  kind: "numeric";
  doc: string;
  get(v: VideoRecord): number | null;
  /** Heavy-tailed (sizes, rates): the metadata classifier uses log1p of it. */
  log?: boolean;
}
export interface CategoricalAttribute {
  name: string;
  kind: "categorical";
  doc: string;
  get(v: VideoRecord): string | null;
}
export type Attribute = NumericAttribute | CategoricalAttribute;

const ratio = (v: VideoRecord): number | null =>
  v.width && v.height ? Math.round((v.width / v.height) * 1000) / 1000 : null;

/** Source-clip metadata: the candidates for a shortcut. */
export const SOURCE_ATTRIBUTES: readonly Attribute[] = [
  { name: "source_frames", kind: "numeric", doc: "frames in the source clip", get: (v) => v.source_frames, log: true },
  { name: "fps", kind: "numeric", doc: "frame rate", get: (v) => v.fps },
  { name: "duration", kind: "numeric", doc: "duration (s)", get: (v) => v.duration, log: true },
  { name: "width", kind: "numeric", doc: "width (px)", get: (v) => v.width },
  { name: "height", kind: "numeric", doc: "height (px)", get: (v) => v.height },
  { name: "aspect", kind: "numeric", doc: "aspect ratio (width / height)", get: ratio },
  { name: "resolution", kind: "categorical", doc: "width×height", get: (v) => (v.width && v.height ? `${v.width}x${v.height}` : null) },
  { name: "codec", kind: "categorical", doc: "video codec", get: (v) => v.codec },
  { name: "pix_fmt", kind: "categorical", doc: "pixel format", get: (v) => v.pix_fmt },
  { name: "format", kind: "categorical", doc: "container format", get: (v) => v.format },
  { name: "bytes", kind: "numeric", doc: "file size (bytes)", get: (v) => v.bytes, log: true },
  { name: "bitrate", kind: "numeric", doc: "bitrate (bit/s)", get: (v) => v.bitrate, log: true },
];

/** The extracted sequence length: not metadata of the source, but the model reads it. */
export const SEQUENCE_LENGTH: NumericAttribute = {
  name: "frames",
  kind: "numeric",
  doc: "extracted frames (feature rows the model sees)",
  get: (v) => v.frames,
};

/** Everything per-class statistics are reported for. */
export const STAT_ATTRIBUTES: readonly Attribute[] = [SEQUENCE_LENGTH, ...SOURCE_ATTRIBUTES];
