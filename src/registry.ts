// The built-in stage kinds by `uses:` name: the table beside the CLI (the runner imports no stage
// module). Each is loaded lazily with import() so a run only loads the kinds its pipeline uses
// (and a kind's heavy modules load only inside its run()). Tests and library users add kinds with
// createRegistry({ mykind: kindObject }); a pipeline can also name a module: `uses: ./my-kind.js`.
import { fileURLToPath } from "node:url";
import { KindUnavailableError, kindShapeError, type AnyKind, type LoadedKind, type Registry } from "./runner/kinds.js";

export type { AnyKind, LoadedKind, Registry } from "./runner/kinds.js";
export { KindUnavailableError } from "./runner/kinds.js";

export const BUILTIN_KINDS = ["demo", "extract", "diagnose", "split", "train", "evaluate", "crossval", "shell"] as const;

/** dfd's root: code versions of built-in kinds are shown relative to it. */
const ROOT = fileURLToPath(new URL(import.meta.url.includes("/dist/") ? "../../" : "../", import.meta.url));

type Loader = AnyKind | (() => Promise<AnyKind>);

export function createRegistry(extra: Record<string, Loader> = {}): Registry {
  const loaders = new Map<string, () => Promise<LoadedKind>>();
  for (const name of BUILTIN_KINDS) loaders.set(name, () => importBuiltin(name));
  for (const [name, l] of Object.entries(extra)) {
    // An injected kind object: its code version is the module that injected it (the caller's
    // file is unknown here), so use the kind's declared `code` extras; the entry is this file.
    loaders.set(name, async () => ({ kind: typeof l === "function" ? await l() : l, module: fileURLToPath(import.meta.url), root: ROOT }));
  }
  const cache = new Map<string, Promise<LoadedKind>>();
  return {
    names: () => [...loaders.keys()],
    has: (kind) => loaders.has(kind),
    load(kind) {
      let p = cache.get(kind);
      if (!p) {
        const l = loaders.get(kind);
        if (!l) return Promise.reject(new KindUnavailableError(`unknown stage kind "${kind}"`));
        p = l();
        cache.set(kind, p);
      }
      return p;
    },
  };
}

async function importBuiltin(name: string): Promise<LoadedKind> {
  // A computed URL, so TypeScript does not require every stage module to exist at build time; a
  // missing one is a clear error only when used.
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
  const bad = kindShapeError(mod.default);
  if (bad) throw new KindUnavailableError(`stage kind "${name}": ${url.pathname}: ${bad}`);
  // Under tsx the module runs from its .ts source; the file that exists is what the key hashes.
  const js = fileURLToPath(url);
  const ts = js.replace(/\.js$/, ".ts");
  const { existsSync } = await import("node:fs");
  return { kind: mod.default!, module: existsSync(js) ? js : ts, root: ROOT };
}

/** The process-wide default registry. */
export const defaultRegistry: Registry = createRegistry();
