// Feature extractors by name or by module path (the extract param `features:`).
//  - a name: a built-in extractor (builtins.ts, loaded when features are computed; add a new
//    built-in there and its name to BUILTIN_EXTRACTORS here);
//  - a path starting with ./, ../ or / (relative to pipeline.yaml): a module whose default export
//    is a FeatureExtractor (extractor.ts). It is loaded in the process (or worker thread) that
//    computes features, checked when the pipeline is resolved (`checkExtractorRef`), and recorded
//    with a content hash so `dfd predict` uses the very same file (recipe.ts `recordRecipe`).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { extractorShapeError, type FeatureExtractor } from "./extractor.js";

export type { FeatureExtractor } from "./extractor.js";

/** The built-in extractors' names, in builtins.ts's order (a test pins the two together). */
export const BUILTIN_EXTRACTORS: readonly string[] = ["forensic-v1", "forensic-v2"];

/** `features: encoder`: the image encoder the recipe's `model:` names (encoder.ts). */
export const ENCODER = "encoder";

/** The built-in extractor names (the `features:` param's `names`). */
export function extractorNames(): string[] {
  return [...BUILTIN_EXTRACTORS, ENCODER];
}

/** True when a `features:` value is a module path rather than a name. */
export function isModuleRef(value: string): boolean {
  return value.startsWith("./") || value.startsWith("../") || isAbsolute(value);
}

/** Why `name` is not a built-in extractor (listing the known ones), or undefined. */
function unknownBuiltin(name: string): string | undefined {
  if (BUILTIN_EXTRACTORS.includes(name)) return undefined;
  return `unknown feature extractor "${name}" (known: ${extractorNames().join(", ")}; or a module path such as ./my-extractor.js)`;
}

/** The built-in extractor `name`, or an error listing the known ones. */
async function extractorNamed(name: string): Promise<FeatureExtractor> {
  const unknown = unknownBuiltin(name);
  if (unknown) throw new Error(unknown);
  return (await import("./builtins.js")).EXTRACTORS[name]!;
}

const loaded = new Map<string, Promise<FeatureExtractor>>();

/** The extractor a `features:` value names: a built-in, the encoder of `model` (a path relative to
 * `projectDir`), or the default export of the module at that path, each loaded once per
 * process/thread and checked. */
export function loadExtractor(value: string, projectDir: string, model?: string | null): Promise<FeatureExtractor> {
  if (value === ENCODER) {
    if (!model) return Promise.reject(new Error(`features: ${ENCODER} needs \`model:\` (an .onnx file, or a directory with model.onnx or a TensorFlow.js model.json): docs/detector.md`));
    return loadEncoderOnce(resolve(projectDir, model));
  }
  if (!isModuleRef(value)) return extractorNamed(value);
  const file = resolve(projectDir, value);
  const st = statSafe(file);
  if (!st) return Promise.reject(new Error(`features: ${value}: no such file (${file})`));
  if (!st.isFile()) return Promise.reject(new Error(`features: ${value}: not a file (${file})`));
  // Keyed by the file's size and mtime too: a long-lived process (a worker serving several runs)
  // imports an edited module afresh instead of using the copy it loaded first.
  const version = `${st.size}-${st.mtimeMs}`;
  const key = `${file}?${version}`;
  let p = loaded.get(key);
  if (!p) {
    p = importExtractor(value, `${pathToFileURL(file).href}?v=${version}`);
    loaded.set(key, p);
    p.catch(() => loaded.delete(key)); // a fixed file is retried, not remembered as broken
  }
  return p;
}

/** One encoder per model path and content (a long-lived worker reloads an exported-again model). */
function loadEncoderOnce(file: string): Promise<FeatureExtractor> {
  const key = `${ENCODER}:${file}?${pathHash(file, true)}`;
  let p = loaded.get(key);
  if (!p) {
    p = import("./encoder.js").then((m) => m.loadEncoder(file));
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

async function importExtractor(value: string, url: string): Promise<FeatureExtractor> {
  let mod: { default?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown };
  } catch (e) {
    throw new Error(`features: ${value}: the module failed to load: ${(e as Error).message.split("\n")[0]}`);
  }
  if (!("default" in mod) || mod.default === undefined) throw new Error(`features: ${value}: the module has no default export (export default { name, dims, names, frame() })`);
  const bad = extractorShapeError(mod.default);
  if (bad) throw new Error(`features: ${value}: ${bad}`);
  return mod.default as FeatureExtractor;
}

function statSafe(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/** The `features:` param's check, run when the pipeline is resolved: a name must be a built-in;
 * a module path must exist, load, and default-export a FeatureExtractor. Returns the problem. */
export async function checkExtractorRef(value: string, at: { projectDir: string }): Promise<string | undefined> {
  if (value === ENCODER) return undefined; // its model: is checked (and loaded) when the stage runs
  if (!isModuleRef(value)) return unknownBuiltin(value); // a name: known or not, nothing to load
  try {
    await loadExtractor(value, at.projectDir);
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(/^features: /, "");
  }
}

/** sha256 of a file, or of a directory's files (relative paths and contents, in sorted order); with
 * `quick`, of their sizes and mtimes only (a cache key within one process). "" when missing. */
export function pathHash(path: string, quick = false): string {
  const st = statSafe(path);
  if (!st) return "";
  const h = createHash("sha256");
  const add = (file: string, rel: string) => {
    const s = statSync(file);
    h.update(`${rel}\0`);
    h.update(quick ? `${s.size}-${s.mtimeMs}` : readFileSync(file));
    h.update("\0");
  };
  if (!st.isDirectory()) add(path, "");
  else
    for (const rel of (readdirSync(path, { recursive: true }) as string[]).map((r) => r.split(sep).join("/")).sort())
      if (statSync(join(path, rel)).isFile()) add(join(path, rel), rel);
  return h.digest("hex");
}

/** sha256 of a module extractor's file (recorded with the recipe so predict can tell it changed). */
export function moduleHash(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}
