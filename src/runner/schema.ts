// The editors' JSON Schema for pipeline.yaml, generated from the kinds' ParamsSpecs (so it cannot
// drift from what the runner accepts): `npm run schema` writes schema/pipeline.schema.json.
import type { ParamSpec, ParamsSpec } from "../params.js";
import type { AnyKind } from "../registry.js";
import { REMOTE_SCHEMA } from "../remote/config.js";
import { EXECUTOR_SCHEMA } from "../distributed/config.js";

type Schema = Record<string, unknown>;

function paramSchema(ps: ParamSpec): Schema {
  const base: Schema = ps.doc ? { description: ps.doc } : {};
  const nullable = (s: Schema): Schema => (ps.nullable || ("default" in ps && ps.default === null) ? { ...s, type: [s.type as string, "null"] } : s);
  switch (ps.type) {
    case "number":
      return nullable({ ...base, type: ps.integer ? "integer" : "number", ...(ps.min !== undefined ? { minimum: ps.min } : {}), ...(ps.max !== undefined ? { maximum: ps.max } : {}), ...(ps.default !== undefined ? { default: ps.default } : {}) });
    case "string": {
      const names = ps.enum ?? ps.names?.();
      // Registry names with `module: true` are suggestions (a module path is also accepted).
      const choices = names && !ps.module ? { enum: ps.nullable ? [...names, null] : [...names] } : names ? { examples: [...names] } : {};
      return nullable({ ...base, type: "string", ...choices, ...(ps.default !== undefined ? { default: ps.default } : {}) });
    }
    case "path":
      return nullable({ ...base, type: "string", ...(ps.default !== undefined ? { default: ps.default } : {}) });
    case "json":
      return { ...base, ...(ps.default !== undefined ? { default: ps.default } : {}) };
    case "boolean":
      return nullable({ ...base, type: "boolean", ...(ps.default !== undefined ? { default: ps.default } : {}) });
    case "array":
      return nullable({ ...base, type: "array", items: paramSchema(ps.items), ...(ps.default !== undefined ? { default: ps.default } : {}) });
    case "object":
      return nullable({ ...base, ...paramsSchema(ps.properties) });
  }
}

function paramsSchema(spec: ParamsSpec): Schema {
  const rest = spec["*"];
  return {
    type: "object",
    additionalProperties: rest ? paramSchema(rest) : false,
    properties: Object.fromEntries(Object.entries(spec).filter(([k]) => k !== "*").map(([k, ps]) => [k, paramSchema(ps)])),
  };
}

const needs = { description: "stages whose outputs this stage reads", oneOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] };

export function pipelineSchema(kinds: { name: string; kind: AnyKind }[]): Schema {
  const builtin = kinds.map(({ name, kind }) => ({
    type: "object",
    description: kind.description,
    required: ["uses"],
    additionalProperties: false,
    properties: { uses: { const: name }, with: paramsSchema(kind.params), needs },
  }));
  const shell = {
    type: "object",
    description: "a shell command; gets $DFD_OUT, $DFD_INPUT_<NAME>, $DFD_PARAMS, $DFD_DATA",
    required: ["run"],
    additionalProperties: false,
    properties: {
      run: { type: "string", description: "shell command (sh -c), run in the pipeline's directory" },
      deps: { description: "files/directories (relative to pipeline.yaml) whose content is part of the key", oneOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
      params: { type: "object", description: "free-form params, written to the JSON file $DFD_PARAMS" },
      needs,
    },
  };
  const userKind = {
    type: "object",
    description: "a stage kind from a module file (relative to pipeline.yaml) whose default export is defineStage({...})",
    required: ["uses"],
    additionalProperties: false,
    properties: { uses: { type: "string", pattern: "^(\\.{1,2}/|/)" }, with: { type: "object" }, needs },
  };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "dfd pipeline.yaml",
    type: "object",
    additionalProperties: false,
    required: ["stages"],
    properties: {
      data: { type: ["string", "null"], description: "the data set: a folder with real/ and fake/ (or a CSV manifest), relative to pipeline.yaml" },
      remote: REMOTE_SCHEMA,
      executor: EXECUTOR_SCHEMA,
      stages: {
        type: "object",
        description: "stage name → stage",
        propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_-]*$" },
        additionalProperties: { oneOf: [...builtin, shell, userKind] },
      },
    },
  };
}
