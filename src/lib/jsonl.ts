// JSON Lines: one JSON object per line (videos.jsonl, predictions.jsonl).
import { readFileSync, writeFileSync } from "node:fs";

export function readJsonl<T>(path: string): T[] {
  const out: T[] = [];
  const lines = readFileSync(path, "utf8").split("\n");
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      throw new Error(`${path}:${i + 1}: not valid JSON: ${(e as Error).message}`);
    }
  });
  return out;
}

export function writeJsonl(path: string, rows: readonly unknown[]): void {
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : ""));
}
