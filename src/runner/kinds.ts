// How the runner gets stage kinds: a Registry maps `uses:` to a loaded kind and the module file it
// came from (whose import closure is the kind's code version). The built-in table lives beside
// the CLI (src/registry.ts); the runner itself imports no stage module. A `uses:` that is a module
// path (`./stages/my-kind.js`, relative to pipeline.yaml) loads a user kind from that file.
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { StageKind } from "../stage.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKind = StageKind<any>;

export interface LoadedKind {
  kind: AnyKind;
  /** Absolute path of the module file the kind was loaded from. */
  module: string;
  /** The directory code-version paths are shown relative to (dfd's root, or the project's). */
  root: string;
}

export interface Registry {
  /** Every built-in kind name `uses:` may name. */
  names(): string[];
  has(kind: string): boolean;
  /** Loads a built-in kind; throws KindUnavailableError when its module is missing or broken. */
  load(kind: string): Promise<LoadedKind>;
}

export class KindUnavailableError extends Error {}

/** `uses:` values that are module paths rather than built-in names. */
export const isKindPath = (uses: string): boolean => /^(\.{1,2}\/|\/)/.test(uses) || /\.(m?js|ts)$/.test(uses);

/** What is wrong with a module's default export as a stage kind, or undefined when it is one. */
export function kindShapeError(k: unknown): string | undefined {
  if (!k || typeof k !== "object") return "its default export is not an object (export default defineStage({ kind, params, run }))";
  const o = k as Record<string, unknown>;
  if (typeof o.params !== "object" || o.params === null || Array.isArray(o.params)) return "its default export has no `params` object (use {} for none)";
  const f = o.fanOut as Record<string, unknown> | undefined;
  if (f !== undefined && (typeof f !== "object" || typeof f.items !== "function" || typeof f.worker !== "function" || typeof f.assemble !== "function"))
    return "its `fanOut` must have items(), worker() and assemble() functions";
  if (typeof o.run !== "function" && f === undefined) return "its default export has neither a run(ctx) function nor a fanOut";
  if (o.code !== undefined && !Array.isArray(o.code)) return "its `code` must be a list of URLs";
  return undefined;
}

/** Loads a user kind from a module path relative to the pipeline's directory. */
export async function loadKindModule(uses: string, pipelineDir: string): Promise<LoadedKind> {
  const file = resolve(pipelineDir, uses);
  if (!existsSync(file)) throw new KindUnavailableError(`stage kind module ${uses} not found (looked for ${file})`);
  if (!statSync(file).isFile()) throw new KindUnavailableError(`stage kind module ${uses} is not a file (${file})`);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    throw new KindUnavailableError(`stage kind module ${uses} failed to load: ${(e as Error).message.split("\n")[0]}`);
  }
  const bad = kindShapeError(mod.default);
  if (bad) throw new KindUnavailableError(`stage kind module ${uses}: ${bad}`);
  return { kind: mod.default as AnyKind, module: file, root: pipelineDir };
}
