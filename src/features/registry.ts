// Feature extractors by name or by module path (the extract param `features:`).
//  - a name: a built-in extractor (EXTRACTORS below; add a new built-in here);
//  - a path starting with ./, ../ or / (relative to pipeline.yaml): a module whose default export
//    is a FeatureExtractor (extractor.ts). It is loaded in the process (or worker thread) that
//    computes features, checked when the pipeline is resolved (`checkExtractorRef`), and recorded
//    with a content hash so `dfd predict` uses the very same file (recipe.ts `recordRecipe`).
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { extractorShapeError, type FeatureExtractor } from "./extractor.js";
import { forensicV1 } from "./forensic.js";

export type { FeatureExtractor } from "./extractor.js";

export const EXTRACTORS: Readonly<Record<string, FeatureExtractor>> = { [forensicV1.name]: forensicV1 };

/** The built-in extractor names (the `features:` param's `names`). */
export function extractorNames(): string[] {
  return Object.keys(EXTRACTORS);
}

/** True when a `features:` value is a module path rather than a name. */
export function isModuleRef(value: string): boolean {
  return value.startsWith("./") || value.startsWith("../") || isAbsolute(value);
}

/** The built-in extractor `name`, or an error listing the known ones. */
export function extractorNamed(name: string): FeatureExtractor {
  const e = EXTRACTORS[name];
  if (!e) throw new Error(`unknown feature extractor "${name}" (known: ${extractorNames().join(", ")}; or a module path such as ./my-extractor.js)`);
  return e;
}

const loaded = new Map<string, Promise<FeatureExtractor>>();

/** The extractor a `features:` value names: a built-in, or the default export of the module at
 * that path (relative to `projectDir`), imported once per process/thread and checked. */
export function loadExtractor(value: string, projectDir: string): Promise<FeatureExtractor> {
  if (!isModuleRef(value)) return Promise.resolve().then(() => extractorNamed(value));
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
  try {
    await loadExtractor(value, at.projectDir);
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(/^features: /, "");
  }
}

/** sha256 of a module extractor's file (recorded with the recipe so predict can tell it changed). */
export function moduleHash(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}
