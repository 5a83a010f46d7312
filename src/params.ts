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
  /** For a param that matters only in one mode of the stage (a model kind's own settings): it is
   * in the cache key only when this returns true for the resolved params of the object that holds
   * it, so changing the linear probe's penalty does not re-train a transformer. Leave unset when
   * in doubt: a missing key part gives a wrong cache hit, an extra one only a re-run. */
  inKeyWhen?: (siblings: Readonly<Record<string, Json>>) => boolean;
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
  /** Names a registry offers (feature extractors...): listed in the JSON Schema and in errors.
   * Unlike `enum` the set is open when `module` is set. */
  names?: () => readonly string[];
  /** The value may be a module path instead of a name (`./my-extractor.js`, relative to
   * pipeline.yaml; anything starting with ./, ../ or /): it must exist, and the module with what it
   * imports inside the project is part of the stage's code version. */
  module?: boolean;
  /** Extra check when the pipeline is resolved (after type checks); a returned message becomes a
   * pipeline.yaml:line:col error. `value` is as written; module paths resolve against projectDir. */
  check?: (value: string, at: { projectDir: string }) => Promise<string | undefined> | string | undefined;
}
/** A file or directory, relative to pipeline.yaml. The stage gets the absolute path; the key holds
 * the path as written and the content hash of every file under it, so editing the file makes the
 * stage stale ("input configs/a.json changed"). */
export interface PathSpec extends SpecBase {
  type: "path";
  default?: string | null;
  /** What must be there: a file, a directory, or either (default). */
  expect?: "file" | "dir";
}
/** Any JSON value, unchecked (a shell stage's free-form `params:`). */
export interface JsonSpec extends SpecBase {
  type: "json";
  default?: Json;
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
export type ParamSpec = NumberSpec | StringSpec | BooleanSpec | ObjectSpec | ArraySpec | PathSpec | JsonSpec;
/** Param name → spec. A `"*"` entry accepts any other name with that spec (a shell stage's
 * free-form params). */
export type ParamsSpec = Readonly<Record<string, ParamSpec>>;

/** JSON value as it appears in resolved params (canonical-JSON hashable). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The params that make up a cache key: `params` without those whose spec says `inKey: false` or
 * whose `inKeyWhen` is false for them (recursively through nested objects). Params without a spec
 * (shell stages) are all kept. */
export function keyedParams(spec: ParamsSpec, params: Json): Json {
  if (params === null || typeof params !== "object" || Array.isArray(params)) return params;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(params)) {
    const ps = spec[k];
    if (ps?.inKey === false) continue;
    if (ps?.inKeyWhen && !ps.inKeyWhen(params)) continue;
    out[k] = ps?.type === "object" ? keyedParams(ps.properties, v) : v;
  }
  return out;
}
