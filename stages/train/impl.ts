// train's implementation (loaded lazily by index.ts): the features and the split in, the model
// artifact (model/ + history.json) out. Fitting itself is the model library's fitDetector, which
// reads the clips through a FeatureReader one batch at a time.
import { join } from "node:path";
import { FeatureReader, featuresInput, readClips, readFeaturesInfo, type ClipRow } from "../../src/artifacts/features.js";
import { MODEL_DIR, writeHistory } from "../../src/artifacts/model.js";
import { readSplit, splitInput, SPLIT_FILE } from "../../src/artifacts/split.js";
import type { ClipSet } from "../../src/model/clips.js";
import { fitDetector } from "../../src/model/fit.js";
import type { StageContext, StageSummary } from "../../src/stage.js";
import type { TrainParams } from "./params.js";

/** A training clip's re-encoded variants (videos.jsonl `augmented`) as rows of their own. */
function augmentedRows(row: ClipRow): ClipRow[] {
  return (row.augmented ?? []).map((a, k) => ({ ...row, id: `${row.id}#aug${k + 1}`, features: a.features, frames: a.frames, augmented: undefined }));
}

export async function runTrain(ctx: StageContext<TrainParams>): Promise<StageSummary> {
  const extractDir = featuresInput(ctx);
  const splitDir = splitInput(ctx);
  const split = readSplit(splitDir);
  const rows = readClips(extractDir);
  const info = readFeaturesInfo(extractDir);
  // the transformer visits every clip each epoch: keep what fits in the reader's cache; the linear
  // probe reads each clip once
  const reader = new FeatureReader(extractDir, { dims: info.dims, expected: (d) => `extract.json says ${d}`, ...(ctx.params.model === "linear" ? { cacheBytes: 0 } : {}) });
  const skipped: { item: string; error: string }[] = [];

  const clipSet = (ids: string[], part: string, variants = false): ClipSet => {
    const keep: ClipRow[] = [];
    for (const id of ids) {
      const row = rows.get(id);
      if (!row)
        throw new Error(`${join(splitDir, SPLIT_FILE)}: ${part} lists clip "${id}", which is not in ${join(extractDir, "videos.jsonl")}`);
      if (row.error !== null || row.features === null || row.frames === 0) skipped.push({ item: id, error: row.error ?? "no features" });
      else keep.push(row, ...(variants ? augmentedRows(row) : []));
    }
    return { ids: keep.map((r) => r.id), labels: keep.map((r) => (r.label === "fake" ? 1 : 0)), read: (i) => reader.read(keep[i]!) };
  };
  const train = clipSet(split.train, "train", ctx.params.augmented !== false);
  const variants = train.ids.filter((id) => id.includes("#aug")).length;
  if (variants) ctx.log.info(`train: ${train.ids.length - variants} clips + ${variants} re-encoded variants (augment)`);
  const val = clipSet(split.val, "val");
  if (train.ids.length === 0) throw new Error(`${join(splitDir, SPLIT_FILE)}: no usable training clips`);

  let fitted;
  try {
    fitted = await fitDetector(ctx.params, train, val, { extract: info.params, signal: ctx.signal, log: ctx.log, progress: ctx.progress });
  } catch (e) {
    const msg = (e as Error).message;
    if (/^the train split needs both/.test(msg)) throw new Error(`${join(splitDir, SPLIT_FILE)}: ${msg}`);
    if (/^model config: /.test(msg)) throw new Error(`stage ${ctx.name}: ${msg.replace(/^model config: /, "")}`);
    throw e;
  }
  try {
    await fitted.save(join(ctx.outDir, MODEL_DIR));
  } finally {
    fitted.detector.dispose();
  }
  writeHistory(ctx.outDir, fitted.history);
  return {
    lines: fitted.lines,
    findings: fitted.findings.length ? fitted.findings : undefined,
    metrics: fitted.metrics,
    facts: fitted.facts,
    skipped: skipped.length ? skipped : undefined,
  };
}
