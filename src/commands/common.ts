// What every command shares: where output goes, how errors become exit codes, stage-name checks.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { sha256 } from "../runner/canonical.js";
import { ConfigError, didYouMean } from "../runner/diagnostic.js";
import { artifactsDirFor, openArtifacts, openProject, type Project } from "../runner/project.js";
import type { RunRecord } from "../runner/records.js";
import type { Pipeline } from "../runner/resolve.js";
import type { Registry } from "../registry.js";
import { readFileSync } from "node:fs";

export interface Io {
  /** stdout: results (and the --json line). */
  out(s: string): void;
  /** stderr: progress, diagnostics, human notes. */
  err(s: string): void;
  /** Live progress lines are drawn only on a TTY without CI set. */
  live: boolean;
  registry: Registry;
  cwd: string;
}

/** Exit codes: 0 ok, 1 a stage/verify failure, 2 bad input (pipeline.yaml, flags), 130 interrupted.
 * With `json` (the command's --json), a failure also ends stdout with one JSON object — `status:
 * "failed"`, the message and each diagnostic's file/line/col — merged into `json`'s fields, so a
 * script reading the last line always gets an object. */
export async function guard(io: Io, f: () => Promise<number>, json?: Record<string, unknown> | false): Promise<number> {
  try {
    return await f();
  } catch (e) {
    const config = e instanceof ConfigError;
    const code = config ? 2 : 1;
    const message = e instanceof Error ? e.message : String(e);
    io.err((config ? (e as ConfigError).render(io.cwd) : `dfd: ${message}`) + "\n");
    if (json) {
      const diagnostics = config ? (e as ConfigError).diagnostics.map(({ file, line, col, message: m }) => ({ file, line, col, message: m })) : [];
      const error = diagnostics.length ? diagnostics.map((d) => d.message).join("; ") : message;
      io.out(JSON.stringify({ ...json, status: "failed", exitCode: code, error, diagnostics }) + "\n");
    }
    return code;
  }
}

/** The pipeline file: `-p FILE` or the positional argument (both may be given only if equal). */
export function pipelineFile(positional: string | undefined, flag: string | undefined): string {
  if (positional !== undefined && flag !== undefined && resolve(positional) !== resolve(flag))
    throw new ConfigError(`two pipeline files given: ${positional} and -p ${flag}; give one`);
  return flag ?? positional ?? DEFAULT_PIPELINE;
}

/** What a read-only question (status, why, path, dag) answers for: pipeline.yaml as written
 * (with --set), or with `--run REF` the recorded run's overrides on the current file. */
export interface Question {
  project: Project;
  /** The run answered for (--run), if any. */
  run?: RunRecord;
  /** One line to print before the answer when it may not be what the user thinks it is. */
  note?: string;
}

export async function openQuestion(io: Io, file: string, flags: { set?: string[]; run?: string }): Promise<Question> {
  if (flags.run !== undefined) {
    if (flags.set?.length) throw new ConfigError("--run and --set: --run answers for a recorded run's own overrides; give one");
    if (!existsSync(artifactsDirFor(file))) throw new ConfigError(`--run ${flags.run}: no runs recorded next to ${resolve(io.cwd, file)}`);
    const { store } = await openArtifacts(file);
    let run: RunRecord;
    try {
      run = await store.runs.resolve(flags.run).catch((e: Error) => { throw new ConfigError(`--run ${e.message}`); });
    } finally {
      await store.close();
    }
    // The run's data path is recorded absolute (a relative --set data= was relative to its cwd).
    const sets = [...run.overrides.filter((o) => !/^\s*data\s*=/.test(o)), `data=${run.data ?? "null"}`];
    const project = await openProject(file, { registry: io.registry, sets, cwd: io.cwd });
    const changed = sha256(readFileSync(project.pipeline.file)) !== run.pipeline.sha256;
    const note = `answering for run ${run.id}${run.overrides.length ? ` (--set ${run.overrides.join(" --set ")})` : ""}` +
      (changed ? `; note: ${project.pipeline.file} changed since that run, so this is its overrides applied to the current file` : "");
    return { project, run, note };
  }
  const project = await openProject(file, { registry: io.registry, sets: flags.set ?? [], cwd: io.cwd });
  // Say so when the latest run was made with other overrides than this question's.
  const latest = await project.store.runs.latest().catch(() => undefined);
  const mine = flags.set ?? [];
  let note: string | undefined;
  if (latest && latest.overrides.join("\u0000") !== mine.join("\u0000"))
    note = latest.overrides.length
      ? `note: the latest run (${latest.id}) used --set ${latest.overrides.join(" --set ")}; this answers for ${mine.length ? "these --set values" : "pipeline.yaml as written"} (add --run latest to answer for that run)`
      : `note: the latest run (${latest.id}) used pipeline.yaml as written; this answers with --set ${mine.join(" --set ")}`;
  return { project, ...(note ? { note } : {}) };
}

/** --from/--until/--only/--force/why/path names must be stages of this pipeline. */
export function checkStages(pipeline: Pipeline, names: readonly (string | [flag: string, name: string])[], what = ""): void {
  const known = [...pipeline.stages.keys()];
  const bad = names.map((n) => (typeof n === "string" ? [what, n] as const : n)).filter(([, n]) => !pipeline.stages.has(n));
  if (bad.length)
    throw new ConfigError(bad.map(([flag, n]) => `${flag}: no stage "${n}" in ${pipeline.file}${didYouMean(n, known)}; stages: ${known.join(", ")}`).join("\n"));
}

export const DEFAULT_PIPELINE = "pipeline.yaml";

/** Multi-value flags also accept commas: --only a,b. */
export const splitNames = (v: string[] | undefined): string[] | undefined => v?.flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
