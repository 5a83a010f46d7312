// The remedies findings point to, in one place: the param names are the extract and split
// stages' own, so when one is renamed only this file changes.
export const ADVICE = {
  fixedFrames:
    "set extract.frames: 16 (uniformly sampled) so every clip yields the same count and the model cannot read the length",
  sourceLength:
    "collect clips of comparable length per class; extract.frames: N fixes the count the model sees, but resampling an 8-frame clip to N repeats frames and the repetition is itself a cue",
  format:
    "set extract.normalize_format: true to re-encode every clip through the same codec before features; better, collect both classes in the same formats",
  geometry:
    "frame geometry differs between classes: extract.resize: scale brings every clip to the same scale before the size×size crop (the default crop keeps native scale, and with it the resolution); better, collect both classes at matching resolutions",
  timing:
    "frame rates differ between classes: set extract.fps to resample every clip to one rate, and prefer clips with matching rates (motion per frame is a cue)",
  duration:
    "clip durations differ between classes: extract.frames: N samples the same count from any length, but the time between samples still differs; trim clips to comparable lengths",
  compression:
    "compression differs between classes: extract.normalize_format: true re-encodes every clip at one quality; better, collect clips compressed alike",
  classifier:
    "metadata alone predicts the label: fix the attributes above, and report scores per source so a shortcut cannot hide in the average",
  singleSource:
    "add clips from other sources; with several per class, split with group_by: source so the test set holds sources never seen in training",
  groupBySource:
    "split with group_by: source (what the default group_by: auto does here) so the test set holds sources never seen in training; report scores per source too",
  groupBySourceAndGroup:
    "split with group_by: source+group (what the default group_by: auto does here: the data set has a group column and class-pure sources) so neither paired content nor a source spans train and test; report scores per source too",
  groupByGroup:
    "split with group_by: group (what group_by: auto picks, the data set having a group column) keeps paired content on one side, but sources can still span train and test: group_by: source tests on unseen sources",
  moreSources: (cls: string, n: number) =>
    `add ${cls} clips from more sources: with ${n} ${cls} source(s), train, val and test cannot each hold one the model has not seen, so group_by: auto splits clip by clip and the score stays inflated`,
  noSource: "add a source column to manifest.csv (or name files <source>__<name>) so single-source checks and group_by: source work",
  imbalance:
    "collect more clips of the smaller class or subsample the larger; judge the model by PR-AUC and per-class recall, not accuracy",
  crossDuplicates: "check the labels of these pairs and remove one of each; the same content cannot be both real and fake",
  duplicates:
    "remove the copies, or let split keep each cluster in one set (split needs: [extract, diagnose], done automatically)",
  failed: "see the `error` field in extract's videos.jsonl; split leaves these clips out",
} as const;

/** The remedies extract already applied (from its extract.json), so advice does not ask for a
 * setting that is on: the finding stays (the confound is in the data), the advice changes. */
export interface Applied {
  normalize_format: boolean;
  fps: number | null;
  resize: string | null;
  frames: number | null;
}

export const NOTHING_APPLIED: Applied = { normalize_format: false, fps: null, resize: null, frames: null };

const APPLIED_ADVICE = {
  format:
    "extract.normalize_format is on, so the features see one codec, but source traces survive re-encoding (a GIF's palette, its dithering): collect both classes in the same formats, and report scores per source",
  compression:
    "extract.normalize_format is on, but compression damage done at the source survives re-encoding: collect clips compressed alike",
  geometry: (resize: string) =>
    `extract already resizes every clip (resize: ${resize}), but the source resolution still sets detail and up-sampling traces: collect both classes at matching resolutions`,
  timing: (fps: number) =>
    `extract already resamples to ${fps} fps, but that repeats or drops frames differently per source rate: prefer clips with matching rates`,
};

/** Advice for a metadata attribute's shortcut finding. */
export function adviceFor(attribute: string, applied: Applied = NOTHING_APPLIED): string {
  switch (attribute) {
    case "codec":
    case "pix_fmt":
    case "format":
      return applied.normalize_format ? APPLIED_ADVICE.format : ADVICE.format;
    case "width":
    case "height":
    case "aspect":
    case "resolution":
      return applied.resize === "scale" || applied.resize === "stretch" ? APPLIED_ADVICE.geometry(applied.resize) : ADVICE.geometry;
    case "fps":
      return applied.fps !== null ? APPLIED_ADVICE.timing(applied.fps) : ADVICE.timing;
    case "duration":
      return ADVICE.duration;
    case "bytes":
    case "bitrate":
      return applied.normalize_format ? APPLIED_ADVICE.compression : ADVICE.compression;
    case "source_frames":
      return ADVICE.sourceLength;
    case "frames":
      return ADVICE.fixedFrames;
    default:
      return "collect both classes with matching values of this attribute";
  }
}

/** What extract.json's params say extract did about the shortcuts (tolerant: a producer without
 * extract.json, or an older one, applied nothing). */
export function appliedOf(params: Record<string, unknown> | null): Applied {
  if (!params) return NOTHING_APPLIED;
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    normalize_format: params.normalize_format === true,
    fps: num(params.fps),
    resize: typeof params.resize === "string" ? params.resize : null,
    frames: num(params.frames),
  };
}
