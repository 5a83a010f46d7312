// The extract stage body (loaded lazily by index.ts): list the data set, run every clip through
// extractClipFeatures with features computed in the worker pool, write features/<id>.npy as each
// clip finishes, then videos.jsonl and extract.json. Memory is one clip's frames in flight per
// concurrent clip plus small per-clip records, whatever the data set's size.
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { VideoRecord as BaseVideoRecord } from "../../src/artifacts/features.js";
import { writeJsonl } from "../../src/lib/jsonl.js";
import { listDataset, type DatasetEntry } from "../../src/dataset/list.js";
import { inputOf, type Finding, type StageContext, type StageSummary } from "../../src/stage.js";
import type { ProbeInfo } from "../../src/video/probe.js";
import { recordRecipe } from "../../src/features/recipe.js";
import { loadExtractor } from "../../src/features/registry.js";
import type { ExtractParams } from "./params.js";
import { createClipPool, type ClipPool } from "./pool.js";

/** A videos.jsonl row as extract writes it: the contract, with every field present. */
export type VideoRecord = BaseVideoRecord & { frames: number; dims: number; label_raw: string; source: string; sha256: string | null };

/** Failed clips printed in the run summary (all of them are in videos.jsonl and `skipped`). */
const SHOW_FAILED = 10;

export async function runExtract(ctx: StageContext<ExtractParams>): Promise<StageSummary> {
  const p = ctx.params;
  const extractor = await loadExtractor(p.features, ctx.projectDir);
  const sizeError = extractor.sizeError?.(p.size);
  if (sizeError) throw new Error(`extract: ${sizeError}`);
  let root: string;
  if (ctx.data !== undefined) {
    if (!existsSync(ctx.data)) throw new Error(`data path ${ctx.data} does not exist (data: in the pipeline, or --set data=)`);
    root = ctx.data;
  } else root = inputOf(ctx, "demo");
  const ds = listDataset(root);
  const listErrors = ds.entries.filter((e) => e.error);
  if (p.on_error === "fail" && listErrors.length)
    throw new Error(`extract: ${listErrors.length} bad entr${listErrors.length === 1 ? "y" : "ies"} in ${ds.root} (on_error: fail):\n` + listErrors.map((e) => `  ${e.path}: ${e.error}`).join("\n"));

  await mkdir(join(ctx.outDir, "features"), { recursive: true });
  const workers = Math.max(1, p.workers ?? ctx.cpus);
  const pool = createClipPool(workers);
  // Stop every clip in flight on abort (or on an unexpected failure of one lane).
  const stop = new AbortController();
  const onAbort = () => {
    stop.abort(ctx.signal.reason);
    pool.abort();
  };
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  const records: VideoRecord[] = new Array(ds.entries.length);
  const started = Date.now();
  let done = 0;
  let frames = 0;
  const total = ds.entries.length;
  ctx.progress(0, total, `0/${total} clips`);
  const one = async (e: DatasetEntry, k: number) => {
    records[k] = await extractOne(e, ctx, pool, extractor.dims);
    done++;
    frames += records[k]!.frames;
    const secs = (Date.now() - started) / 1000;
    const eta = done ? Math.round((secs / done) * (total - done)) : 0;
    ctx.progress(done, total, `${done}/${total} clips, ${secs > 0 ? Math.round(frames / secs) : 0} frames/s, ETA ${eta}s`);
  };
  try {
    // Two clips in flight per worker (the pool interleaves them), so no core waits on a spawn.
    await forEachLimit(ds.entries, 2 * workers, one, stop.signal, () => pool.abort());
    ctx.signal.throwIfAborted();
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    await pool.destroy();
  }

  writeJsonl(join(ctx.outDir, "videos.jsonl"), records);
  const failed = records.filter((r) => r.error);
  const ok = records.length - failed.length;
  const meta = {
    params: recordRecipe(p, ctx.projectDir),
    feature: { name: extractor.name, dims: extractor.dims, names: [...extractor.names] },
    counts: { clips: records.length, ok, failed: failed.length },
  };
  await writeFile(join(ctx.outDir, "extract.json"), JSON.stringify(meta, null, 2) + "\n");
  if (p.on_error === "fail" && failed.length)
    throw new Error(`extract: ${failed.length} of ${records.length} clips failed (on_error: fail):\n` + failed.map((r) => `  ${r.path}: ${r.error}`).join("\n"));
  if (ok === 0) throw new Error(`extract: no clip in ${ds.root} could be read; first error: ${failed[0]?.path}: ${failed[0]?.error}`);

  const findings: Finding[] = ds.warnings.map((w, i) => ({ id: `dataset-warning:${i}`, severity: "warn", reason: w, advice: "check the data folder layout (real/, fake/ or manifest.csv)" }));
  const secs = (Date.now() - started) / 1000;
  return {
    lines: [
      `${records.length} clips (${ok} ok, ${failed.length} failed) from ${ds.root}`,
      `${frames} frames × ${extractor.dims} ${extractor.name} features, ${secs.toFixed(1)} s, ${Math.round(frames / Math.max(secs, 1e-3))} frames/s, ${workers} worker${workers === 1 ? "" : "s"}`,
      ...failed.slice(0, SHOW_FAILED).map((r) => `skipped ${r.error}`),
      ...(failed.length > SHOW_FAILED ? [`... and ${failed.length - SHOW_FAILED} more skipped clips (error in videos.jsonl)`] : []),
    ],
    findings,
    facts: { feature: extractor.name, dims: extractor.dims, frames, workers, worker_threads_used: pool.threadsUsed().size },
    skipped: failed.map((r) => ({ item: r.path, error: r.error! })),
  };
}

async function extractOne(e: DatasetEntry, ctx: StageContext<ExtractParams>, pool: ClipPool, dims: number): Promise<VideoRecord> {
  const rec: VideoRecord = {
    id: e.id, path: e.path, label: e.label, label_raw: e.label_raw, source: e.source, group: e.group,
    frames: 0, dims, features: null,
    fps: null, width: null, height: null, duration: null, codec: null, pix_fmt: null, format: null,
    bytes: null, bitrate: null, source_frames: null, sha256: null, phash: [], error: e.error && `${e.path}: ${e.error}`,
  };
  const st = await stat(e.file).catch(() => null);
  if (st?.isFile()) {
    rec.bytes = st.size;
    rec.sha256 = await sha256File(e.file);
  }
  if (e.error) return rec;
  const rel = `features/${e.id}.npy`;
  const r = await pool.run({ file: e.file, params: ctx.params, projectDir: ctx.projectDir, out: join(ctx.outDir, rel) });
  ctx.signal.throwIfAborted();
  if (r.probe) fillProbe(rec, r.probe);
  if (r.ok) {
    rec.frames = r.rows;
    rec.features = rel;
    rec.phash = r.phash;
  } else {
    if (!r.expected) ctx.log.debug(`${e.path}: ${r.error}`);
    rec.error = `${e.path}: ${r.expected ? r.error : r.error.split("\n")[0]}`;
  }
  return rec;
}

function fillProbe(rec: VideoRecord, p: ProbeInfo): void {
  Object.assign(rec, {
    fps: p.fps, width: p.width, height: p.height, duration: p.duration, codec: p.codec, pix_fmt: p.pix_fmt,
    format: p.format, bytes: p.bytes || rec.bytes, bitrate: p.bitrate, source_frames: p.source_frames,
  });
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

/** Runs `fn` over `items` with at most `limit` at a time. Stops starting new items on abort or
 * the first throw (calling `onFail` so running items stop too), waits for the running ones to
 * settle, then throws the first error. */
async function forEachLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
  signal: AbortSignal,
  onFail: () => void,
): Promise<void> {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !failed && !signal.aborted) {
      const k = next++;
      try {
        await fn(items[k]!, k);
      } catch (e) {
        if (!failed) onFail();
        failed = true;
        throw e;
      }
    }
  });
  const results = await Promise.allSettled(lanes);
  signal.throwIfAborted();
  const bad = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (bad) throw bad.reason;
}
