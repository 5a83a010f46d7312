// Hand-made upstream outputs for train tests: an extract dir (videos.jsonl, extract.json,
// features/*.npy) and split.json. Fake clips carry +level in the first half of the features, real
// clips −level, plus seeded noise, with varying frame counts — separable, but not trivially.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeJsonl } from "../../src/lib/jsonl.js";
import { writeNpy, type Matrix } from "../../src/lib/npy.js";
import { Rng } from "../../src/model/rng.js";
import type { Json, ParamsSpec } from "../../src/params.js";
import type { StageContext, StageInput } from "../../src/stage.js";
import { standaloneProvenance } from "../../src/runner/in-process.js";

export const DIMS = 6;

export function syntheticClip(rng: Rng, label: 0 | 1, frames: number, dims = DIMS, level = 1): Matrix {
  const data = new Float32Array(frames * dims);
  for (let f = 0; f < frames; f++)
    for (let j = 0; j < dims; j++) data[f * dims + j] = (j < dims / 2 ? (label ? level : -level) : 0) + 0.5 * rng.normal();
  return { data, rows: frames, cols: dims };
}

export interface TrainFixture {
  root: string;
  extractDir: string;
  splitDir: string;
  inputs: StageInput[];
}

export function makeTrainFixture(opts: { perClass?: number; broken?: boolean } = {}): TrainFixture {
  const perClass = opts.perClass ?? 8;
  const rng = new Rng(42);
  const root = mkdtempSync(join(tmpdir(), "dfd-train-"));
  const extractDir = join(root, "extract");
  const splitDir = join(root, "split");
  mkdirSync(join(extractDir, "features"), { recursive: true });
  mkdirSync(splitDir);
  const rows: Record<string, unknown>[] = [];
  const split: Record<string, string[]> = { train: [], val: [], test: [] };
  for (let i = 0; i < perClass; i++)
    for (const label of [0, 1] as const) {
      const id = `${label ? "fake" : "real"}_${i}`;
      const frames = 3 + ((i * 5 + label * 3) % 9);
      writeNpy(join(extractDir, "features", `${id}.npy`), syntheticClip(rng, label, frames));
      rows.push({ id, path: `${label ? "fake" : "real"}/${id}.mp4`, label: label ? "fake" : "real", label_raw: label ? "fake" : "real",
        source: label ? "gen" : "camera", group: null, frames, dims: DIMS, features: `features/${id}.npy`, error: null });
      const part = i % 4 === 3 ? "test" : i % 4 === 2 ? "val" : "train";
      split[part]!.push(id);
    }
  if (opts.broken) {
    rows.push({ id: "broken", path: "fake/broken.mp4", label: "fake", label_raw: "fake", source: "gen", group: null, frames: 0, dims: DIMS, features: null, error: "ffprobe: Invalid data" });
    split.train!.push("broken");
  }
  writeJsonl(join(extractDir, "videos.jsonl"), rows);
  writeFileSync(join(extractDir, "extract.json"), JSON.stringify({ params: { max_frames: 16, size: 64 }, feature: { name: "synthetic", dims: DIMS, names: [] }, counts: { clips: rows.length, ok: rows.length, failed: 0 } }));
  writeFileSync(join(splitDir, "split.json"), JSON.stringify({ ...split, seed: 0, stratify: "label", group_by: null }));
  return {
    root, extractDir, splitDir,
    inputs: [{ name: "extract", kind: "extract", dir: extractDir }, { name: "split", kind: "split", dir: splitDir }],
  };
}

/** Resolved params from a spec's defaults, with overrides (what the runner does for `with:`). */
export function defaultsOf<P>(spec: ParamsSpec, overrides: Record<string, unknown> = {}): P {
  const out: Record<string, Json> = {};
  for (const [k, s] of Object.entries(spec)) {
    if (s.type === "object") out[k] = defaultsOf<Record<string, Json>>(s.properties, (overrides[k] ?? {}) as Record<string, unknown>);
    else if (k in overrides) out[k] = overrides[k] as Json;
    else out[k] = (s.default ?? null) as Json;
  }
  return out as P;
}

export function stageContext<P>(params: P, inputs: StageInput[], root: string, extra: Partial<StageContext<P>> = {}) {
  const outDir = mkdtempSync(join(root, "out-"));
  const progress: { done: number; total: number; note?: string }[] = [];
  const logs: string[] = [];
  const ctx: StageContext<P> = {
    name: "train", params, inputs, projectDir: root, outDir, tmpDir: mkdtempSync(join(root, "tmp-")),
    progress: (done, total, note) => progress.push({ done, total, note }),
    log: { debug: (m) => logs.push(`debug ${m}`), info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) },
    signal: new AbortController().signal, cpus: 2, logFile: join(root, "stage.log"), provenance: standaloneProvenance(), ...extra,
  };
  return { ctx, outDir, progress, logs };
}
