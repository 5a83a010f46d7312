#!/usr/bin/env node
// Runs every *.test.ts under test/ and stages/ with node's own test runner (Node 20's --test does
// not expand globs itself). Extra arguments are passed on: `npm test -- --test-name-pattern=cache`.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const roots = ["test", "stages", "src"];
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".test.ts")) files.push(path);
  }
};
for (const root of roots) {
  try { walk(root); } catch { /* a missing root is fine */ }
}
const only = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const flags = process.argv.slice(2).filter((a) => a.startsWith("--"));
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
const r = spawnSync(process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", ...flags, ...selected],
  { stdio: "inherit" });
process.exit(r.status ?? 1);
