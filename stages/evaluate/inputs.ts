// Reading what evaluate needs from upstream outputs, with errors that name the file at fault.
// diagnostics.json is read by src/artifacts/diagnostics.ts; train's history.json here, tolerantly,
// since it is for display.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readJsonFile } from "../../src/artifacts/json.js";
import type { ReportHistory } from "../../src/report/evaluate.js";

/** The train stage's history.json as the report draws it; null when absent. Accepts per-epoch rows
 * under `epochs` (or `history`) with `train_loss`/`loss` and `val_loss`, and the kept epoch as
 * `chosen_epoch`/`best_epoch`. */
export function readHistory(trainDir: string): ReportHistory | null {
  const file = join(trainDir, "history.json");
  if (!existsSync(file)) return null;
  const h = readJsonFile<Record<string, unknown>>(file, "the train stage's training history");
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
