// One whole clip, in an extract worker process (clip-process.ts, pool.ts): spawn the clip's
// ffmpeg, compute every picked frame's features here and write the .npy, so only a small record
// goes back to the stage.
import { writeFileSync } from "node:fs";
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
}

export type ClipTaskResult =
  | { ok: true; rows: number; probe: ProbeInfo; phash: string[]; decoded: number; worker: number }
  | { ok: false; error: string; expected: boolean; probe?: ProbeInfo; worker: number };

/** `worker` is the worker's process id (which worker ran the clip). An abort kills the clip's
 * ffmpeg, waits until it is reaped and returns {ok: false, error: "aborted"}. */
export async function processClip(task: ClipTask, signal: AbortSignal): Promise<ClipTaskResult> {
  const worker = process.pid;
  try {
    if (signal.aborted) return { ok: false, error: "aborted", expected: false, worker };
    const extractor = await loadExtractor(task.params.features, task.projectDir, task.params.model);
    const r = await extractClipFeatures(task.file, task.params, extractor, { signal, ...(task.augment ? { augment: task.augment } : {}) });
    writeFileSync(task.out, encodeNpy(r.features));
    return { ok: true, rows: r.features.rows, probe: r.probe, phash: r.phash, decoded: r.decoded, worker };
  } catch (e) {
    if (signal.aborted) return { ok: false, error: "aborted", expected: false, worker };
    // Errors cross processes as plain values: a ClipError is a problem with the file (expected),
    // any other error is reported with its stack.
    const expected = e instanceof ClipError;
    const error = expected ? (e as Error).message : String((e as Error)?.stack ?? e);
    return { ok: false, error, expected, probe: expected ? (e as ClipError).probe : undefined, worker };
  }
}
