// Config errors as values: file + line:col + message, rendered with the source line and a squiggle
// under the bad span (wireit's style). Positions are 1-based; `length` is the underline width.
import { relative } from "node:path";

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  length: number;
  message: string;
  /** The text of the offending line, for the caret display. */
  source?: string;
}

/** Thrown for anything wrong in pipeline.yaml or in the command line; the CLI exits 2.
 * `diagnostics` are located in the file; `notes` are errors without a position (--set, flags). */
export class ConfigError extends Error {
  readonly diagnostics: Diagnostic[];
  readonly notes: string[];
  constructor(diagnostics: Diagnostic[] | string, notes: string[] = []) {
    const list = typeof diagnostics === "string" ? [] : diagnostics;
    const allNotes = typeof diagnostics === "string" ? [diagnostics, ...notes] : notes;
    super([...list.map((d) => renderDiagnostic(d)), ...allNotes].join("\n"));
    this.diagnostics = list;
    this.notes = allNotes;
    this.name = "ConfigError";
  }

  /** Diagnostics rendered relative to `cwd`, then the notes. */
  render(cwd = process.cwd()): string {
    return [...this.diagnostics.map((d) => renderDiagnostic(d, cwd)), ...this.notes].join("\n");
  }
}

/** `pipeline.yaml:3:5: message` then the line and a `^^^^` underline. */
export function renderDiagnostic(d: Diagnostic, cwd = process.cwd()): string {
  const shown = relative(cwd, d.file) || d.file;
  const head = `${shown.startsWith("..") ? d.file : shown}:${d.line}:${d.col}: ${d.message}`;
  if (d.source === undefined) return head;
  const gutter = String(d.line);
  const pad = " ".repeat(gutter.length);
  const width = Math.max(1, Math.min(d.length, d.source.length - d.col + 1 || 1));
  return `${head}\n ${gutter} | ${d.source}\n ${pad} | ${" ".repeat(d.col - 1)}${"^".repeat(width)}`;
}

/** Edit distance counting an adjacent transposition as one edit ("trian" → "train"), for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/** The nearest candidate when it is plausibly a typo (distance ≤ max(1, len/3)), else undefined. */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(Math.max(word.length, best.length) / 3)) ? best : undefined;
}

/** ` (did you mean "x"?)` or "". */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const n = nearest(word, candidates);
  return n === undefined ? "" : ` (did you mean "${n}"?)`;
}
