// A kind's code version: the content of every module its entry module can load, found by
// following the module's relative imports (static, side-effect, literal dynamic `import("./x.js")`
// and `new URL("./worker.js", import.meta.url)` for worker files) transitively. Packages (bare
// specifiers) are not followed: dfd's own dependencies are covered by the dfd version in the
// environment block; a user kind's npm dependencies are the user's to pin.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";

const PATTERNS = [
  // import x from "./a.js"; export { y } from "./b.js"; import "./c.js" (type-only imports excluded below)
  /(?:^|[\n;])\s*(import|export)\s+(type\s+)?(?:[^"'`;]*?\sfrom\s*)?["'](\.{1,2}\/[^"']+)["']/g,
  // await import("./impl.js")
  /\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g,
];
/** `new URL(<expr>, import.meta.url)`: every relative string literal in <expr> (a worker file,
 * also when chosen by a ternary: `new URL(ts ? "./worker.ts" : "./worker.js", import.meta.url)`). */
const URL_CALL = /\bnew\s+URL\(([^()]*?),\s*import\.meta\.url\s*\)/g;
const LITERAL = /["'](\.{1,2}\/[^"']+)["']/g;

const CODE_EXT = new Set([".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".json"]);

/** The module a relative specifier names: tsx runs `./x.js` from `./x.ts`, so prefer the source
 * file when the module is TypeScript; undefined when it does not exist or is a directory. */
function resolveSpecifier(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec.split(/[?#]/)[0]!);
  const candidates = [base];
  if (from.endsWith(".ts") || from.endsWith(".mts")) candidates.unshift(base.replace(/\.js$/, ".ts").replace(/\.mjs$/, ".mts"));
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) return c;
    } catch { /* try the next */ }
  }
  return undefined;
}

/** The relative modules `file` loads, as absolute paths (type-only imports excluded). */
export function directImports(file: string): string[] {
  const src = readFileSync(file, "utf8");
  const out = new Set<string>();
  const add = (spec: string) => {
    const f = resolveSpecifier(file, spec);
    if (f && CODE_EXT.has(extname(f))) out.add(f);
  };
  for (const [i, re] of PATTERNS.entries()) {
    for (const m of src.matchAll(re)) {
      if (i === 0 && m[2]) continue; // `import type` / `export type`: erased at run time
      add(i === 0 ? m[3]! : m[1]!);
    }
  }
  for (const m of src.matchAll(URL_CALL)) for (const l of m[1]!.matchAll(LITERAL)) add(l[1]!);
  return [...out];
}

/** Every module reachable from `entry` through relative imports (entry included), sorted. */
export function importClosure(entry: string): string[] {
  const seen = new Set<string>();
  const todo = [resolve(entry)];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f) || !existsSync(f)) continue;
    seen.add(f);
    if (!f.endsWith(".json")) todo.push(...directImports(f));
  }
  return [...seen].sort();
}
