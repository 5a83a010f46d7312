// The contract between the engine (src/runner/) and the stages (stages/<name>/).
//
// The runner never imports a stage's internals and a stage never touches the cache: a stage gets
// its resolved params, read-only input directories and an empty output directory, writes files
// there and returns a summary. The runner hashes, commits atomically, records and reports.
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
  /** Its kind (`uses:`), or "shell". */
  kind: string;
  /** Its committed output directory. Read-only: never write here. */
  dir: string;
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
}

export interface StageKind<P = Record<string, Json>> {
  /** The `uses:` name: "extract", "train"... */
  kind: string;
  /** One line, for `dfd` help and the JSON Schema. */
  description: string;
  /** Validates `with:`, supplies defaults, names typos. */
  params: ParamsSpec;
  /** Files or directories whose content is this kind's code version (part of every key). Tests
   * (*.test.ts) inside them are ignored. Usually: its own folder and the shared modules it uses. */
  code: URL[];
  /** True when the stage reads the pipeline's data set: its content hash goes into the key. */
  usesData?: boolean;
  /** When this returns a reason the stage is not needed in this run (e.g. demo when `data:` is
   * set); the runner marks it skipped-by-design and gives its dependants no input for it. */
  notNeeded?(args: { params: P; data?: string }): string | undefined;
  run(ctx: StageContext<P>): Promise<StageSummary | void>;
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
