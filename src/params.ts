// A small declarative description of a stage's parameters. The runner validates `with:` against
// it (naming typos with "did you mean", keeping pipeline.yaml line:col), fills in defaults, coerces
// `--set stage.key=value` strings, and generates the editors' JSON Schema from it. Stages declare
// one of these beside a TypeScript interface for the resolved params.

interface SpecBase {
  /** One line for `dfd` help, the JSON Schema and error messages. */
  doc?: string;
  /** null is an accepted value (e.g. `max_frames: null` = no limit). */
  nullable?: boolean;
  /** false for a param that cannot change the stage's output (a worker count, a scoring batch
   * size): the stage still gets it, but it is left out of the cache key, so changing it re-runs
   * nothing. Leave unset whenever the output may depend on it, even slightly. */
  inKey?: false;
}
export interface NumberSpec extends SpecBase {
  type: "number";
  default?: number | null;
  integer?: boolean;
  min?: number;
  max?: number;
}
export interface StringSpec extends SpecBase {
  type: "string";
  default?: string | null;
  /** Allowed values; anything else is an error naming the nearest one. */
  enum?: readonly string[];
}
export interface BooleanSpec extends SpecBase {
  type: "boolean";
  default?: boolean | null;
}
export interface ObjectSpec extends SpecBase {
  type: "object";
  properties: ParamsSpec;
}
export interface ArraySpec extends SpecBase {
  type: "array";
  items: ParamSpec;
  default?: unknown[] | null;
}
export type ParamSpec = NumberSpec | StringSpec | BooleanSpec | ObjectSpec | ArraySpec;
export type ParamsSpec = Readonly<Record<string, ParamSpec>>;

/** JSON value as it appears in resolved params (canonical-JSON hashable). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The params that make up a cache key: `params` without those whose spec says `inKey: false`
 * (recursively through nested objects). Params without a spec (shell stages) are all kept. */
export function keyedParams(spec: ParamsSpec, params: Json): Json {
  if (params === null || typeof params !== "object" || Array.isArray(params)) return params;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(params)) {
    const ps = spec[k];
    if (ps?.inKey === false) continue;
    out[k] = ps?.type === "object" ? keyedParams(ps.properties, v) : v;
  }
  return out;
}
