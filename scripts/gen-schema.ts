// Writes schema/pipeline.schema.json from the registry's built-in kinds (`npm run schema`).
// With --check, exits 1 when the committed file is out of date instead of writing it.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BUILTIN_KINDS, defaultRegistry } from "../src/registry.js";
import { pipelineSchema } from "../src/runner/schema.js";

export async function generateSchema(): Promise<string> {
  const kinds = [];
  for (const name of BUILTIN_KINDS) kinds.push({ name, kind: (await defaultRegistry.load(name)).kind });
  return JSON.stringify(pipelineSchema(kinds), null, 2) + "\n";
}

export const SCHEMA_FILE = fileURLToPath(new URL("../schema/pipeline.schema.json", import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await generateSchema();
  if (process.argv.includes("--check")) {
    const current = (() => { try { return readFileSync(SCHEMA_FILE, "utf8"); } catch { return ""; } })();
    if (current !== text) { process.stderr.write(`${SCHEMA_FILE} is out of date: run \`npm run schema\`\n`); process.exit(1); }
  } else {
    writeFileSync(SCHEMA_FILE, text);
    process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
  }
}
