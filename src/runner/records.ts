// Run records: one per `dfd run`, in the cache database (table `runs`). Written when the run starts
// (status "running") and updated as each stage finishes, so a crash still leaves a record (shown
// as "interrupted" once its process is gone). Each row keeps the whole record and a digest of it
// (what listings need: no reasons, logs or stage summaries beyond metrics, facts and finding
// counts), indexed by start time, so `dfd runs` over 1 000 runs reads only the digests it shows and
// `latest~N` is one index step. All the SQL of run records is in this file.
import { randomBytes } from "node:crypto";
import type { Json } from "../params.js";
import type { StageSummary } from "../stage.js";
import type { Db } from "./db.js";
import { ConfigError } from "./diagnostic.js";
import type { Reason } from "./reasons.js";
import { isAlive } from "./lock.js";
import type { RunLog } from "./store-api.js";

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

/** A stage as listings see it: its record without reasons, log, error and summary, except the
 * summary's metrics, facts and how many error/warn findings it had. */
export interface StageDigest extends Pick<StageRecord, "name" | "kind" | "key" | "status" | "seconds" | "params" | "outputHash"> {
  metrics: Record<string, number>;
  facts: Record<string, string | number | boolean>;
  findings: { error: number; warn: number };
}

/** A run as listings see it (`dfd runs`, gc): small whatever the stages' summaries hold. */
export interface RunDigest extends Omit<RunRecord, "stages" | "pipeline"> {
  stages: StageDigest[];
}

export function digestOf(r: RunRecord): RunDigest {
  const { stages, pipeline: _pipeline, ...head } = r;
  return {
    ...head,
    stages: stages.map((s) => {
      const findings = { error: 0, warn: 0 };
      for (const f of s.summary?.findings ?? []) if (f.severity === "error" || f.severity === "warn") findings[f.severity]++;
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(s.summary?.metrics ?? {})) if (typeof v === "number") metrics[k] = v;
      return {
        name: s.name, kind: s.kind, key: s.key, status: s.status, seconds: s.seconds, params: s.params, outputHash: s.outputHash,
        metrics, facts: { ...(s.summary?.facts ?? {}) }, findings,
      };
    }),
  };
}

/** Readable id, sortable to the second: 20261124-081503-a3f9c1 (lists sort by startedAt, in ms). */
export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${t}-${randomBytes(3).toString("hex")}`;
}

/** A "running" record whose process is gone was interrupted (kill -9, power loss). */
function settle<T extends { status: RunStatus; pid: number }>(r: T): T {
  return r.status === "running" && r.pid !== process.pid && !isAlive(r.pid) ? { ...r, status: "interrupted" } : r;
}

const ORDER = "ORDER BY started_at DESC, id DESC";

/** Creates the table once per connection, and moves records kept by older versions (keyv rows
 * `dfd:run:<id>`) into it. */
const ready = new WeakMap<Db, Promise<void>>();
function prepare(db: Db): Promise<void> {
  let p = ready.get(db);
  if (!p) {
    p = (async () => {
      await db.query("CREATE TABLE IF NOT EXISTS runs(id TEXT PRIMARY KEY, started_at TEXT NOT NULL, digest TEXT NOT NULL, record TEXT NOT NULL)");
      await db.query("CREATE INDEX IF NOT EXISTS runs_by_start ON runs(started_at, id)");
      const old = await db.query<{ key: string; value: string }>("SELECT key, value FROM keyv WHERE key >= 'dfd:run:' AND key < 'dfd:run;'");
      if (!old.length) return;
      const rows = old.map((o) => (JSON.parse(o.value) as { value: RunRecord }).value).map((r) => [r.id, r.startedAt, JSON.stringify(digestOf(r)), JSON.stringify(r)]);
      await db.query(
        `INSERT OR IGNORE INTO runs(id, started_at, digest, record)
           SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]') FROM json_each(?) AS j`,
        JSON.stringify(rows),
      );
      await db.query("DELETE FROM keyv WHERE key >= 'dfd:run:' AND key < 'dfd:run;'");
    })();
    ready.set(db, p);
  }
  return p;
}

export class Records implements RunLog {
  constructor(private readonly db: Db) {}

  private async query<T>(sql: string, ...params: unknown[]): Promise<T[]> {
    await prepare(this.db);
    return this.db.query<T>(sql, ...params);
  }

  async put(record: RunRecord): Promise<void> {
    await this.query(
      `INSERT INTO runs(id, started_at, digest, record) VALUES (?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET started_at = excluded.started_at, digest = excluded.digest, record = excluded.record`,
      record.id, record.startedAt, JSON.stringify(digestOf(record)), JSON.stringify(record),
    );
  }

  async get(id: string): Promise<RunRecord | undefined> {
    const [row] = await this.query<{ record: string }>("SELECT record FROM runs WHERE id = ?", id);
    return row && settle(JSON.parse(row.record) as RunRecord);
  }

  /** Whole records, newest first. */
  async list(limit = Infinity): Promise<RunRecord[]> {
    const rows = await this.query<{ record: string }>(`SELECT record FROM runs ${ORDER}${limitSql(limit)}`);
    return rows.map((r) => settle(JSON.parse(r.record) as RunRecord));
  }

  /** Digests, newest first, skipping the newest `offset`. */
  async digests(limit = Infinity, offset = 0): Promise<RunDigest[]> {
    const rows = await this.query<{ digest: string }>(`SELECT digest FROM runs ${ORDER}${limitSql(limit, offset)}`);
    return rows.map((r) => settle(JSON.parse(r.digest) as RunDigest));
  }

  async latest(): Promise<RunRecord | undefined> {
    return (await this.list(1))[0];
  }

  /** A run by what a user types: its id, a unique prefix of it, `latest`, or `latest~N` (N runs
   * before the latest). A ref that names no run (or, as a prefix, several) is bad input: it throws
   * a ConfigError (exit 2) that says what would have worked. */
  async resolve(ref: string): Promise<RunRecord> {
    const latest = /^latest(?:~(\d+))?$/.exec(ref);
    if (latest) {
      const back = Number(latest[1] ?? 0);
      const [row] = await this.query<{ record: string }>(`SELECT record FROM runs ${ORDER} LIMIT 1 OFFSET ?`, back);
      if (row) return settle(JSON.parse(row.record) as RunRecord);
      const [{ n }] = await this.query<{ n: number }>("SELECT count(*) AS n FROM runs") as [{ n: number }];
      if (!n) throw new ConfigError(`${ref}: no runs recorded yet: \`dfd run\` first`);
      throw new ConfigError(`${ref}: only ${n} run(s) recorded (latest~${n - 1} is the oldest)`);
    }
    const exact = await this.get(ref);
    if (exact) return exact;
    // A prefix: the ids in [ref, ref + U+FFFF) (ids are ASCII).
    const rows = await this.query<{ id: string }>("SELECT id FROM runs WHERE id > ? AND id < ? ORDER BY id DESC LIMIT 6", ref, `${ref}\uffff`);
    if (rows.length === 1) return (await this.get(rows[0]!.id))!;
    if (rows.length > 1)
      throw new ConfigError(`${ref}: ambiguous run id prefix, matches ${rows.slice(0, 5).map((r) => r.id).join(", ")}${rows.length > 5 ? ", …" : ""}`);
    throw new ConfigError(`${ref}: no such run (see \`dfd runs\`; use an id, a unique prefix, latest or latest~N)`);
  }

  async delete(id: string): Promise<void> {
    await this.query("DELETE FROM runs WHERE id = ?", id);
  }
}

function limitSql(limit: number, offset = 0): string {
  const l = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : -1;
  return l < 0 && !offset ? "" : ` LIMIT ${l} OFFSET ${Math.max(0, Math.floor(offset))}`;
}
