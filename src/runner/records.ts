// Run records: one per `dfd run`, in the same keyv store as the cache index. Written when the run
// starts (status "running") and updated as each stage finishes, so a crash still leaves a record
// (shown as "interrupted" once its process is gone). `why`, and later `runs`/`compare`/`gc`, read
// them through this small API.
import { randomBytes } from "node:crypto";
import type { Json } from "../params.js";
import type { StageSummary } from "../stage.js";
import type { Db } from "./db.js";

export type RunStatus = "running" | "ok" | "failed" | "interrupted";
export type StageStatus = "ran" | "cached" | "failed" | "skipped";

export interface StageRecord {
  name: string;
  kind: string;
  key: string | null;
  status: StageStatus;
  reasons: string[];
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

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** A "running" record whose process is gone was interrupted (kill -9, power loss). */
function settle(r: RunRecord): RunRecord {
  return r.status === "running" && r.pid !== process.pid && !alive(r.pid) ? { ...r, status: "interrupted" } : r;
}

export class Records {
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

  /** The one record whose id starts with `prefix`; throws when none or several match. */
  async find(prefix: string): Promise<RunRecord> {
    const rows = await this.db.query<{ value: string }>(
      "SELECT value FROM keyv WHERE key LIKE ? ESCAPE '\\' ORDER BY key DESC LIMIT 3",
      `dfd:run:${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
    );
    if (rows.length === 0) throw new Error(`no run with id ${prefix}`);
    if (rows.length > 1) throw new Error(`run id ${prefix} is ambiguous: give more characters`);
    return settle((JSON.parse(rows[0]!.value) as { value: RunRecord }).value);
  }

  async delete(id: string): Promise<void> {
    await this.db.kv.delete(`run:${id}`);
  }
}
