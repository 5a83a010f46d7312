// Run records: one per `dfd run`, in the same keyv store as the cache index. Written when the run
// starts (status "running") and updated as each stage finishes, so a crash still leaves a record
// (shown as "interrupted" once its process is gone). `why`, and later `runs`/`compare`/`gc`, read
// them through this small API.
import { randomBytes } from "node:crypto";
import type { Json } from "../params.js";
import type { StageSummary } from "../stage.js";
import type { Db } from "./db.js";
import type { Reason } from "./reasons.js";
import type { RunLog } from "./store-api.js";
import { isAlive } from "./lock.js";

export type RunStatus = "running" | "ok" | "failed" | "interrupted";
export type StageStatus = "ran" | "cached" | "failed" | "skipped";

export interface StageRecord {
  name: string;
  kind: string;
  key: string | null;
  status: StageStatus;
  /** Why it ran or was skipped (typed; plain strings in records written before dfd 0.2). */
  reasons: (Reason | string)[];
  seconds: number;
  params: Json;
  outputHash: string | null;
  summary: StageSummary | null;
  /** For failures: the error message. */
  error?: string;
  /** Per-stage log file, when the stage ran. */
  log?: string;
}

export interface RunRecord {
  id: string;
  pid: number;
  startedAt: string;
  finishedAt: string | null;
  pipeline: { file: string; sha256: string };
  /** The --set arguments, verbatim. */
  overrides: string[];
  data: string | null;
  status: RunStatus;
  stages: StageRecord[];
}

/** Readable id, sortable to the second: 20261124-081503-a3f9c1 (lists sort by startedAt, in ms). */
export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${t}-${randomBytes(3).toString("hex")}`;
}

/** A "running" record whose process is gone was interrupted (kill -9, power loss). */
function settle(r: RunRecord): RunRecord {
  return r.status === "running" && r.pid !== process.pid && !isAlive(r.pid) ? { ...r, status: "interrupted" } : r;
}

export class Records implements RunLog {
  constructor(private readonly db: Db) {}

  async put(record: RunRecord): Promise<void> {
    await this.db.kv.set(`run:${record.id}`, record);
  }

  async get(id: string): Promise<RunRecord | undefined> {
    const r = await this.db.kv.get<RunRecord>(`run:${id}`);
    return r && settle(r);
  }

  /** All records, newest first. */
  async list(limit = Infinity): Promise<RunRecord[]> {
    const rows = await this.db.query<{ value: string }>(
      `SELECT value FROM keyv WHERE key LIKE 'dfd:run:%' ORDER BY json_extract(value, '$.value.startedAt') DESC, key DESC${Number.isFinite(limit) ? ` LIMIT ${Math.floor(limit)}` : ""}`,
    );
    return rows.map((r) => settle((JSON.parse(r.value) as { value: RunRecord }).value));
  }

  async latest(): Promise<RunRecord | undefined> {
    return (await this.list(1))[0];
  }

  /** A run by what a user types: its id, a unique prefix of it, `latest`, or `latest~N` (N runs
   * before the latest). Throws naming the candidates when a prefix is ambiguous. */
  async resolve(ref: string): Promise<RunRecord> {
    const latest = /^latest(?:~(\d+))?$/.exec(ref);
    if (latest) {
      const back = Number(latest[1] ?? 0);
      const runs = await this.list(back + 1);
      if (!runs.length) throw new Error("no runs recorded yet: `dfd run` first");
      const run = runs[back];
      if (!run) throw new Error(`${ref}: only ${runs.length} run(s) recorded (latest~${runs.length - 1} is the oldest)`);
      return run;
    }
    const exact = await this.get(ref);
    if (exact) return exact;
    const rows = await this.db.query<{ value: string }>(
      "SELECT value FROM keyv WHERE key LIKE ? ESCAPE '\\' ORDER BY key DESC LIMIT 6",
      `dfd:run:${ref.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
    );
    const matches = rows.map((r) => settle((JSON.parse(r.value) as { value: RunRecord }).value));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1)
      throw new Error(`${ref}: ambiguous run id prefix, matches ${matches.slice(0, 5).map((r) => r.id).join(", ")}${matches.length > 5 ? ", …" : ""}`);
    throw new Error(`${ref}: no such run (see \`dfd runs\`; use an id, a unique prefix, latest or latest~N)`);
  }

  async delete(id: string): Promise<void> {
    await this.db.kv.delete(`run:${id}`);
  }
}
