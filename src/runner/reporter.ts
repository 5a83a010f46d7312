// Events from the executor, rendered for people. One interface, two renderers: a live TTY view
// (one line per running stage, redrawn) and plain log lines (pipes, CI). The JSON output of
// `--json` is built from the final RunResult, not from these events.
import type { Severity } from "../stage.js";
import type { LockInfo } from "./lock.js";
import type { StageOutcome } from "./plan.js";
import { renderReasons } from "./reasons.js";

export interface Reporter {
  waiting(holder: LockInfo): void;
  takeover(holder: LockInfo): void;
  stageStart(name: string, kind: string, reasons: string[]): void;
  stageProgress(name: string, done: number, total: number, note?: string): void;
  stageLog(name: string, level: "debug" | "info" | "warn" | "error", msg: string): void;
  stageEnd(o: StageOutcome): void;
  /** Called once before the summary is printed. */
  close(): void;
}

type Write = (s: string) => void;

const sec = (s: number) => (s < 10 ? s.toFixed(1) : s.toFixed(0)) + "s";
const progressText = (done: number, total: number, note?: string) =>
  [total > 0 ? `${done}/${total} (${Math.floor((100 * done) / total)}%)` : "", note ?? ""].filter(Boolean).join(" ");

const waitingLine = (h: LockInfo) => `waiting for PID ${h.pid} (dfd run started ${h.startedAt}${h.runId ? `, run ${h.runId}` : ""}) to finish…`;

/** Plain lines: one when a stage starts, its warnings, one when it ends. */
export function plainReporter(write: Write): Reporter {
  const lastNote = new Map<string, number>();
  return {
    waiting: (h) => write(`dfd: ${waitingLine(h)}\n`),
    takeover: (h) => write(`dfd: taking over a stale lock from PID ${h.pid} (not running)\n`),
    stageStart: (name, kind, reasons) => write(`▶ ${name} (${kind})${reasons.length ? `: ${reasons.join("; ")}` : ""}\n`),
    stageProgress(name, done, total, note) {
      // Rate-limited: at most one progress line per stage every 5 s.
      const now = Date.now();
      if (now - (lastNote.get(name) ?? 0) < 5000) return;
      lastNote.set(name, now);
      write(`  ${name}: ${progressText(done, total, note)}\n`);
    },
    stageLog: (name, level, msg) => { if (level === "warn" || level === "error") write(`  ${name}: ${level}: ${msg}\n`); },
    stageEnd: (o) => {
      if (o.status === "cached") write(`✓ ${o.name}: cached\n`);
      else if (o.status === "ran") write(`✓ ${o.name}: ran in ${sec(o.seconds)}\n`);
      else if (o.status === "failed") write(`✗ ${o.name}: failed after ${sec(o.seconds)}: ${firstLine(o.error)}\n`);
      else if (o.status === "skipped") write(`- ${o.name}: skipped (${renderReasons(o.reasons).join("; ")})\n`);
    },
    close: () => {},
  };
}

/** Live view: a block of lines, one per running stage, redrawn in place every 100 ms. */
export function ttyReporter(write: Write, columns = () => process.stderr.columns || 100): Reporter {
  const plain = plainReporter(write);
  const running = new Map<string, { start: number; text: string }>();
  let drawn = 0;
  const clear = () => {
    if (drawn) write(`\x1b[${drawn}A\x1b[J`);
    drawn = 0;
  };
  const draw = () => {
    clear();
    const w = columns() - 1;
    const lines = [...running].map(([name, r]) => `  ⠿ ${name} ${sec((Date.now() - r.start) / 1000)} ${r.text}`.slice(0, w));
    if (lines.length) write(lines.join("\n") + "\n");
    drawn = lines.length;
  };
  const timer = setInterval(draw, 100);
  timer.unref();
  const above = (f: () => void) => { clear(); f(); draw(); };
  return {
    waiting: (h) => above(() => plain.waiting(h)),
    takeover: (h) => above(() => plain.takeover(h)),
    stageStart: (name, kind, reasons) => above(() => { plain.stageStart(name, kind, reasons); running.set(name, { start: Date.now(), text: "" }); }),
    stageProgress: (name, done, total, note) => { const r = running.get(name); if (r) r.text = progressText(done, total, note); },
    stageLog: (name, level, msg) => {
      if (level === "warn" || level === "error") above(() => plain.stageLog(name, level, msg));
      else { const r = running.get(name); if (r) r.text = msg; }
    },
    stageEnd: (o) => above(() => { running.delete(o.name); plain.stageEnd(o); }),
    close: () => { clearInterval(timer); clear(); },
  };
}

const firstLine = (s?: string) => (s ?? "").split("\n")[0];
const MARK: Record<Severity, string> = { info: "ℹ", warn: "⚠", error: "✖" };

/** The table printed at the end of a run, with each stage's summary lines and findings. */
export function summaryTable(outcomes: StageOutcome[], runId: string | undefined): string {
  const rows = outcomes.map((o) => [o.name, o.status, o.status === "ran" || o.status === "failed" ? o.seconds.toFixed(1) : "-", notes(o)]);
  const head = ["stage", "status", "seconds", "notes"];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 3 ? c : c.padEnd(width[i]!))).join("  ").trimEnd();
  const out = [fmt(head), fmt(width.map((w) => "-".repeat(Math.min(w, 40))))];
  for (const [i, r] of rows.entries()) {
    out.push(fmt(r));
    const o = outcomes[i]!;
    for (const l of o.summary?.lines ?? []) out.push(`    ${l}`);
    for (const f of o.summary?.findings ?? []) out.push(`    ${MARK[f.severity]} ${f.severity}: ${f.reason}${f.advice ? ` — ${f.advice}` : ""}`);
    if (o.status === "failed") {
      for (const l of (o.error ?? "").split("\n").slice(1)) out.push(`    ${l}`);
      if (o.log) out.push(`    log: ${o.log}`);
    }
  }
  if (runId) out.push(`run ${runId}`);
  return out.join("\n") + "\n";
}

function notes(o: StageOutcome): string {
  if (o.status === "ran" || o.status === "would-run" || o.status === "skipped") return renderReasons(o.reasons).join("; ");
  if (o.status === "failed") return firstLine(o.error) ?? "";
  return "";
}
