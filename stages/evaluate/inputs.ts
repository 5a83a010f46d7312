// Reading what evaluate needs from upstream outputs, with errors that name the file at fault.
// The formats are the pinned artifact contracts (extract's videos.jsonl, split.json, train's
// history.json, diagnose's diagnostics.json); history is read tolerantly since it is for display.
import { join } from "node:path";
import { readJsonFile } from "../../src/artifacts/json.js";
import type { Finding } from "../../src/stage.js";

/** diagnose's findings, or null when no diagnose stage was given. */
export function readFindings(diagnoseDir: string | undefined): Finding[] | null {
  if (!diagnoseDir) return null;
  const file = join(diagnoseDir, "diagnostics.json");
  const d = readJsonFile<{ findings?: unknown }>(file, "the diagnose stage's output");
  if (!Array.isArray(d.findings)) throw new Error(`${file}: "findings" must be a list`);
  return d.findings as Finding[];
}

export { readHistory } from "../../src/artifacts/model.js";
