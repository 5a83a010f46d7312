// pipeline.yaml + registry + --set → a validated, resolved pipeline: each stage's kind loaded,
// params checked against its ParamsSpec with defaults filled, overrides applied, edges checked
// (unknown names, cycles), deps and data paths checked. Every problem is a Diagnostic (exit 2).
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { Node } from "yaml";
import type { Json } from "../params.js";
import type { AnyKind, Registry } from "../registry.js";
import { KindUnavailableError } from "../registry.js";
import { loadConfig, spanOf, type PipelineConfig, type StageDecl } from "./config.js";
import { ConfigError, didYouMean, type Diagnostic } from "./diagnostic.js";
import { findCycle, topoOrder } from "./graph.js";
import { coerceSetValue, parseLooseValue, resolveParams, specAt } from "./validate-params.js";

export interface ResolvedStage {
  name: string;
  /** `uses:` kind, or "shell" for `run:` stages. */
  kindName: string;
  kind: AnyKind;
  params: Record<string, Json>;
  needs: string[];
  /** Shell deps: as written (relative to the pipeline dir) and absolute. */
  deps: { path: string; abs: string }[];
  command?: string;
  decl: StageDecl;
}

export interface Pipeline {
  file: string;
  dir: string;
  /** Absolute data set path, or null. */
  data: string | null;
  /** The data path as the user gave it (for messages and the key). */
  dataLabel: string | null;
  stages: Map<string, ResolvedStage>;
  /** Topological order. */
  order: string[];
  /** --set arguments, verbatim. */
  overrides: string[];
  config: PipelineConfig;
}

export interface ResolveOptions {
  registry: Registry;
  /** --set key=value strings. */
  sets?: string[];
  cwd?: string;
}

export async function loadPipeline(file: string, opts: ResolveOptions): Promise<Pipeline> {
  return resolvePipeline(loadConfig(file), opts);
}

export async function resolvePipeline(cfg: PipelineConfig, opts: ResolveOptions): Promise<Pipeline> {
  const diags: Diagnostic[] = [];
  const setErrors: string[] = [];
  const stages = new Map<string, ResolvedStage>();
  const names = cfg.stages.map((s) => s.name);

  // Load the kinds this pipeline uses (only those), in parallel.
  const kinds = await Promise.all(cfg.stages.map(async (d): Promise<AnyKind | undefined> => {
    const kindName = d.uses?.value ?? "shell";
    if (d.uses && (!opts.registry.has(kindName) || kindName === "shell")) {
      diags.push(cfg.at(d.uses.span, `unknown stage kind "${kindName}"${didYouMean(kindName, opts.registry.names())}; built-in kinds: ${opts.registry.names().join(", ")} (or use \`run:\` for a shell command)`));
      return undefined;
    }
    try {
      return await opts.registry.load(kindName);
    } catch (e) {
      if (!(e instanceof KindUnavailableError)) throw e;
      diags.push(cfg.at(d.uses?.span ?? d.span, e.message));
      return undefined;
    }
  }));

  cfg.stages.forEach((d, i) => {
    const kind = kinds[i];
    if (!kind) return;
    const report = (node: Node | undefined, message: string) =>
      diags.push(cfg.at(spanOf(node) ?? spanOf(d.with) ?? d.span, `stage "${d.name}": ${message}`));
    const params = d.run
      ? ((d.params?.toJSON() as Record<string, Json> | undefined) ?? {})
      : resolveParams(kind.params, d.with, "params", report);
    const needs: string[] = [];
    for (const n of d.needs) {
      if (n.value === d.name) diags.push(cfg.at(n.span, `dependency cycle: ${d.name} → ${d.name} (a stage cannot need itself)`));
      else if (!names.includes(n.value)) diags.push(cfg.at(n.span, `stage "${d.name}" needs unknown stage "${n.value}"${didYouMean(n.value, names.filter((x) => x !== d.name))}`));
      else if (!needs.includes(n.value)) needs.push(n.value);
    }
    const deps = d.deps.map((p) => ({ path: p.value, abs: resolve(cfg.dir, p.value), span: p.span }));
    for (const dep of deps)
      if (!existsSync(dep.abs)) diags.push(cfg.at(dep.span, `stage "${d.name}": deps path "${dep.path}" does not exist (looked for ${dep.abs})`));
    stages.set(d.name, {
      name: d.name,
      kindName: d.uses?.value ?? "shell",
      kind,
      params,
      needs,
      deps: deps.map(({ path, abs }) => ({ path, abs })),
      command: d.run?.value,
      decl: d,
    });
  });

  // Cycles: report once, at the `needs:` entry that closes the loop.
  if (!diags.length) {
    const cycle = findCycle([...stages.values()]);
    if (cycle) {
      const [from, to] = [cycle[cycle.length - 2]!, cycle[cycle.length - 1]!];
      const entry = stages.get(from)!.decl.needs.find((n) => n.value === to);
      diags.push(cfg.at(entry?.span ?? stages.get(from)!.decl.span, `dependency cycle: ${cycle.join(" → ")}`));
    }
  }

  // --set overrides.
  let data = cfg.data ? resolve(cfg.dir, cfg.data.value) : null;
  let dataLabel = cfg.data?.value ?? null;
  for (const raw of opts.sets ?? []) {
    const eq = raw.indexOf("=");
    if (eq <= 0) { setErrors.push(`--set ${raw}: expected key=value, e.g. --set train.lr=0.0003 or --set data=path/to/clips`); continue; }
    const key = raw.slice(0, eq).trim();
    const value = raw.slice(eq + 1);
    if (key === "data") {
      if (value === "" || value === "null") { data = null; dataLabel = null; continue; }
      data = isAbsolute(value) ? value : resolve(opts.cwd ?? process.cwd(), value);
      dataLabel = value;
      if (!existsSync(data)) setErrors.push(`--set ${raw}: data set path ${data} does not exist`);
      continue;
    }
    const [stageName, ...path] = key.split(".");
    const st = stages.get(stageName!);
    if (!st) {
      if (!names.includes(stageName!)) setErrors.push(`--set ${raw}: no stage "${stageName}"${didYouMean(stageName!, [...names, "data"])}; use --set data=PATH or --set <stage>.<param>=VALUE`);
      continue;
    }
    if (!path.length) { setErrors.push(`--set ${raw}: name a param, e.g. --set ${stageName}.<param>=VALUE`); continue; }
    if (st.kindName === "shell") {
      const err = setShellParam(st.params, path, parseLooseValue(value));
      if (err) setErrors.push(`--set ${raw}: stage "${stageName}" ${err}`);
      continue;
    }
    const ps = specAt(st.kind.params, path, `stage "${stageName}"`);
    if (typeof ps === "string") { setErrors.push(`--set ${raw}: ${ps}`); continue; }
    const r = coerceSetValue(ps, value, `params.${path.join(".")}`);
    if ("error" in r) { setErrors.push(`--set ${raw}: stage "${stageName}": ${r.error}`); continue; }
    setPath(st.params, path, r.value);
  }

  if (!diags.length && !setErrors.length && cfg.data && data === resolve(cfg.dir, cfg.data.value) && !existsSync(data)) {
    const users = [...stages.values()].filter((s) => s.kind.usesData).map((s) => s.name);
    if (users.length) diags.push(cfg.at(cfg.data.span, `data set path "${cfg.data.value}" does not exist (looked for ${data}); stages reading it: ${users.join(", ")}`));
  }
  if (diags.length || setErrors.length) throw new ConfigError(diags, setErrors);
  const order = topoOrder([...stages.values()]);
  return { file: cfg.file, dir: cfg.dir, data, dataLabel, stages, order, overrides: [...(opts.sets ?? [])], config: cfg };
}

function setPath(obj: Record<string, Json>, path: string[], value: Json): void {
  let o = obj;
  for (const k of path.slice(0, -1)) {
    const next = o[k];
    if (typeof next !== "object" || next === null || Array.isArray(next)) o[k] = {};
    o = o[k] as Record<string, Json>;
  }
  o[path[path.length - 1]!] = value;
}

/** Shell params are free-form, but a --set of a key that is not there is most likely a typo. */
function setShellParam(params: Record<string, Json>, path: string[], value: Json): string | undefined {
  let o: Record<string, Json> = params;
  for (let i = 0; i < path.length; i++) {
    const k = path[i]!;
    if (!(k in o)) return `has no param "${path.slice(0, i + 1).join(".")}"${didYouMean(k, Object.keys(o))}${Object.keys(o).length ? `; params: ${Object.keys(o).join(", ")}` : " (declare it under params:)"}`;
    if (i === path.length - 1) { o[k] = value; return undefined; }
    const next = o[k];
    if (typeof next !== "object" || next === null || Array.isArray(next)) return `param "${path.slice(0, i + 1).join(".")}" is not a mapping`;
    o = next as Record<string, Json>;
  }
  return undefined;
}
