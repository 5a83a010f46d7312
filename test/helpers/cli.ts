// Runs the real dfd CLI (bin/dfd.js → dist/) in temp project dirs. `npm test` builds dist/ first;
// when running a subset by hand, `npm run build` before.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../bin/dfd.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temp project with the given files (path → content); removed when the process exits. */
export function project(files: Record<string, string>): string {
  const dir = tempDir("dfd-test-");
  writeFiles(dir, files);
  return dir;
}

/** A new temp directory, removed when the process exits. One exit listener serves them all (one
 * listener per directory tripped Node's MaxListenersExceededWarning after ten). */
export function tempDir(prefix = "dfd-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (!tempDirs.size) process.once("exit", () => { for (const d of tempDirs) rmSync(d, { recursive: true, force: true }); });
  tempDirs.add(dir);
  return dir;
}
const tempDirs = new Set<string>();

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
}

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, CI: "1", ...extra };
  if (!("DFD_ARTIFACTS" in extra)) delete e.DFD_ARTIFACTS;
  return e;
}

export function dfd(dir: string, args: string[], extraEnv?: NodeJS.ProcessEnv): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env: env(extraEnv), encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The --json object: the last non-empty stdout line. */
export function lastJson<T = any>(r: CliResult): T {
  const line = r.stdout.trimEnd().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`last stdout line is not JSON: ${JSON.stringify(line)}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

/** dfd run --json, returning the parsed JSON plus stage status by name. */
export function run(dir: string, args: string[] = [], extraEnv?: NodeJS.ProcessEnv) {
  const r = dfd(dir, ["run", "--json", ...args], extraEnv);
  const json = lastJson<RunJson>(r);
  const status = Object.fromEntries(json.stages.map((s) => [s.name, s.status]));
  const reasons = Object.fromEntries(json.stages.map((s) => [s.name, s.reasons]));
  return { ...r, json, status, reasons };
}

export interface RunJson {
  run: string | null;
  status: "ok" | "failed" | "interrupted";
  stages: { name: string; status: string; key: string | null; reasons: string[]; seconds: number }[];
}

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

/** Starts dfd without waiting (lock, kill, signal tests). */
export function start(dir: string, args: string[], extraEnv?: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: env(extraEnv), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const done = new Promise<CliResult>((resolve) => child.on("close", (code, sig) => resolve({ code: code ?? (sig ? 128 + 9 : -1), stdout: out, stderr: err })));
  return { child, stdout: () => out, stderr: () => err, done };
}

/** Polls until `cond()` is true (or fails after `ms`). */
export async function until(cond: () => boolean, ms = 20_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
