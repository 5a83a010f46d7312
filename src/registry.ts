// The built-in stage kinds by `uses:` name. Each is loaded lazily with import() so a run only loads
// the kinds its pipeline uses (and a kind's heavy modules load only inside its run()). Tests and
// library users inject extra kinds with createRegistry({ mykind: kindObject }).
import type { StageKind } from "./stage.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKind = StageKind<any>;

export const BUILTIN_KINDS = ["demo", "extract", "diagnose", "split", "train", "evaluate", "crossval", "shell"] as const;

export interface Registry {
  /** Every kind name `uses:` may name (shell is the `run:` kind, not named by `uses:`). */
  names(): string[];
  has(kind: string): boolean;
  /** Loads a kind; throws KindUnavailableError when its module is missing or broken. */
  load(kind: string): Promise<AnyKind>;
}

export class KindUnavailableError extends Error {}

type Loader = AnyKind | (() => Promise<AnyKind>);

export function createRegistry(extra: Record<string, Loader> = {}): Registry {
  const loaders = new Map<string, Loader>();
  for (const name of BUILTIN_KINDS) loaders.set(name, () => importBuiltin(name));
  for (const [name, l] of Object.entries(extra)) loaders.set(name, l);
  const cache = new Map<string, Promise<AnyKind>>();
  return {
    names: () => [...loaders.keys()].filter((k) => k !== "shell"),
    has: (kind) => loaders.has(kind),
    load(kind) {
      let p = cache.get(kind);
      if (!p) {
        const l = loaders.get(kind);
        if (!l) return Promise.reject(new KindUnavailableError(`unknown stage kind "${kind}"`));
        p = typeof l === "function" ? l() : Promise.resolve(l);
        cache.set(kind, p);
      }
      return p;
    },
  };
}

async function importBuiltin(name: string): Promise<AnyKind> {
  // A computed URL, so TypeScript does not require every stage module to exist at build time
  // (engineers add them independently); a missing one is a clear error only when used.
  const url = new URL(`../stages/${name}/index.js`, import.meta.url);
  let mod: { default?: AnyKind };
  try {
    mod = (await import(url.href)) as { default?: AnyKind };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes(`stages/${name}/index`))
      throw new KindUnavailableError(`stage kind "${name}" is not available: ${url.pathname.replace(/\.js$/, ".ts")} is missing (not built yet?)`);
    throw new KindUnavailableError(`stage kind "${name}" failed to load: ${err.message}`);
  }
  const kind = mod.default;
  if (!kind || (typeof kind.run !== "function" && typeof kind.fanOut !== "object") || typeof kind.params !== "object")
    throw new KindUnavailableError(`stage kind "${name}": ${url.pathname} does not \`export default defineStage({...})\``);
  return kind;
}

/** The process-wide default registry. */
export const defaultRegistry: Registry = createRegistry();
