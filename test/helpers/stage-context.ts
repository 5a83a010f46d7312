// Test helpers for stages run through their run(): a real StageContext over temp directories, and
// videos.jsonl rows shaped like extract's. Not used at run time.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Json, ParamsSpec } from "../../src/params.js";
import type { StageContext, StageInput } from "../../src/stage.js";
import type { VideoRecord } from "../../src/artifacts/features.js";
import { mulberry32 } from "../../src/lib/random.js";
import { standaloneProvenance } from "../../src/runner/in-process.js";

export interface TempContext<P> extends StageContext<P> {
  root: string;
  cleanup(): void;
}

/** Fills defaults from a ParamsSpec the way the runner does (flat specs only). */
export function withDefaults<P>(spec: ParamsSpec, given: Partial<P> = {}): P {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(spec)) if ("default" in s && s.default !== undefined) out[k] = s.default;
  return { ...out, ...given } as P;
}

/** A context whose inputs are directories under a fresh temp root; `inputs` maps kind → files. */
export function tempContext<P>(opts: {
  name: string;
  spec: ParamsSpec;
  params?: Partial<P>;
  inputs: Record<string, Record<string, string>>;
}): TempContext<P> {
  const root = mkdtempSync(join(tmpdir(), `dfd-${opts.name}-`));
  const inputs: StageInput[] = Object.entries(opts.inputs).map(([kind, files]) => {
    const dir = join(root, "in", kind);
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    return { name: kind, kind, dir };
  });
  const outDir = join(root, "out");
  const tmpDir = join(root, "tmp");
  mkdirSync(outDir);
  mkdirSync(tmpDir);
  const quiet = () => {};
  return {
    root,
    name: opts.name,
    params: withDefaults<P>(opts.spec, opts.params),
    inputs,
    projectDir: root,
    outDir,
    tmpDir,
    progress: quiet,
    logFile: join(root, "stage.log"),
    provenance: standaloneProvenance(),
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    signal: new AbortController().signal,
    cpus: 1,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

let counter = 0;
/** One videos.jsonl row with plausible H.264 defaults; override what the test is about. */
export function video(over: Partial<VideoRecord> & { label: VideoRecord["label"] }): VideoRecord {
  const id = over.id ?? `clip${String(counter++).padStart(4, "0")}`;
  const frames = over.frames ?? 32;
  return {
    id,
    path: `${over.label}/${id}.mp4`,
    label_raw: over.label,
    source: null,
    group: null,
    frames,
    dims: 8,
    features: `features/${id}.npy`,
    fps: 25,
    width: 320,
    height: 240,
    duration: frames / 25,
    codec: "h264",
    pix_fmt: "yuv420p",
    format: "mov,mp4,m4a,3gp,3g2,mj2",
    bytes: 100_000,
    bitrate: 800_000,
    source_frames: frames,
    sha256: null,
    phash: [],
    error: null,
    ...over,
  };
}

export function jsonl(rows: readonly (VideoRecord | Record<string, Json>)[]): string {
  return rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
}

/** Deterministic pseudo-random numbers for test data (no Math.random in tests). */
export const seq = (seed: number): (() => number) => mulberry32(seed);
