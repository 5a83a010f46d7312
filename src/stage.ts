// The contract between the engine (src/runner/) and the stages (stages/<name>/).
//
// The runner never imports a stage's internals and a stage never touches the cache: a stage gets
// its resolved params, read-only input directories and an empty output directory, writes files
// there and returns a summary. The runner hashes, commits atomically, records and reports.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Json, ParamsSpec } from "./params.js";

export type Severity = "info" | "warn" | "error";

/** A diagnostic finding (diagnose, split, extract...), printed in the run summary and recorded. */
export interface Finding {
  /** Stable machine id, e.g. "frame-count-ratio", "metadata-auc:codec". */
  id: string;
  severity: Severity;
  /** One line: what was found. */
  reason: string;
  /** One line: what to do about it. */
  advice?: string;
  /** Numbers behind the finding (AUC, ratio, counts...). */
  data?: Record<string, Json>;
}

/** What a stage tells the runner when it succeeds. Stored with the cache entry, so a cached stage
 * reports the same summary. Everything optional. */
export interface StageSummary {
  /** Short human lines printed under the stage in the run summary. */
  lines?: string[];
  /** Findings, printed in the run summary and kept in the run record. */
  findings?: Finding[];
  /** Headline metrics (e.g. evaluate's test AUC) kept in the run record for runs/compare. */
  metrics?: Record<string, number>;
  /** Facts worth recording, e.g. { backend: "wasm" }. */
  facts?: Record<string, string | number | boolean>;
  /** Items that failed but did not fail the stage (e.g. clips skipped with on_error: skip). */
  skipped?: { item: string; error: string }[];
}

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** One needed stage's output, as seen by the stage that needs it. */
export interface StageInput {
  /** The needed stage's name in pipeline.yaml. */
  name: string;
  /** Its kind (`uses:`; "shell" for `run:`; a module path for a user kind). */
  kind: string;
  /** Its committed output directory. Read-only: never write here. */
  dir: string;
}

/** Where a stage's output came from, for provenance blocks (reports, model cards). Values only:
 * everything here is also in the cache key, so an artifact that embeds it stays deterministic,
 * except `run`, which names the run that executed the stage. */
export interface Provenance {
  /** The run executing this stage: id and start time (ISO). */
  run: { id: string; startedAt: string };
  /** The pipeline file, as an absolute path. */
  pipeline: string;
  /** The data set as written relative to pipeline.yaml, and its content hash; null when unused. */
  data: { path: string; hash: string } | null;
  /** This stage's environment block (dfd, node, platform, and what its kind declares: ffmpeg...). */
  environment: Record<string, string>;
  /** Every stage upstream of this one (its needs, transitively), in pipeline order. */
  upstream: { name: string; kind: string; params: Json; key: string | null; outputHash: string | null }[];
}

export interface StageContext<P = Record<string, Json>> {
  /** This stage's name in pipeline.yaml. */
  name: string;
  /** Resolved params: defaults filled in, `--set` overrides applied, validated against the spec. */
  params: P;
  /** The outputs of the stages in `needs:`, in the order given there. */
  inputs: StageInput[];
  /** Absolute path of the pipeline's data set (`data:` or `--set data=`), when set. */
  data?: string;
  /** Directory of pipeline.yaml: relative paths in params resolve against it. */
  projectDir: string;
  /** Empty directory to write outputs into; committed by the runner on success. */
  outDir: string;
  /** Scratch space, deleted after the stage. */
  tmpDir: string;
  /** Report progress: `done` of `total` units, with an optional short note ("12.3 clips/s"). */
  progress(done: number, total: number, note?: string): void;
  log: Logger;
  /** Aborted on Ctrl-C / SIGTERM: stop soon, kill child processes, throw. */
  signal: AbortSignal;
  /** Worker count the stage may use (from `--jobs`/`workers:`); default = cores. */
  cpus: number;
  /** This stage's log file (also where `log` writes); shell commands stream their output here. */
  logFile: string;
  /** Where this stage's inputs came from (for provenance blocks). */
  provenance: Provenance;
}

export interface StageKind<P = Record<string, Json>> {
  /** The `uses:` name: "extract", "train"... */
  kind: string;
  /** One line, for `dfd` help and the JSON Schema. */
  description: string;
  /** Validates `with:`, supplies defaults, names typos. */
  params: ParamsSpec;
  /** Extra files or directories whose content is part of this kind's code version, on top of
   * the import closure of the kind's module, which the runner computes (static and literal
   * dynamic imports inside the project). Usually unneeded: data files read at run time, say. */
  code?: URL[];
  /** True when the stage reads the pipeline's data set: its content hash goes into the key. A
   * function decides from the params (a shell command that mentions $DFD_DATA). */
  usesData?: boolean | ((params: P) => boolean);
  /** Facts of the machine the output depends on, as short strings: `{ ffmpeg: "5.1.6" }`,
   * `{ tfjs: "4.22.0", backend: "wasm" }`. They go into the key's environment block (beside dfd,
   * Node and platform/arch), so a different ffmpeg makes the stage stale with a reason saying so. */
  environment?(args: { params: P }): Promise<Record<string, string>>;
  /** When this returns a reason the stage is not needed in this run (e.g. demo when `data:` is
   * set); the runner marks it skipped-by-design and gives its dependants no input for it. */
  notNeeded?(args: { params: P; data?: string }): string | undefined;
  /** A kind whose work splits into independent items (extract: one per clip; crossval: one per
   * fold) declares how; the runner then decides where items run (in this process, or on `dfd
   * worker`s through BullMQ) and caches each item by its own key. `run` is not called then. */
  fanOut?: FanOut<P>;
  run?(ctx: StageContext<P>): Promise<StageSummary | void>;
}

// ---------------------------------------------------------------------------------------------
// Fan-out: items → runItem (anywhere) → assemble (here).
//
// The output of a fanned-out stage must be byte-identical whichever executor ran its items, so:
// an item's result is a function of (kind code version, environment, keyed params, item) only;
// results are handed to `assemble` in the order `items` returned them.

/** One unit of work. Small: it travels through Redis. */
export interface WorkItem {
  /** Stable, unique within the stage, readable: a clip id, "fold-3". Used in messages. */
  id: string;
  /** Content hash of everything the item reads besides params and code (e.g. the clip file's
   * sha256); part of the item's cache key. */
  contentHash: string;
  /** What runItem needs to find its input (a path relative to `data`/an input, a fold's ids...). */
  payload: Json;
}

/** What a worker process needs to run items: no outDir, no other items. */
export interface ItemWorkerContext<P = Record<string, Json>> {
  name: string;
  params: P;
  inputs: StageInput[];
  data?: string;
  projectDir: string;
  tmpDir: string;
  log: Logger;
  signal: AbortSignal;
  /** Threads the worker may use for items at once. */
  cpus: number;
}

export interface ItemWorker {
  /** Runs one item: writes its result files into `outDir` (empty, private to the item) and returns
   * a small JSON result (e.g. extract's videos.jsonl row). Deterministic. Throwing fails the item;
   * a kind that tolerates bad items (extract's on_error: skip) returns an error in its result. */
  run(item: WorkItem, outDir: string, signal: AbortSignal): Promise<Json>;
  close(): Promise<void>;
}

/** One item's finished result as `assemble` sees it. */
export interface ItemResult {
  item: WorkItem;
  result: Json;
  /** Directory holding the files the item wrote (read-only; copy or hard-link what you keep). */
  dir: string;
}

export interface FanOut<P = Record<string, Json>> {
  /** The items, in a deterministic order. May read inputs and the data set. */
  items(ctx: StageContext<P>): Promise<WorkItem[]>;
  /** Sets up what running items needs once per process (a thread pool...). */
  worker(ctx: ItemWorkerContext<P>): Promise<ItemWorker>;
  /** Builds the stage's output in ctx.outDir from every item's result, in item order. */
  assemble(ctx: StageContext<P>, results: ItemResult[]): Promise<StageSummary | void>;
}

/** The one needed stage whose output directory holds `marker` (the artifact's index file), or a
 * clear error naming the fix. Artifacts are found by content, not by kind, so a shell stage or a
 * user kind that writes the same files feeds the built-in stages unchanged. */
export function findInput(ctx: Pick<StageContext<unknown>, "name" | "inputs">, artifact: { artifact: string; marker: string }): string {
  const found = ctx.inputs.filter((i) => existsSync(join(i.dir, artifact.marker)));
  if (found.length === 1) return found[0]!.dir;
  const have = ctx.inputs.map((i) => `${i.name} (${i.kind})`).join(", ") || "nothing";
  if (found.length === 0)
    throw new Error(`stage ${ctx.name} needs a stage that provides ${artifact.artifact} (${artifact.marker}) in its needs: (it has ${have})`);
  throw new Error(`stage ${ctx.name} needs exactly one stage providing ${artifact.artifact} (${artifact.marker}), it has ${found.length}: ${found.map((i) => i.name).join(", ")}`);
}

/** Like findInput, but undefined when no needed stage provides the artifact. */
export function findOptionalInput(ctx: Pick<StageContext<unknown>, "name" | "inputs">, artifact: { artifact: string; marker: string }): string | undefined {
  return ctx.inputs.some((i) => existsSync(join(i.dir, artifact.marker))) ? findInput(ctx, artifact) : undefined;
}

/** The output directory of the one needed stage of `kind`, or a clear error naming the fix. */
export function inputOf(ctx: Pick<StageContext<unknown>, "name" | "inputs">, kind: string): string {
  const found = ctx.inputs.filter((i) => i.kind === kind);
  if (found.length === 1) return found[0]!.dir;
  const have = ctx.inputs.map((i) => `${i.name} (${i.kind})`).join(", ") || "nothing";
  if (found.length === 0)
    throw new Error(`stage ${ctx.name} needs a stage with \`uses: ${kind}\` in its needs: (it has ${have})`);
  throw new Error(`stage ${ctx.name} needs exactly one \`uses: ${kind}\` stage, it has ${found.length}: ${have}`);
}

/** Like inputOf, but undefined when no needed stage is of that kind (optional inputs). */
export function optionalInputOf(ctx: Pick<StageContext<unknown>, "name" | "inputs">, kind: string): string | undefined {
  return ctx.inputs.some((i) => i.kind === kind) ? inputOf(ctx, kind) : undefined;
}

/** Type helper so a stage module can declare `export default defineStage<MyParams>({...})`. */
export function defineStage<P>(kind: StageKind<P>): StageKind<P> {
  return kind;
}
