// A kind's code version is the import closure of its module, computed by src/runner/code.ts. If
// the closure missed a module, editing that module would leave stale outputs looking valid. This
// walks each built-in kind's import graph with an independent walker (static and dynamic relative
// imports and `new URL(..., import.meta.url)` worker files, type-only imports excluded) and checks
// the computed closure holds every module it reaches, and that a user kind's closure follows its
// own relative imports but not packages.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { importClosure } from "../../src/runner/code.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const KINDS = ["demo", "extract", "diagnose", "split", "train", "evaluate", "crossval", "shell"];

function imports(file: string): string[] {
  const src = readFileSync(file, "utf8");
  const out: string[] = [];
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^"';]*?from\s+"(\.{1,2}\/[^"]+)"|import\(\s*"(\.{1,2}\/[^"]+)"\s*\)|new URL\(\s*"(\.{1,2}\/[^"]+\.js)",\s*import\.meta\.url\)/g;
  for (const m of src.matchAll(re)) {
    if (m[2]) continue; // import type: erased at run time
    const spec = m[3] ?? m[4] ?? m[5]!;
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
  test(`stage ${name}: the computed code version covers every module it imports`, () => {
    const entry = join(root, "stages", name, "index.ts");
    const closure = new Set(importClosure(entry));
    const missing = [...reachable(entry)].filter((f) => !closure.has(f)).map((f) => relative(root, f));
    assert.deepEqual(missing, []);
    assert.ok(closure.has(join(root, "src", "stage.ts")), "the stage contract is part of every kind's code");
  });
}

test("a user kind's closure: its relative imports (static, dynamic, worker URLs), not packages, not type-only imports", () => {
  const dir = mkdtempSync(join(tmpdir(), "dfd-closure-"));
  writeFileSync(join(dir, "kind.js"), `import { a } from "./a.js";\nimport yaml from "yaml";\nexport default { params: {}, async run() { await import("./lazy.js"); new URL("./worker.js", import.meta.url); } };\n`);
  writeFileSync(join(dir, "a.js"), `export * from "./b.js";\nexport const a = 1;\n`);
  writeFileSync(join(dir, "b.js"), `export const b = 2;\n`);
  writeFileSync(join(dir, "lazy.js"), `export {};\n`);
  writeFileSync(join(dir, "worker.js"), `export {};\n`);
  writeFileSync(join(dir, "types.ts"), `export type T = number;\n`);
  writeFileSync(join(dir, "typed.ts"), `import type { T } from "./types.js";\nexport const x: T = 1;\n`);
  assert.deepEqual(importClosure(join(dir, "kind.js")).map((f) => relative(dir, f)), ["a.js", "b.js", "kind.js", "lazy.js", "worker.js"]);
  assert.deepEqual(importClosure(join(dir, "typed.ts")).map((f) => relative(dir, f)), ["typed.ts"]);
});

test("code versions are no wider than the imports: extract does not hash the model or the metrics, split does not hash diagnose", () => {
  const rel = (kind: string) => importClosure(join(root, "stages", kind, "index.ts")).map((f) => relative(root, f));
  const extract = rel("extract");
  assert.ok(!extract.some((f) => f.startsWith("src/model/") || f === "src/lib/metrics.ts"), `extract's closure: ${extract.join(", ")}`);
  assert.ok(extract.some((f) => f.startsWith("src/features/")), "extract hashes its feature code");
  const split = rel("split");
  assert.ok(!split.some((f) => f.startsWith("stages/diagnose/")), `split's closure: ${split.join(", ")}`);
});
