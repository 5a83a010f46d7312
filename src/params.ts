// A small declarative description of a stage's parameters. The runner validates `with:` against
// it (naming typos with "did you mean", keeping pipeline.yaml line:col), fills in defaults, coerces
// `--set stage.key=value` strings, and generates the editors' JSON Schema from it. Stages declare
// one of these beside a TypeScript interface for the resolved params.

interface SpecBase {
  /** One line for `dfd` help, the JSON Schema and error messages. */
  doc?: string;
  /** null is an accepted value (e.g. `max_frames: null` = no limit). */
  nullable?: boolean;
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
