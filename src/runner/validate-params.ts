// Validates a built-in stage's `with:` (a YAML node, so errors keep line:col) against the kind's
// ParamsSpec, fills in defaults, and coerces `--set stage.a.b=value` strings by the same spec.
import { isMap, isScalar, isSeq, parseDocument, type Node } from "yaml";
import { existsSync, statSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import type { Json, ParamSpec, ParamsSpec, StringSpec } from "../params.js";
import { didYouMean } from "./diagnostic.js";

/** Reports a problem at a node (or, when node is undefined, at the enclosing `with:`/stage). */
export type Report = (node: Node | undefined, message: string) => void;

/** What validation needs beyond the spec: where relative paths resolve, and a list that collects
 * the asynchronous `check` hooks of string params (run by the resolver after validation). */
export interface ValidateContext {
  projectDir?: string;
  checks?: { node: Node | undefined; path: string; value: string; check: NonNullable<StringSpec["check"]> }[];
}

/** The spec for key `name` of an object spec: its own entry, or the `*` entry (free-form keys). */
const entryOf = (spec: ParamsSpec, name: string): ParamSpec | undefined => (name === "*" ? undefined : spec[name] ?? spec["*"]);
const declared = (spec: ParamsSpec) => Object.keys(spec).filter((k) => k !== "*");

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

/** Resolved params for a `with:` map (or undefined = empty), defaults filled in. */
export function resolveParams(spec: ParamsSpec, node: Node | undefined, path: string, report: Report, vctx: ValidateContext = {}): Record<string, Json> {
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
      if (!entryOf(spec, name)) {
        report(key, `unknown param "${name}" in ${path}${didYouMean(name, declared(spec))}; known: ${declared(spec).join(", ") || "none"}`);
        continue;
      }
      given.set(name, { key, value: pair.value as Node | null });
    }
  }
  const names = [...declared(spec), ...[...given.keys()].filter((k) => !(k in spec))];
  for (const name of names) {
    const ps = entryOf(spec, name)!;
    const g = given.get(name);
    const here = `${path}.${name}`;
    if (g) {
      const v = validateNode(ps, g.value ?? undefined, here, (n, m) => report(n ?? g.key, m), vctx);
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
      if (k === "*") continue;
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
export function validateNode(ps: ParamSpec, node: Node | undefined, path: string, report: Report, vctx: ValidateContext = {}): Json | undefined {
  const isNull = node === undefined || (isScalar(node) && node.value === null);
  if (isNull) {
    if (ps.nullable || (ps.type !== "object" && ps.default === null)) return null;
    report(node, `${path} must be ${describe(ps)}, got null`);
    return undefined;
  }
  switch (ps.type) {
    case "object":
      if (!isMap(node)) break;
      return resolveParams(ps.properties, node, path, report, vctx);
    case "json":
      return (node.toJSON() ?? null) as Json;
    case "array": {
      if (!isSeq(node)) break;
      const out: Json[] = [];
      let ok = true;
      (node.items as (Node | null)[]).forEach((item, i) => {
        const v = validateNode(ps.items, item ?? undefined, `${path}[${i}]`, (n, m) => report(n ?? node, m), vctx);
        if (v === undefined) ok = false;
        else out.push(v);
      });
      return ok ? out : undefined;
    }
    default: {
      if (!isScalar(node)) break;
      const v = checkScalar(ps, node.value, path, (m) => report(node, m), vctx);
      if (ps.type === "string" && ps.check && typeof v === "string") vctx.checks?.push({ node, path, value: v, check: ps.check });
      return v;
    }
  }
  report(node, `${path} must be ${describe(ps)}`);
  return undefined;
}

function checkScalar(ps: ParamSpec, v: unknown, path: string, report: (m: string) => void, vctx: ValidateContext = {}): Json | undefined {
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
      if (ps.module && isModulePath(v as string)) {
        const abs = vctx.projectDir !== undefined ? resolvePath(vctx.projectDir, v as string) : undefined;
        if (abs !== undefined && !existsSync(abs)) return report(`${path}: module ${v as string} not found (looked for ${abs})`), undefined;
      } else if (ps.names && !ps.enum) {
        const names = ps.names();
        if (!names.includes(v as string))
          return report(`${path} must be ${describe(ps)}, got ${show(v)}${didYouMean(v as string, names)}`), undefined;
      }
      return v as string;
    case "boolean":
      if (typeof v !== "boolean") return report(`${path} must be true or false, got ${show(v)}`), undefined;
      return v;
    case "path": {
      if (typeof v !== "string" || v === "") return report(`${path} must be ${describe(ps)}, got ${show(v)}`), undefined;
      if (vctx.projectDir !== undefined) {
        const abs = resolvePath(vctx.projectDir, v);
        const st = statSync(abs, { throwIfNoEntry: false });
        const label = path.replace(/^params\./, "").replace(/\[\d+\]$/, "");
        if (!st) return report(`${label} path "${v}" does not exist (looked for ${abs})`), undefined;
        if (ps.expect === "file" && !st.isFile()) return report(`${label} path "${v}" must be a file (${abs} is a directory)`), undefined;
        if (ps.expect === "dir" && !st.isDirectory()) return report(`${label} path "${v}" must be a directory (${abs} is a file)`), undefined;
      }
      return v;
    }
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
    ps = entryOf(props, k);
    if (!ps) return `${where} has no param "${keys.slice(0, i + 1).join(".")}"${didYouMean(k, declared(props))}`;
    if (ps.type === "json") return ps; // free-form below this point
    if (i < keys.length - 1) {
      if (ps.type !== "object") return `${where}: "${keys.slice(0, i + 1).join(".")}" is ${describe(ps)}, not a mapping`;
      props = ps.properties;
    }
  }
  return ps!;
}

/** Coerces a `--set` string by its spec: numbers, booleans, null, YAML flow lists/maps. */
export function coerceSetValue(ps: ParamSpec, raw: string, path: string, vctx: ValidateContext = {}): { value: Json } | { error: string } {
  let error: string | undefined;
  const report: Report = (_n, m) => { error ??= m; };
  if (ps.type === "string") {
    if (raw === "null" && (ps.nullable || ps.default === null)) return { value: null };
    const v = checkScalar(ps, raw, path, (m) => report(undefined, m), vctx);
    if (ps.check && typeof v === "string") vctx.checks?.push({ node: undefined, path, value: v, check: ps.check });
    return v === undefined ? { error: error! } : { value: v };
  }
  if (ps.type === "path") {
    const v = checkScalar(ps, raw, path, (m) => report(undefined, m), vctx);
    return v === undefined ? { error: error! } : { value: v };
  }
  const doc = parseDocument(raw);
  if (doc.errors.length) return { error: `${path}: cannot parse ${JSON.stringify(raw)}: ${doc.errors[0]!.message.split("\n")[0]}` };
  const v = validateNode(ps, (doc.contents as Node | null) ?? undefined, path, report, vctx);
  return v === undefined ? { error: error ?? `${path}: invalid value ${JSON.stringify(raw)}` } : { value: v };
}

/** Free-form value for shell stages' params: YAML scalar rules ("3" → 3, "true" → true). */
export function parseLooseValue(raw: string): Json {
  const doc = parseDocument(raw);
  if (doc.errors.length) return raw;
  return (doc.toJSON() ?? null) as Json;
}

/** A module-path value of a `module: true` string param (./x.js, ../x.js, /abs/x.js), not a name. */
export const isModulePath = (v: string): boolean => /^(\.{1,2}\/|\/)/.test(v);

/** Every value of `path` params and module-path values of `module: true` string params, with its
 * dotted param path ("deps.0", "features"), walking nested objects and lists. */
export function collectPathValues(spec: ParamsSpec, params: Json): { param: string; value: string; as: "path" | "module"; expect?: "file" | "dir" }[] {
  const out: { param: string; value: string; as: "path" | "module"; expect?: "file" | "dir" }[] = [];
  const walk = (ps: ParamSpec, v: Json, at: string) => {
    if (v === null || v === undefined) return;
    if (ps.type === "path" && typeof v === "string") out.push({ param: at, value: v, as: "path", ...(ps.expect ? { expect: ps.expect } : {}) });
    else if (ps.type === "string" && ps.module && typeof v === "string" && isModulePath(v)) out.push({ param: at, value: v, as: "module" });
    else if (ps.type === "array" && Array.isArray(v)) v.forEach((x, i) => walk(ps.items, x, `${at}.${i}`));
    else if (ps.type === "object" && typeof v === "object" && !Array.isArray(v))
      for (const [k, sub] of Object.entries(ps.properties)) walk(sub, (v as Record<string, Json>)[k] ?? null, at ? `${at}.${k}` : k);
  };
  if (params && typeof params === "object" && !Array.isArray(params))
    for (const [k, ps] of Object.entries(spec)) walk(ps, (params as Record<string, Json>)[k] ?? null, k);
  return out;
}

/** A copy of `params` with every path / module-path value made absolute against `dir`: what the
 * stage receives (the key keeps them as written). */
export function absolutePaths(spec: ParamsSpec, params: Record<string, Json>, dir: string, resolvePath: (dir: string, p: string) => string): Record<string, Json> {
  const copy = structuredClone(params);
  for (const { param, value } of collectPathValues(spec, params)) {
    const keys = param.split(".");
    let o: Record<string, Json> | Json[] = copy;
    for (const k of keys.slice(0, -1)) o = (o as Record<string, Json>)[k] as Record<string, Json>;
    (o as Record<string, Json>)[keys[keys.length - 1]!] = resolvePath(dir, value);
  }
  return copy;
}
