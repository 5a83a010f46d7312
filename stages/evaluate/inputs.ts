// Reading what evaluate needs from upstream outputs, with errors that name the file at fault:
// diagnose's findings here (until diagnose's artifact module lands), train's history.json through
// src/artifacts/model.ts.
import { join } from "node:path";
import { readJsonFile } from "../../src/artifacts/json.js";
import type { Finding } from "../../src/stage.js";

export { readHistory } from "../../src/artifacts/model.js";

/** diagnose's findings, or null when no diagnose stage was given. */
export function readFindings(diagnoseDir: string | undefined): Finding[] | null {
  if (!diagnoseDir) return null;
  const file = join(diagnoseDir, "diagnostics.json");
  const d = readJsonFile<{ findings?: unknown }>(file, "the diagnose stage's output");
  if (!Array.isArray(d.findings)) throw new Error(`${file}: "findings" must be a list`);
  return d.findings as Finding[];
}

/** split.json's resolved_findings (diagnose finding ids the split closes); [] when absent. Read
 * here until src/artifacts/split.ts's reader carries the field. */
export function readResolvedFindings(splitDir: string): string[] {
  const file = join(splitDir, "split.json");
  const v = readJsonFile<{ resolved_findings?: unknown }>(file, "the split stage's output").resolved_findings ?? [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new Error(`${file}: "resolved_findings" must be a list of finding ids`);
  return v as string[];
}
