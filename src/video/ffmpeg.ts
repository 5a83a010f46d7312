// Finds the ffmpeg and ffprobe binaries. Order: FFMPEG_PATH / FFPROBE_PATH, then the system's (on
// PATH), then the static builds shipped by @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe.
// We spawn the binaries ourselves: fluent-ffmpeg was deprecated and archived in May 2025.
import { accessSync, constants } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, join } from "node:path";

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
