// Finds the ffmpeg and ffprobe binaries. Order: FFMPEG_PATH / FFPROBE_PATH, then the system's (on
// PATH), then the static builds shipped by @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe.
// We spawn the binaries ourselves: fluent-ffmpeg was deprecated and archived in May 2025.
import { execFile } from "node:child_process";
import { accessSync, constants, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir, tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";

export interface Binary {
  path: string;
  /** Where it was found: "env FFMPEG_PATH", "PATH", "npm @ffmpeg-installer/ffmpeg". */
  origin: string;
}

const cache = new Map<string, Binary>();

export function ffmpegBinary(): Binary {
  return find("ffmpeg", "FFMPEG_PATH", "@ffmpeg-installer/ffmpeg");
}

export function ffprobeBinary(): Binary {
  return find("ffprobe", "FFPROBE_PATH", "@ffprobe-installer/ffprobe");
}

function find(name: string, envVar: string, npmPackage: string): Binary {
  const hit = cache.get(name);
  if (hit) return hit;
  const found = lookup(name, envVar, npmPackage);
  cache.set(name, found);
  return found;
}

function lookup(name: string, envVar: string, npmPackage: string): Binary {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`${envVar}=${fromEnv} is not an executable file`);
    return { path: fromEnv, origin: `env ${envVar}` };
  }
  const exe = process.platform === "win32" ? `${name}.exe` : name;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, exe);
    if (isExecutable(candidate)) return { path: candidate, origin: "PATH" };
  }
  try {
    const require = createRequire(import.meta.url);
    const pkg = require(npmPackage) as { path?: string };
    if (pkg.path && isExecutable(pkg.path)) return { path: pkg.path, origin: `npm ${npmPackage}` };
  } catch {
    // not installed (it is an ordinary dependency, but a platform build may be missing)
  }
  throw new Error(
    `${name} not found: set ${envVar}, put ${name} on PATH, or install ${npmPackage} (a dependency of dfd)`,
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Versions, for the stages' environment block (a different ffmpeg makes extract and demo stale).
// Spawning `ffmpeg -version` costs 20 ms to ~1 s (a dynamically linked build on a busy machine),
// and a fully cached `dfd run` must stay fast: answers are kept per process and, across
// processes, in a small cache file keyed by the binary's path, size and mtime.

export type Tool = "ffmpeg" | "ffprobe";

const versions = new Map<string, Promise<string>>();

/** The version strings of the binaries dfd uses, e.g. { ffmpeg: "5.1.6-0+deb12u1", ffprobe: ... }. */
export async function toolVersions(tools: readonly Tool[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const got = await Promise.all(tools.map((t) => toolVersion(t)));
  tools.forEach((t, i) => (out[t] = got[i]!));
  return out;
}

/** The version string of ffmpeg or ffprobe as found by ffmpegBinary()/ffprobeBinary(). */
export function toolVersion(tool: Tool): Promise<string> {
  const bin = (tool === "ffmpeg" ? ffmpegBinary() : ffprobeBinary()).path;
  let st;
  try {
    st = statSync(bin);
  } catch (e) {
    return Promise.reject(new Error(`${tool} at ${bin}: ${(e as Error).message}`));
  }
  const key = `${bin}|${st.size}|${st.mtimeMs}`;
  let p = versions.get(key);
  if (!p) {
    p = cachedVersion(key, tool, bin);
    versions.set(key, p);
    p.catch(() => versions.delete(key));
  }
  return p;
}

/** The cross-process cache file (DFD_CACHE_DIR, else $XDG_CACHE_HOME/dfd, else ~/.cache/dfd). */
function versionCacheFile(): string {
  const dir = process.env.DFD_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME || join(homedir() || tmpdir(), ".cache"), "dfd");
  return join(dir, "tool-versions.json");
}

function readVersionCache(file: string): Record<string, string> {
  try {
    const x = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return x && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, string>) : {};
  } catch {
    return {};
  }
}

async function cachedVersion(key: string, tool: Tool, bin: string): Promise<string> {
  const file = versionCacheFile();
  const hit = readVersionCache(file)[key];
  if (typeof hit === "string" && hit) return hit;
  const version = await runVersion(tool, bin);
  try {
    // Re-read, add, write atomically (another process may have added its own answers meanwhile).
    const all = { ...readVersionCache(file), [key]: version };
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(all, null, 1) + "\n");
    renameSync(tmp, file);
  } catch {
    // a read-only home: the per-process cache still holds the answer
  }
  return version;
}

function runVersion(tool: Tool, bin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, ["-version"], { timeout: 30_000 }, (err, stdout) => {
      if (err) return reject(new Error(`${tool} at ${bin} did not run (\`${tool} -version\`): ${err.message.split("\n")[0]}`));
      resolve(parseVersion(tool, stdout));
    });
  });
}

/** "ffmpeg version 5.1.6-0+deb12u1 Copyright (c) ..." → "5.1.6-0+deb12u1". */
export function parseVersion(tool: string, text: string): string {
  const first = text.split("\n")[0]!.trim();
  const m = new RegExp(`^${tool} version (\\S+)`).exec(first);
  return m ? m[1]! : first || "unknown";
}
