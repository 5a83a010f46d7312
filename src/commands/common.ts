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

/** Exit codes: 0 ok, 1 a stage/verify failure, 2 bad input (pipeline.yaml, flags), 130 interrupted. */
export async function guard(io: Io, f: () => Promise<number>): Promise<number> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ConfigError) {
      io.err(e.render(io.cwd) + "\n");
      return 2;
    }
    io.err(`dfd: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
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
