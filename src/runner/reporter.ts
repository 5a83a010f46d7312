// Events from the executor, rendered for people. One interface, two renderers: a live TTY view
// (one line per running stage, redrawn) and plain log lines (pipes, CI). The JSON output of
// `--json` is built from the final RunResult, not from these events.
import type { Finding, Severity } from "../stage.js";
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

/** Plain progress: nothing for a stage's first 2 s (a quick stage prints no fraction at all), then
 * at most one line per 5 s. */
const PROGRESS_AFTER_MS = 2000;
const PROGRESS_EVERY_MS = 5000;

/** Plain lines: one when a stage starts, its warnings, one when it ends. Progress lines only for a
 * stage that has run for `PROGRESS_AFTER_MS`, at most one per `PROGRESS_EVERY_MS`; the last
 * progress a stage reported is printed before its end line when the printed one is behind, so a
 * log never ends on a stale fraction. */
export function plainReporter(write: Write, now: () => number = Date.now): Reporter {
  const started = new Map<string, number>();
  const printedAt = new Map<string, number>();
  const printed = new Map<string, string>();
  const latest = new Map<string, string>();
  const print = (name: string, text: string) => {
    printedAt.set(name, now());
    printed.set(name, text);
    write(`  ${name}: ${text}\n`);
  };
  return {
    waiting: (h) => write(`dfd: ${waitingLine(h)}\n`),
    takeover: (h) => write(`dfd: taking over a stale lock from PID ${h.pid} (not running)\n`),
    stageStart: (name, kind, reasons) => {
      started.set(name, now());
      write(`▶ ${name} (${kind})${reasons.length ? `: ${reasons.join("; ")}` : ""}\n`);
    },
    stageProgress(name, done, total, note) {
      const text = progressText(done, total, note);
      latest.set(name, text);
      const t = now();
      if (t - (started.get(name) ?? t) < PROGRESS_AFTER_MS || t - (printedAt.get(name) ?? 0) < PROGRESS_EVERY_MS) return;
      print(name, text);
    },
    stageLog: (name, level, msg) => { if (level === "warn" || level === "error") write(`  ${name}: ${level}: ${msg}\n`); },
    stageEnd: (o) => {
      const last = latest.get(o.name);
      if (printed.has(o.name) && last !== undefined && last !== printed.get(o.name)) print(o.name, last);
      for (const m of [started, printedAt, printed, latest]) m.delete(o.name);
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
    const findings = o.summary?.findings ?? [];
    // A cached stage's findings were listed in full when it ran: one line here (--json, the run
    // record and `dfd why <stage>` keep them all).
    if (o.status === "cached" && findings.length) out.push(`    ${findingsLine(findings)} (cached; \`dfd why ${o.name}\` lists ${findings.length === 1 ? "it" : "them"})`);
    else for (const f of findings) out.push(`    ${renderFinding(f)}`);
    if (o.status === "failed") {
      for (const l of (o.error ?? "").split("\n").slice(1)) out.push(`    ${l}`);
      if (o.log) out.push(`    log: ${o.log}`);
    }
  }
  if (runId) out.push(`run ${runId}`);
  return out.join("\n") + "\n";
}

/** `⚠ warn: reason — advice`. */
export function renderFinding(f: Finding): string {
  return `${MARK[f.severity]} ${f.severity}: ${f.reason}${f.advice ? ` — ${f.advice}` : ""}`;
}

/** `✖ 5 errors, 2 warnings, 1 note`, marked by the most severe. */
export function findingsLine(findings: readonly Finding[]): string {
  const n = (s: Severity) => findings.filter((f) => f.severity === s).length;
  const parts = ([["error", "error"], ["warn", "warning"], ["info", "note"]] as const)
    .filter(([s]) => n(s) > 0)
    .map(([s, word]) => `${n(s)} ${word}${n(s) === 1 ? "" : "s"}`);
  const worst = n("error") ? "error" : n("warn") ? "warn" : "info";
  return `${MARK[worst]} ${parts.join(", ")}`;
}

function notes(o: StageOutcome): string {
  if (o.status === "ran" || o.status === "would-run" || o.status === "skipped") return renderReasons(o.reasons).join("; ");
  if (o.status === "failed") return firstLine(o.error) ?? "";
  return "";
}
