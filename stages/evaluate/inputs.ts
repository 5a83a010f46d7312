// Reading what evaluate needs from upstream outputs, with errors that name the file at fault.
// The formats are the pinned artifact contracts (extract's videos.jsonl, split.json, train's
// history.json, diagnose's diagnostics.json); history is read tolerantly since it is for display.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readJsonl } from "../../src/lib/jsonl.js";
import type { Finding } from "../../src/stage.js";
import type { ReportHistory } from "../../src/report/evaluate.js";

export interface VideoRow {
  id: string;
  path: string;
  label: "real" | "fake";
  source: string | null;
  features: string | null;
  frames: number;
  error: string | null;
}

export interface SplitFile {
  train: string[];
  val: string[];
  test: string[];
}

export function readJson<T>(file: string, what: string): T {
  if (!existsSync(file)) throw new Error(`${file}: missing (${what})`);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${what}): ${(e as Error).message}`);
  }
}

export function readSplit(splitDir: string): SplitFile {
  const file = join(splitDir, "split.json");
  const s = readJson<Partial<Record<string, unknown>>>(file, "the split stage's output");
  const list = (k: string): string[] => {
    const v = s[k] ?? [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new Error(`${file}: "${k}" must be a list of clip ids`);
    return v as string[];
  };
  return { train: list("train"), val: list("val"), test: list("test") };
}

export function readVideos(extractDir: string): Map<string, VideoRow> {
  const file = join(extractDir, "videos.jsonl");
  if (!existsSync(file)) throw new Error(`${file}: missing (the extract stage's output)`);
  const out = new Map<string, VideoRow>();
  readJsonl<Partial<VideoRow>>(file).forEach((r, i) => {
    if (typeof r.id !== "string" || (r.label !== "real" && r.label !== "fake"))
      throw new Error(`${file}:${i + 1}: a row needs a string "id" and a "label" of "real" or "fake"`);
    out.set(r.id, {
      id: r.id,
      path: typeof r.path === "string" ? r.path : r.id,
      label: r.label,
      source: typeof r.source === "string" && r.source ? r.source : null,
      features: typeof r.features === "string" ? r.features : null,
      frames: typeof r.frames === "number" ? r.frames : 0,
      error: typeof r.error === "string" ? r.error : null,
    });
  });
  return out;
}

/** diagnose's findings, or null when no diagnose stage was given. */
export function readFindings(diagnoseDir: string | undefined): Finding[] | null {
  if (!diagnoseDir) return null;
  const file = join(diagnoseDir, "diagnostics.json");
  const d = readJson<{ findings?: unknown }>(file, "the diagnose stage's output");
  if (!Array.isArray(d.findings)) throw new Error(`${file}: "findings" must be a list`);
  return d.findings as Finding[];
}

/** The train stage's history.json as the report draws it; null when absent. Accepts per-epoch rows
 * under `epochs` (or `history`) with `train_loss`/`loss` and `val_loss`, and the kept epoch as
 * `chosen_epoch`/`best_epoch`. */
export function readHistory(trainDir: string): ReportHistory | null {
  const file = join(trainDir, "history.json");
  if (!existsSync(file)) return null;
  const h = readJson<Record<string, unknown>>(file, "the train stage's training history");
  const rows = (Array.isArray(h.epochs) ? h.epochs : Array.isArray(h.history) ? h.history : []) as Record<string, unknown>[];
  const n = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const epochs = rows.map((r, i) => ({
    epoch: n(r.epoch) ?? i + 1,
    train_loss: n(r.train_loss) ?? n(r.loss),
    val_loss: n(r.val_loss),
    val_auc: n(r.val_auc),
  }));
  return {
    epochs,
    chosen_epoch: n(h.chosen_epoch) ?? n(h.best_epoch),
    backend: typeof h.backend === "string" ? h.backend : undefined,
    seconds: n(h.seconds) ?? undefined,
    stopped_early: typeof h.stopped_early === "boolean" ? h.stopped_early : undefined,
    ms_per_step: n(h.ms_per_step) ?? undefined,
    threshold_source: typeof h.threshold_source === "string" ? h.threshold_source : undefined,
  };
}
