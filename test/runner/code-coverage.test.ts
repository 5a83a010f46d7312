// A built-in kind's cache key includes the hash of its `code:` files and folders. If a stage imports
// a module outside them, editing that module would leave stale outputs looking valid. This walks
// each kind's real import graph (static and dynamic relative imports, type-only imports excluded)
// and checks every module it reaches is covered.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const root = fileURLToPath(new URL("../../", import.meta.url));
// The engine's contract: a change there is a runner change, not a stage's.
const CONTRACT = new Set(["src/stage.ts", "src/params.ts"]);
const KINDS = ["demo", "extract", "diagnose", "split", "train", "evaluate", "crossval", "shell"];

function imports(file: string): string[] {
  const src = readFileSync(file, "utf8");
  const out: string[] = [];
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^"';]*?from\s+"(\.{1,2}\/[^"]+)"|import\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g;
  for (const m of src.matchAll(re)) {
    if (m[2]) continue; // import type: erased at run time
    const spec = m[3] ?? m[4]!;
    const ts = resolve(dirname(file), spec.replace(/\.js$/, ".ts"));
    if (existsSync(ts)) out.push(ts);
    else if (existsSync(resolve(dirname(file), spec))) out.push(resolve(dirname(file), spec));
  }
  return out;
}

function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    if (f.endsWith(".ts")) todo.push(...imports(f));
  }
  return seen;
}

for (const name of KINDS) {
  test(`stage ${name}: every module it imports is part of its code version`, async () => {
    const kind = (await import(`../../stages/${name}/index.js`)).default as { code: URL[] };
    const covered = kind.code.map((u) => fileURLToPath(u));
    const missing = [...reachable(join(root, "stages", name, "index.ts"))]
      .map((f) => relative(root, f))
      .filter((f) => !CONTRACT.has(f) && !covered.some((c) => join(root, f) === c || join(root, f).startsWith(c.endsWith("/") ? c : c + "/")));
    assert.deepEqual(missing, [], `add these to stages/${name}/index.ts code: (or a folder holding them)`);
  });
}
