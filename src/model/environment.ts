// The TensorFlow.js facts a model's output depends on, for the key's environment block (train,
// evaluate, crossval): the tfjs version and the backend a request resolves to on this machine.
// Cheap on every cached run: no tfjs module is loaded, packages are only located.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { BackendName, BackendRequest } from "./backends.js";

const require = createRequire(import.meta.url);

function packageDir(name: string): string | undefined {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

/** A native tfjs-node(-gpu) package counts only when its binding was built (its installer
 * downloads libtensorflow; without it the package is present but cannot load). */
function nativeUsable(name: string): boolean {
  const dir = packageDir(name);
  if (!dir) return false;
  const lib = join(dir, "lib");
  try {
    return readdirSync(lib).some((d) => d.startsWith("napi-v") && existsSync(join(lib, d, "tfjs_binding.node")));
  } catch {
    return false;
  }
}

let cache: { version: string; native: Partial<Record<BackendName, boolean>> } | undefined;

/** The backend `request` resolves to here: `auto` takes the first usable of tensorflow-gpu,
 * tensorflow, wasm (always installed), as useBackend does. */
export function expectedBackend(request: BackendRequest): BackendName {
  if (request !== "auto") return request;
  cache ??= { version: tfjsVersion(), native: {} };
  const usable = (b: "tensorflow-gpu" | "tensorflow", pkg: string) => (cache!.native[b] ??= nativeUsable(pkg));
  if (usable("tensorflow-gpu", "@tensorflow/tfjs-node-gpu")) return "tensorflow-gpu";
  if (usable("tensorflow", "@tensorflow/tfjs-node")) return "tensorflow";
  return "wasm";
}

function tfjsVersion(): string {
  const dir = packageDir("@tensorflow/tfjs-core");
  if (!dir) return "missing";
  return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
}

/** `{ tfjs: "4.22.0", backend: "wasm" }` for a stage whose params ask for `backend`. */
export function tfjsEnvironment(backend: BackendRequest): Record<string, string> {
  cache ??= { version: tfjsVersion(), native: {} };
  return { tfjs: cache.version, backend: expectedBackend(backend) };
}
