// Piscina worker: one whole clip. The worker spawns the clip's ffmpeg, computes every picked
// frame's features in this thread and writes the .npy itself, so only a small record crosses
// threads. Clip-level tasks keep the main thread free (forking ffmpeg from a process of this size
// takes tens of milliseconds, and a fork on the main thread would stall every clip) and let two
// clips interleave per worker (one waiting on ffprobe while the other computes).
import { writeFileSync } from "node:fs";
import { threadId } from "node:worker_threads";
import { extractClipFeatures } from "../../src/features/clip.js";
import { loadExtractor } from "../../src/features/registry.js";
import { encodeNpy } from "../../src/lib/npy.js";
import type { Reencode } from "../../src/video/frames.js";
import { ClipError, type ProbeInfo } from "../../src/video/probe.js";
import type { ExtractParams } from "./params.js";

export interface ClipTask {
  file: string;
  params: ExtractParams;
  /** pipeline.yaml's folder: a module path in `features:` is relative to it. */
  projectDir: string;
  /** Where to write the .npy. */
  out: string;
  /** An augmentation variant's re-encode (augment.ts), applied before the recipe's. */
  augment?: Reencode;
  /** Shared abort flag (a SharedArrayBuffer is shared, not copied, between threads): non-zero =
   * stop. The task then kills its ffmpeg itself and returns, instead of the thread being
   * terminated under it (which would leave unreaped ffmpeg/ffprobe processes behind). */
  abort: Int32Array;
}

export type ClipTaskResult =
  | { ok: true; rows: number; probe: ProbeInfo; phash: string[]; decoded: number; thread: number }
  | { ok: false; error: string; expected: boolean; probe?: ProbeInfo; thread: number };

export default async function processClip(task: ClipTask): Promise<ClipTaskResult> {
  const ac = new AbortController();
  const poll = setInterval(() => {
    if (Atomics.load(task.abort, 0) !== 0) ac.abort(new Error("aborted"));
  }, 50);
  try {
    if (Atomics.load(task.abort, 0) !== 0) return { ok: false, error: "aborted", expected: false, thread: threadId };
    const extractor = await loadExtractor(task.params.features, task.projectDir, task.params.model);
    const r = await extractClipFeatures(task.file, task.params, extractor, { signal: ac.signal, ...(task.augment ? { augment: task.augment } : {}) });
    writeFileSync(task.out, encodeNpy(r.features));
    return { ok: true, rows: r.features.rows, probe: r.probe, phash: r.phash, decoded: r.decoded, thread: threadId };
  } catch (e) {
    // Errors cross threads as plain values: a ClipError is a problem with the file (expected), any
    // other error is reported with its stack.
    const expected = e instanceof ClipError;
    const error = expected ? (e as Error).message : String((e as Error)?.stack ?? e);
    return { ok: false, error, expected, probe: expected ? (e as ClipError).probe : undefined, thread: threadId };
  } finally {
    clearInterval(poll);
  }
}
