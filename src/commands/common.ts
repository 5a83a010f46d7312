// What every command shares: where output goes, how errors become exit codes, stage-name checks.
import { ConfigError, didYouMean } from "../runner/diagnostic.js";
import type { Pipeline } from "../runner/resolve.js";
import type { Registry } from "../registry.js";

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

/** --from/--until/--only/--force/why/path names must be stages of this pipeline. */
export function checkStages(pipeline: Pipeline, names: readonly string[], what: string): void {
  const known = [...pipeline.stages.keys()];
  const bad = names.filter((n) => !pipeline.stages.has(n));
  if (bad.length)
    throw new ConfigError(bad.map((n) => `${what}: no stage "${n}" in ${pipeline.file}${didYouMean(n, known)}; stages: ${known.join(", ")}`).join("\n"));
}

export const DEFAULT_PIPELINE = "pipeline.yaml";

/** Multi-value flags also accept commas: --only a,b. */
export const splitNames = (v: string[] | undefined): string[] | undefined => v?.flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
