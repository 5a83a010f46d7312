// Validates a built-in stage's `with:` (a YAML node, so errors keep line:col) against the kind's
// ParamsSpec, fills in defaults, and coerces `--set stage.a.b=value` strings by the same spec.
import { isMap, isScalar, isSeq, parseDocument, type Node } from "yaml";
import type { Json, ParamSpec, ParamsSpec } from "../params.js";
import { didYouMean } from "./diagnostic.js";

/** Reports a problem at a node (or, when node is undefined, at the enclosing `with:`/stage). */
export type Report = (node: Node | undefined, message: string) => void;

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

/** Resolved params for a `with:` map (or undefined = empty), defaults filled in. */
export function resolveParams(spec: ParamsSpec, node: Node | undefined, path: string, report: Report): Record<string, Json> {
  const out: Record<string, Json> = {};
  const given = new Map<string, { key: Node; value: Node | null }>();
  if (node !== undefined) {
    if (!isMap(node)) {
      report(node, `${path} must be a mapping`);
      return out;
    }
    for (const pair of node.items) {
      const key = pair.key as Node;
      const name = isScalar(key) ? String(key.value) : "";
      if (!(name in spec)) {
        report(key, `unknown param "${name}" in ${path}${didYouMean(name, Object.keys(spec))}; known: ${Object.keys(spec).join(", ") || "none"}`);
        continue;
      }
      given.set(name, { key, value: pair.value as Node | null });
    }
  }
  for (const [name, ps] of Object.entries(spec)) {
    const g = given.get(name);
    const here = `${path}.${name}`;
    if (g) {
      const v = validateNode(ps, g.value ?? undefined, here, (n, m) => report(n ?? g.key, m));
      if (v !== undefined) out[name] = v;
    } else {
      const d = defaultOf(ps, here);
      if (d === undefined) report(node, `missing required param "${name}" in ${path}${ps.doc ? ` (${ps.doc})` : ""}`);
      else out[name] = d;
    }
  }
  return out;
}

/** The default of a param; objects default to their properties' defaults. undefined = required. */
export function defaultOf(ps: ParamSpec, path = ""): Json | undefined {
  if (ps.type === "object") {
    const o: Record<string, Json> = {};
    for (const [k, sub] of Object.entries(ps.properties)) {
      const d = defaultOf(sub, `${path}.${k}`);
      if (d === undefined) return undefined;
      o[k] = d;
    }
    return o;
  }
  if (ps.default !== undefined) return ps.default as Json;
  if (ps.nullable) return null;
  return undefined;
}

function describe(ps: ParamSpec): string {
  switch (ps.type) {
    case "number": {
      const range = ps.min !== undefined && ps.max !== undefined ? ` in [${ps.min}, ${ps.max}]` : ps.min !== undefined ? ` ≥ ${ps.min}` : ps.max !== undefined ? ` ≤ ${ps.max}` : "";
      return `${ps.integer ? "an integer" : "a number"}${range}`;
    }
    case "string": {
      const names = ps.enum ?? ps.names?.();
      return names ? `one of ${names.map((e) => JSON.stringify(e)).join(", ")}${ps.module ? " or a module path (./my-module.js)" : ""}` : "a string";
    }
    case "path": return `a path relative to pipeline.yaml${ps.expect ? ` (a ${ps.expect === "dir" ? "directory" : "file"})` : ""}`;
    case "json": return "any value";
    case "boolean": return "true or false";
    case "object": return "a mapping";
    case "array": return "a list";
  }
}

/** Validates one YAML value node against a ParamSpec; undefined when invalid (reported). */
export function validateNode(ps: ParamSpec, node: Node | undefined, path: string, report: Report): Json | undefined {
  const isNull = node === undefined || (isScalar(node) && node.value === null);
  if (isNull) {
    if (ps.nullable || (ps.type !== "object" && ps.default === null)) return null;
    report(node, `${path} must be ${describe(ps)}, got null`);
    return undefined;
  }
  switch (ps.type) {
    case "object":
      if (!isMap(node)) break;
      return resolveParams(ps.properties, node, path, report);
    case "json":
      return (node.toJSON() ?? null) as Json;
    case "array": {
      if (!isSeq(node)) break;
      const out: Json[] = [];
      let ok = true;
      (node.items as (Node | null)[]).forEach((item, i) => {
        const v = validateNode(ps.items, item ?? undefined, `${path}[${i}]`, (n, m) => report(n ?? node, m));
        if (v === undefined) ok = false;
        else out.push(v);
      });
      return ok ? out : undefined;
    }
    default: {
      if (!isScalar(node)) break;
      return checkScalar(ps, node.value, path, (m) => report(node, m));
    }
  }
  report(node, `${path} must be ${describe(ps)}`);
  return undefined;
}

function checkScalar(ps: ParamSpec, v: unknown, path: string, report: (m: string) => void): Json | undefined {
  switch (ps.type) {
    case "number":
      if (typeof v !== "number" || !Number.isFinite(v)) return report(`${path} must be ${describe(ps)}, got ${show(v)}`), undefined;
      if (ps.integer && !Number.isInteger(v)) return report(`${path} must be an integer, got ${v}`), undefined;
      if (ps.min !== undefined && v < ps.min) return report(`${path} must be ≥ ${ps.min}, got ${v}`), undefined;
      if (ps.max !== undefined && v > ps.max) return report(`${path} must be ≤ ${ps.max}, got ${v}`), undefined;
      return v;
    case "string":
      if (typeof v !== "string") {
        if (typeof v === "number" || typeof v === "boolean") v = String(v);
        else return report(`${path} must be ${describe(ps)}, got ${show(v)}`), undefined;
      }
      if (ps.enum && !ps.enum.includes(v as string))
        return report(`${path} must be ${describe(ps)}, got ${show(v)}${didYouMean(v as string, ps.enum)}`), undefined;
      return v as string;
    case "boolean":
      if (typeof v !== "boolean") return report(`${path} must be true or false, got ${show(v)}`), undefined;
      return v;
    case "path":
      if (typeof v !== "string" || v === "") return report(`${path} must be ${describe(ps)}, got ${show(v)}`), undefined;
      return v;
    default:
      report(`${path} must be ${describe(ps)}`);
      return undefined;
  }
}

/** The spec at a dotted path inside a ParamsSpec, or an error message naming the nearest key. */
export function specAt(spec: ParamsSpec, keys: string[], where: string): ParamSpec | string {
  let props: ParamsSpec = spec;
  let ps: ParamSpec | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    ps = props[k];
    if (!ps) return `${where} has no param "${keys.slice(0, i + 1).join(".")}"${didYouMean(k, Object.keys(props))}`;
    if (i < keys.length - 1) {
      if (ps.type !== "object") return `${where}: "${keys.slice(0, i + 1).join(".")}" is ${describe(ps)}, not a mapping`;
      props = ps.properties;
    }
  }
  return ps!;
}

/** Coerces a `--set` string by its spec: numbers, booleans, null, YAML flow lists/maps. */
export function coerceSetValue(ps: ParamSpec, raw: string, path: string): { value: Json } | { error: string } {
  let error: string | undefined;
  const report: Report = (_n, m) => { error ??= m; };
  if (ps.type === "string") {
    if (raw === "null" && (ps.nullable || ps.default === null)) return { value: null };
    const v = checkScalar(ps, raw, path, (m) => report(undefined, m));
    return v === undefined ? { error: error! } : { value: v };
  }
  const doc = parseDocument(raw);
  if (doc.errors.length) return { error: `${path}: cannot parse ${JSON.stringify(raw)}: ${doc.errors[0]!.message.split("\n")[0]}` };
  const v = validateNode(ps, (doc.contents as Node | null) ?? undefined, path, report);
  return v === undefined ? { error: error ?? `${path}: invalid value ${JSON.stringify(raw)}` } : { value: v };
}

/** Free-form value for shell stages' params: YAML scalar rules ("3" → 3, "true" → true). */
export function parseLooseValue(raw: string): Json {
  const doc = parseDocument(raw);
  if (doc.errors.length) return raw;
  return (doc.toJSON() ?? null) as Json;
}
