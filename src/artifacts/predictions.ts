// The `predictions` artifact: evaluate's predictions.jsonl, one scored clip per line in split order
// (val, test, train). Written line by line as clips are scored (memory does not grow with the
// clip count); read by the report, users' scripts and anything comparing two models clip by clip.
//
//   {"id","path","label","source","split","score","predicted","frames","attention":[…]}
//
// `attention` has one weight per input frame, summing to 1 (rounded to 5 decimals).
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";

export const PREDICTIONS_FILE = "predictions.jsonl";

export interface Prediction {
  id: string;
  path: string;
  label: "real" | "fake";
  source: string | null;
  split: "train" | "val" | "test";
  /** P(fake). */
  score: number;
  /** fake when score >= the model's threshold. */
  predicted: "real" | "fake";
  frames: number;
  attention: number[];
}

/** Appends predictions to `<dir>/predictions.jsonl` as they come, buffered. */
export class PredictionsWriter {
  private fd: number;
  private buf: string[] = [];
  private size = 0;
  constructor(dir: string) {
    this.fd = openSync(join(dir, PREDICTIONS_FILE), "w");
  }
  write(p: Prediction): void {
    // field order is the artifact's: fixed, so the same scores give the same bytes
    const line = JSON.stringify({ id: p.id, path: p.path, label: p.label, source: p.source, split: p.split, score: p.score, predicted: p.predicted, frames: p.frames, attention: p.attention }) + "\n";
    this.buf.push(line);
    this.size += line.length;
    if (this.size > 1 << 20) this.flush();
  }
  private flush(): void {
    if (this.buf.length) writeSync(this.fd, this.buf.join(""));
    this.buf = [];
    this.size = 0;
  }
  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** Every line of predictions.jsonl, checked: `path:line: …` on a malformed one. */
export function readPredictions(dir: string): Prediction[] {
  const file = join(dir, PREDICTIONS_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new Error(`${file}: missing (the evaluate stage's predictions)`);
  }
  const out: Prediction[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let p: Prediction;
    try {
      p = JSON.parse(line) as Prediction;
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not valid JSON: ${(e as Error).message}`);
    }
    if (typeof p.id !== "string" || (p.label !== "real" && p.label !== "fake") || typeof p.score !== "number" || !["train", "val", "test"].includes(p.split))
      throw new Error(`${file}:${i + 1}: needs "id", "label" (real|fake), "split" (train|val|test) and a numeric "score"`);
    out.push(p);
  });
  return out;
}
