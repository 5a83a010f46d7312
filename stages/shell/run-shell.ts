// Runs a shell stage's command in its own process group so Ctrl-C / abort kills the whole child
// tree (sh, and whatever it started), streaming stdout+stderr into the stage's log file.
import { spawn } from "node:child_process";
import { createWriteStream, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StageContext } from "../../src/stage.js";
import type { ShellParams } from "./index.js";

/** Environment variable name for a needed stage's input dir: DFD_INPUT_<NAME>, - → _. */
export function inputEnvName(stage: string): string {
  return `DFD_INPUT_${stage.toUpperCase().replace(/[^A-Z0-9_]/g, "_")}`;
}

const TAIL_LINES = 12;

export async function runShell(ctx: StageContext<ShellParams>): Promise<void> {
  const { command, deps: _deps, ...free } = ctx.params;
  const paramsFile = join(ctx.tmpDir, "params.json");
  writeFileSync(paramsFile, JSON.stringify(free, null, 2) + "\n");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DFD_OUT: ctx.outDir,
    DFD_TMP: ctx.tmpDir,
    DFD_PARAMS: paramsFile,
    DFD_STAGE: ctx.name,
    DFD_PROJECT: ctx.projectDir,
  };
  if (ctx.data !== undefined) env.DFD_DATA = ctx.data;
  else delete env.DFD_DATA;
  for (const input of ctx.inputs) env[inputEnvName(input.name)] = input.dir;

  const log = createWriteStream(ctx.logFile, { flags: "a" });
  // An unwritable log (its directory deleted mid-run, a full disk) fails the stage after the
  // command, with a message — never an unhandled 'error' event that kills dfd.
  let logError: Error | undefined;
  log.on("error", (e) => { logError ??= e; });
  const tail: string[] = [];
  let partial = "";
  const keepTail = (chunk: Buffer) => {
    const text = partial + chunk.toString("utf8");
    const lines = text.split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) if (l.trim()) tail.push(l);
    if (tail.length > TAIL_LINES) tail.splice(0, tail.length - TAIL_LINES);
    const last = lines.filter((l) => l.trim()).pop();
    if (last) ctx.progress(0, 0, last.slice(0, 100));
  };

  const child = spawn("sh", ["-c", command], { cwd: ctx.projectDir, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout.on("data", (c: Buffer) => { log.write(c); keepTail(c); });
  child.stderr.on("data", (c: Buffer) => { log.write(c); keepTail(c); });

  // Kill the whole process group: SIGTERM, then SIGKILL if it lingers.
  let killTimer: NodeJS.Timeout | undefined;
  const killTree = () => {
    if (child.pid === undefined || child.exitCode !== null) return;
    try { process.kill(-child.pid, "SIGTERM"); } catch { /* already gone */ }
    killTimer = setTimeout(() => { try { process.kill(-child.pid!, "SIGKILL"); } catch { /* gone */ } }, 2000);
    killTimer.unref();
  };
  if (ctx.signal.aborted) killTree();
  ctx.signal.addEventListener("abort", killTree, { once: true });

  const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (c, s) => resolve([c, s]));
  }).finally(() => {
    ctx.signal.removeEventListener("abort", killTree);
    if (killTimer) clearTimeout(killTimer);
  });
  if (partial.trim()) tail.push(partial);
  await new Promise<void>((r) => log.end(() => r()));
  if (ctx.signal.aborted) throw new Error("interrupted");
  if (logError) throw new Error(`cannot write the stage log ${ctx.logFile}: ${logError.message}`);
  if (code !== 0) {
    const why = sig ? `was killed by ${sig}` : `exited with code ${code}`;
    const last = tail.slice(-6).map((l) => `  | ${l}`).join("\n");
    throw new Error(`command ${why}: ${command}${last ? `\n${last}` : ""}`);
  }
}
