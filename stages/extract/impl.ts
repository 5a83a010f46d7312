// The extract stage body (loaded lazily by index.ts), as a fan-out (src/stage.ts):
//  - items: one per clip of the data set, in path order; the payload says where the clip is
//    (relative to the data root) and how it is labelled, contentHash is the file's sha256;
//  - worker: a pool of worker processes (pool.ts); run(item) decodes one clip, computes its features in
//    a worker process, writes features/<id>.npy into the item's directory and returns its videos.jsonl
//    row (a clip that fails is a row with `error`);
//  - assemble: features/, videos.jsonl and extract.json in item order.
// worker.run depends on its worker context and the item only, so items can run in this process
// (src/runner/in-process.ts) or on other machines, with byte-identical output.
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { copyFile, link, mkdir, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { writeFeaturesInfo, writeVideos, type VideoRecord as BaseVideoRecord } from "../../src/artifacts/features.js";
import { datasetRoot, listDataset, type DatasetEntry } from "../../src/dataset/list.js";
import type { FeatureExtractor } from "../../src/features/extractor.js";
import { recordRecipe } from "../../src/features/recipe.js";
import { loadExtractor } from "../../src/features/registry.js";
import type { Json } from "../../src/params.js";
import { inputOf, type Finding, type ItemResult, type ItemWorker, type ItemWorkerContext, type StageContext, type StageSummary, type WorkItem } from "../../src/stage.js";
import type { ProbeInfo } from "../../src/video/probe.js";
import type { ExtractParams } from "./params.js";
import { augmentClip } from "./augment.js";
import { createClipPool } from "./pool.js";

/** A videos.jsonl row as extract writes it: the contract, with every field present. */
export type VideoRecord = BaseVideoRecord & { frames: number; dims: number; label_raw: string; source: string; sha256: string | null };

/** What a worker needs to find and label one clip. */
export interface ClipPayload {
  /** Relative to the data root (POSIX): the row's `path`. */
  path: string;
  /** The file to read, relative to the data root, when it is not `path` (a manifest row without a
   * path points at the manifest itself). */
  file?: string;
  label: "real" | "fake" | null;
  label_raw: string;
  source: string;
  group: string | null;
  /** A problem found while listing (unknown label, missing file...): the clip is not decoded. */
  error: string | null;
  /** File size; null when the path is not a regular file. */
  bytes: number | null;
}

/** Failed clips printed in the run summary (all of them are in videos.jsonl and `skipped`). */
const SHOW_FAILED = 10;

/** Where the clips are: the pipeline's data set, else the one needed stage's output (demo). */
function clipSource(ctx: { name: string; data?: string; inputs: StageContext["inputs"] }): string {
  if (ctx.data !== undefined) {
    if (!existsSync(ctx.data)) throw new Error(`data path ${ctx.data} does not exist (data: in the pipeline, or --set data=)`);
    return ctx.data;
  }
  return ctx.inputs.length === 1 ? ctx.inputs[0]!.dir : inputOf(ctx, "demo");
}

/** The extractor `features:` names, checked against the analysis size. */
async function extractorFor(p: ExtractParams, projectDir: string): Promise<FeatureExtractor> {
  const extractor = await loadExtractor(p.features, projectDir, p.model);
  const sizeError = extractor.sizeError?.(p.size);
  if (sizeError) throw new Error(`extract: ${sizeError}`);
  return extractor;
}

/** Start time of a stage's items (by output dir), for the throughput line of its summary. */
const started = new Map<string, number>();

export async function extractItems(ctx: StageContext<ExtractParams>): Promise<WorkItem[]> {
  await extractorFor(ctx.params, ctx.projectDir);
  const ds = listDataset(clipSource(ctx));
  const listErrors = ds.entries.filter((e) => e.error);
  if (ctx.params.on_error === "fail" && listErrors.length)
    throw new Error(`extract: ${listErrors.length} bad entr${listErrors.length === 1 ? "y" : "ies"} in ${ds.root} (on_error: fail):\n` + listErrors.map((e) => `  ${e.path}: ${e.error}`).join("\n"));
  started.set(ctx.outDir, Date.now());
  const items: WorkItem[] = new Array(ds.entries.length);
  // sha256 of every clip (the item's content hash), a few files at a time
  let next = 0;
  const lane = async () => {
    while (next < ds.entries.length) {
      ctx.signal.throwIfAborted();
      const k = next++;
      items[k] = await itemOf(ds.root, ds.entries[k]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, ds.entries.length) }, lane));
  return items;
}

async function itemOf(root: string, e: DatasetEntry): Promise<WorkItem> {
  const st = await stat(e.file).catch(() => null);
  const isFile = !!st?.isFile();
  const rel = relPosix(root, e.file);
  const payload: ClipPayload = {
    path: e.path, ...(rel !== e.path ? { file: rel } : {}),
    label: e.label, label_raw: e.label_raw, source: e.source, group: e.group, error: e.error, bytes: isFile ? st!.size : null,
  };
  return { id: e.id, contentHash: isFile ? await sha256File(e.file) : "", payload: payload as unknown as Json };
}

export async function extractWorker(w: ItemWorkerContext<ExtractParams>): Promise<ItemWorker> {
  const p = w.params;
  const extractor = await extractorFor(p, w.projectDir);
  const root = datasetRoot(clipSource(w));
  const workers = Math.max(1, p.workers ?? w.cpus);
  const pool = createClipPool(workers);
  let clips = 0;
  return {
    async run(item, outDir, signal) {
      const c = item.payload as unknown as ClipPayload;
      const rec: VideoRecord = {
        id: item.id, path: c.path, label: c.label, label_raw: c.label_raw, source: c.source, group: c.group,
        frames: 0, dims: extractor.dims, features: null,
        fps: null, width: null, height: null, duration: null, codec: null, pix_fmt: null, format: null,
        bytes: c.bytes, bitrate: null, source_frames: null, sha256: c.bytes === null ? null : item.contentHash, phash: [],
        error: c.error && `${c.path}: ${c.error}`,
      };
      if (c.error) return rec as unknown as Json;
      const rel = `features/${item.id}.npy`;
      await mkdir(join(outDir, "features"), { recursive: true });
      const r = await pool.run({ file: join(root, ...(c.file ?? c.path).split("/")), params: p, projectDir: w.projectDir, out: join(outDir, rel) }, signal);
      signal.throwIfAborted();
      clips++;
      if (r.probe) fillProbe(rec, r.probe);
      if (r.ok) {
        rec.frames = r.rows;
        rec.features = rel;
        rec.phash = r.phash;
        const augmented = await augmentClip(item.id, join(root, ...(c.file ?? c.path).split("/")), outDir, (task) => pool.run({ ...task, params: p, projectDir: w.projectDir }, signal), p.augment);
        if (augmented.length) rec.augmented = augmented;
      } else {
        if (!r.expected) w.log.debug(`${c.path}: ${r.error}`);
        rec.error = `${c.path}: ${r.expected ? r.error : r.error.split("\n")[0]}`;
      }
      return rec as unknown as Json;
    },
    async close() {
      w.log.debug(`extract: ${clips} clips on ${pool.workersUsed().size} of ${workers} worker processes`);
      await pool.destroy();
    },
  };
}

export async function assembleExtract(ctx: StageContext<ExtractParams>, results: ItemResult[]): Promise<StageSummary> {
  const p = ctx.params;
  const extractor = await extractorFor(p, ctx.projectDir);
  const ds = listDataset(clipSource(ctx));
  await mkdir(join(ctx.outDir, "features"), { recursive: true });
  const records = results.map((r) => r.result as unknown as VideoRecord);
  let frames = 0;
  for (const [k, rec] of records.entries()) {
    frames += rec.frames;
    if (rec.features) await linkOrCopy(join(results[k]!.dir, rec.features), join(ctx.outDir, rec.features));
    for (const a of rec.augmented ?? []) if (a.features) await linkOrCopy(join(results[k]!.dir, a.features), join(ctx.outDir, a.features));
  }
  writeVideos(ctx.outDir, records);
  const failed = records.filter((r) => r.error);
  const ok = records.length - failed.length;
  // augment: recorded only when used (extract.json of a plain run keeps its bytes)
  const { augment, ...plain } = p;
  writeFeaturesInfo(ctx.outDir, {
    params: recordRecipe(augment?.variants ? p : plain, ctx.projectDir) as unknown as Record<string, Json>,
    feature: { name: extractor.name, dims: extractor.dims, names: [...extractor.names] },
    counts: { clips: records.length, ok, failed: failed.length },
  });
  if (p.on_error === "fail" && failed.length)
    throw new Error(`extract: ${failed.length} of ${records.length} clips failed (on_error: fail):\n` + failed.map((r) => `  ${r.error}`).join("\n"));
  if (ok === 0) throw new Error(`extract: no clip in ${ds.root} could be read; first error: ${failed[0]?.path}: ${failed[0]?.error}`);

  const findings: Finding[] = ds.warnings.map((w, i) => ({ id: `dataset-warning:${i}`, severity: "warn", reason: w, advice: "check the data folder layout (real/, fake/ or manifest.csv)" }));
  const t0 = started.get(ctx.outDir);
  started.delete(ctx.outDir);
  const secs = t0 === undefined ? null : (Date.now() - t0) / 1000;
  const workers = Math.max(1, p.workers ?? ctx.cpus);
  return {
    lines: [
      `${records.length} clips (${ok} ok, ${failed.length} failed) from ${ds.root}`,
      `${frames} frames × ${extractor.dims} ${extractor.name} features` +
        (secs === null ? "" : `, ${secs.toFixed(1)} s, ${Math.round(frames / Math.max(secs, 1e-3))} frames/s`) +
        `, ${workers} worker${workers === 1 ? "" : "s"}`,
      ...failed.slice(0, SHOW_FAILED).map((r) => `skipped ${r.error}`),
      ...(failed.length > SHOW_FAILED ? [`... and ${failed.length - SHOW_FAILED} more skipped clips (error in videos.jsonl)`] : []),
    ],
    findings,
    facts: { feature: extractor.name, dims: extractor.dims, frames, workers },
    skipped: failed.map((r) => ({ item: r.path, error: r.error! })),
  };
}

function fillProbe(rec: VideoRecord, p: ProbeInfo): void {
  Object.assign(rec, {
    fps: p.fps, width: p.width, height: p.height, duration: p.duration, codec: p.codec, pix_fmt: p.pix_fmt,
    format: p.format, bytes: p.bytes || rec.bytes, bitrate: p.bitrate, source_frames: p.source_frames,
  });
}

/** Hard-links an item's file into the output (same file system: no copy), else copies it. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

function relPosix(root: string, file: string): string {
  return relative(root, file).split(sep).join("/");
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(file)
      .on("data", (b) => h.update(b))
      .on("error", reject)
      .on("end", () => resolve(h.digest("hex")));
  });
}
