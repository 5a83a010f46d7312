// The committed editors' schema must match what the registry's kinds accept today.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { generateSchema, SCHEMA_FILE } from "../../scripts/gen-schema.js";

test("schema/pipeline.schema.json is up to date (else: npm run schema)", async () => {
  const want = await generateSchema();
  assert.equal(readFileSync(SCHEMA_FILE, "utf8"), want, "schema/pipeline.schema.json is out of date: run `npm run schema` and commit it");
  const schema = JSON.parse(want);
  const kinds = schema.properties.stages.additionalProperties.oneOf.map((s: { properties: { uses?: { const?: string; pattern?: string }; run?: unknown } }) => s.properties.uses?.const ?? (s.properties.run ? "run:" : `module ${s.properties.uses?.pattern}`));
  assert.deepEqual(kinds, ["demo", "extract", "diagnose", "split", "train", "evaluate", "crossval", "shell", "run:", "module ^(\\.{1,2}/|/)"]);
});
