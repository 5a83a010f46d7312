// Resolves what a user types for a run — a full id, a unique prefix, `latest` or `latest~N` — to one
// run, with an error that lists the candidates when it is ambiguous or unknown.

export interface RunRef {
  id: string;
}

/** `runs` newest first. */
export function resolveRunRef<R extends RunRef>(ref: string, runs: readonly R[]): R {
  if (runs.length === 0) throw new Error("no runs recorded yet: `dfd run` first");
  const latest = /^latest(?:~(\d+))?$/.exec(ref);
  if (latest) {
    const back = Number(latest[1] ?? 0);
    const run = runs[back];
    if (!run) throw new Error(`${ref}: only ${runs.length} run(s) recorded (latest~${runs.length - 1} is the oldest)`);
    return run;
  }
  const exact = runs.find((r) => r.id === ref);
  if (exact) return exact;
  const matches = runs.filter((r) => r.id.startsWith(ref));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1)
    throw new Error(`${ref}: ambiguous run id prefix, matches ${matches.slice(0, 5).map((r) => r.id).join(", ")}${matches.length > 5 ? ", …" : ""}`);
  throw new Error(`${ref}: no such run (see \`dfd runs\`; use an id, a unique prefix, latest or latest~N)`);
}
