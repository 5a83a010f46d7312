// pipeline.yaml + registry + --set → a validated, resolved pipeline: each stage's kind loaded (a
// built-in by name, or a user module by path), params checked against its ParamsSpec with
// defaults filled, overrides applied, edges checked (unknown names, cycles), paths and the data
// path checked. `run:`/`deps:`/`params:` is sugar for `uses: shell`. Every problem is a
// Diagnostic (exit 2).
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { isMap, isScalar, isSeq, Pair, Scalar, YAMLMap, YAMLSeq, type Node } from "yaml";
import type { Json } from "../params.js";
import { loadConfig, spanOf, type PipelineConfig, type StageDecl } from "./config.js";
import { ConfigError, didYouMean, type Diagnostic } from "./diagnostic.js";
import { findCycle, topoOrder } from "./graph.js";
import { isKindPath, KindUnavailableError, loadKindModule, type AnyKind, type LoadedKind, type Registry } from "./kinds.js";
import { coerceSetValue, resolveParams, specAt, type ValidateContext } from "./validate-params.js";

export interface ResolvedStage {
  name: string;
  /** `uses:` as written: a built-in name, "shell" for `run:`, or a module path. */
  kindName: string;
  kind: AnyKind;
  /** The module file the kind was loaded from (its import closure is the kind's code version). */
  kindModule: string;
  /** Code-version file names are shown relative to this directory. */
  kindRoot: string;
  /** Resolved params (defaults filled, --set applied); path params as written. */
  params: Record<string, Json>;
  needs: string[];
  /** True for the `run:` sugar: --set paths are relative to its `params:`. */
  sugar: boolean;
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

const SHELL_KEYS = new Set(["command", "deps"]);

/** The `run:` sugar as the `with:` of a `uses: shell` stage, built from the original YAML nodes
 * so that errors keep their line:col. */
function shellWith(d: StageDecl, report: (node: Node | undefined, message: string) => void): YAMLMap {
  const m = new YAMLMap();
  if (d.runNode) m.items.push(new Pair(new Scalar("command"), d.runNode));
  if (d.depsNode) {
    // `deps: a` is short for `deps: [a]`.
    let deps = d.depsNode;
    if (isScalar(deps)) { const seq = new YAMLSeq(); seq.items.push(deps); seq.range = deps.range; deps = seq; }
    m.items.push(new Pair(new Scalar("deps"), deps));
  }
  if (d.params && isMap(d.params)) {
    for (const pair of d.params.items) {
      const k = pair.key as Node;
      if (isScalar(k) && SHELL_KEYS.has(String(k.value))) report(k, `params: "${String(k.value)}" is reserved for the shell stage's own ${String(k.value) === "command" ? "`run:`" : "`deps:`"}; rename this param`);
      else m.items.push(pair);
    }
  }
  return m;
}

export async function resolvePipeline(cfg: PipelineConfig, opts: ResolveOptions): Promise<Pipeline> {
  const diags: Diagnostic[] = [];
  const setErrors: string[] = [];
  const stages = new Map<string, ResolvedStage>();
  const names = cfg.stages.map((s) => s.name);
  if (!cfg.stages.length) {
    const at = cfg.source.search(/^stages\s*:/m);
    diags.push(cfg.at(at >= 0 ? [at, at + 6] : undefined, "the pipeline has no stages: add at least one under `stages:` (e.g. `extract: {uses: extract}`)"));
    throw new ConfigError(diags);
  }

  // Load the kinds this pipeline uses (only those), in parallel.
  const kinds = await Promise.all(cfg.stages.map(async (d): Promise<LoadedKind | undefined> => {
    const uses = d.uses?.value ?? "shell";
    try {
      if (d.uses && isKindPath(uses)) return await loadKindModule(uses, cfg.dir);
      if (!opts.registry.has(uses)) {
        diags.push(cfg.at(d.uses!.span, `unknown stage kind "${uses}"${didYouMean(uses, opts.registry.names())}; built-in kinds: ${opts.registry.names().filter((n) => n !== "shell").join(", ")} (or \`run:\` for a shell command, or a module path: \`uses: ./my-kind.js\`)`));
        return undefined;
      }
      return await opts.registry.load(uses);
    } catch (e) {
      if (!(e instanceof KindUnavailableError)) throw e;
      diags.push(cfg.at(d.uses?.span ?? d.span, e.message));
      return undefined;
    }
  }));

  const vctx: ValidateContext = { projectDir: cfg.dir, checks: [] };
  const checkOwner = new Map<object, StageDecl>();
  cfg.stages.forEach((d, i) => {
    const loaded = kinds[i];
    if (!loaded) return;
    const { kind } = loaded;
    const report = (node: Node | undefined, message: string) =>
      diags.push(cfg.at(spanOf(node) ?? spanOf(d.with) ?? d.span, `stage "${d.name}": ${message}`));
    const before = vctx.checks!.length;
    const params = resolveParams(kind.params, d.run ? shellWith(d, report) : d.with, "params", report, vctx);
    for (const c of vctx.checks!.slice(before)) checkOwner.set(c, d);
    const needs: string[] = [];
    for (const n of d.needs) {
      if (n.value === d.name) diags.push(cfg.at(n.span, `dependency cycle: ${d.name} → ${d.name} (a stage cannot need itself)`));
      else if (!names.includes(n.value)) diags.push(cfg.at(n.span, `stage "${d.name}" needs unknown stage "${n.value}"${didYouMean(n.value, names.filter((x) => x !== d.name))}`));
      else if (!needs.includes(n.value)) needs.push(n.value);
    }
    stages.set(d.name, {
      name: d.name,
      kindName: d.uses?.value ?? "shell",
      kind,
      kindModule: loaded.module,
      kindRoot: loaded.root,
      params,
      needs,
      sugar: !!d.run,
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
  const setChecks: ValidateContext = { projectDir: cfg.dir, checks: [] };
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
    const [stageName, ...rest] = key.split(".");
    const st = stages.get(stageName!);
    if (!st) {
      if (!names.includes(stageName!)) setErrors.push(`--set ${raw}: no stage "${stageName}"${didYouMean(stageName!, [...names, "data"])}; use --set data=PATH or --set <stage>.<param>=VALUE`);
      continue;
    }
    if (!rest.length) { setErrors.push(`--set ${raw}: name a param, e.g. --set ${stageName}.<param>=VALUE`); continue; }
    // Free-form params (a shell stage's `params:`) take only keys that are declared, so a typo is
    // not silently a new param.
    const spec = st.kind.params;
    if (!(rest[0]! in spec) && "*" in spec && !(rest[0]! in st.params)) {
      const have = Object.keys(st.params).filter((k) => !(k in spec));
      setErrors.push(`--set ${raw}: stage "${stageName}" has no param "${rest[0]}"${didYouMean(rest[0]!, have)}${have.length ? `; params: ${have.join(", ")}` : " (declare it under params:)"}`);
      continue;
    }
    const ps = specAt(spec, rest, `stage "${stageName}"`);
    if (typeof ps === "string") { setErrors.push(`--set ${raw}: ${ps}`); continue; }
    const before = setChecks.checks!.length;
    const r = coerceSetValue(ps, value, `params.${rest.join(".")}`, setChecks);
    for (const c of setChecks.checks!.slice(before)) checkOwner.set(c, st.decl);
    if ("error" in r) { setErrors.push(`--set ${raw}: stage "${stageName}": ${r.error}`); continue; }
    setPath(st.params, rest, r.value);
  }

  // Asynchronous checks of string params (a feature extractor module's shape...).
  if (!diags.length) {
    await Promise.all(vctx.checks!.map(async (c) => {
      const msg = await runCheck(c.check, c.value, cfg.dir);
      if (msg) diags.push(cfg.at(spanOf(c.node) ?? checkOwner.get(c)?.span, `stage "${checkOwner.get(c)?.name}": ${c.path}: ${msg}`));
    }));
    await Promise.all(setChecks.checks!.map(async (c) => {
      const msg = await runCheck(c.check, c.value, cfg.dir);
      if (msg) setErrors.push(`--set ${checkOwner.get(c)?.name}.${c.path.replace(/^params\./, "")}=${c.value}: ${msg}`);
    }));
  }

  if (!diags.length && !setErrors.length && cfg.data && data === resolve(cfg.dir, cfg.data.value) && !existsSync(data)) {
    const users = [...stages.values()].filter((s) => usesData(s)).map((s) => s.name);
    if (users.length) diags.push(cfg.at(cfg.data.span, `data set path "${cfg.data.value}" does not exist (looked for ${data}); stages reading it: ${users.join(", ")}`));
  }
  if (diags.length || setErrors.length) throw new ConfigError(diags, setErrors);
  const order = topoOrder([...stages.values()]);
  return { file: cfg.file, dir: cfg.dir, data, dataLabel, stages, order, overrides: [...(opts.sets ?? [])], config: cfg };
}

/** Does the stage read the data set (so its content is in the key)? */
export function usesData(s: ResolvedStage): boolean {
  const u = s.kind.usesData;
  return typeof u === "function" ? u(s.params) : u === true;
}

async function runCheck(check: (v: string, at: { projectDir: string }) => Promise<string | undefined> | string | undefined, value: string, projectDir: string): Promise<string | undefined> {
  try {
    return await check(value, { projectDir });
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
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
