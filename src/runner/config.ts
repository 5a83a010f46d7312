// Loads pipeline.yaml keeping source positions, and checks its *shape* (keys, types, names).
// Whether `uses:` names a known kind and whether `with:` fits that kind's params is checked by
// resolve.ts, which needs the registry. Every problem becomes a Diagnostic with line:col.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Node, type Pair } from "yaml";
import { ConfigError, didYouMean, editDistance, type Diagnostic } from "./diagnostic.js";
import { parseRemoteNode, type RemoteSpec } from "../remote/config.js";
import { parseExecutorNode, type ExecutorSpec } from "../distributed/config.js";
import { duplicateKeys, explainYamlErrors, missingSpaceHint } from "./yaml-errors.js";

/** [start, end) character offsets in the pipeline file. */
export type Span = readonly [number, number];
export interface Located<T> {
  value: T;
  span: Span;
}

export interface StageDecl {
  name: string;
  /** Span of the stage's name (the map key). */
  span: Span;
  /** `uses:` for built-in kinds; undefined for shell stages. */
  uses?: Located<string>;
  /** `run:` command for shell stages. */
  run?: Located<string>;
  /** `with:` (built-in params) as a YAML node, validated later against the kind's ParamsSpec. */
  with?: Node;
  /** `params:` of a shell stage, free-form. */
  params?: Node;
  needs: Located<string>[];
  /** Shell stages' declared input files/dirs, relative to the pipeline's directory. */
  deps: Located<string>[];
  /** The YAML nodes of `run:` and `deps:` (the `run:` sugar becomes `uses: shell` params). */
  runNode?: Node;
  depsNode?: Node;
}

export interface PipelineConfig {
  /** Absolute path of pipeline.yaml. */
  file: string;
  /** Its directory: relative paths (data, deps) resolve against it. */
  dir: string;
  source: string;
  /** `data:` as written (relative to `dir`), null when absent or null. */
  data: Located<string> | null;
  stages: StageDecl[];
  /** `remote:` (the team's remote cache, src/remote/config.ts) and `executor:` (where fanned-out
   * stages run, src/distributed/config.ts); null when absent. */
  remote: RemoteSpec | null;
  executor: ExecutorSpec | null;
  /** Diagnostic at a span of this file. */
  at(span: Span | undefined, message: string): Diagnostic;
}

const TOP_KEYS = ["data", "stages", "remote", "executor"] as const;
const BUILTIN_KEYS = ["uses", "with", "needs"] as const;
const SHELL_KEYS = ["run", "deps", "params", "needs"] as const;
const STAGE_KEYS = ["uses", "with", "needs", "run", "deps", "params"] as const;
const STAGE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function spanOf(node: Node | null | undefined): Span | undefined {
  const r = node?.range;
  return r ? [r[0], r[1]] : undefined;
}

export function loadConfig(file: string): PipelineConfig {
  const abs = resolve(file);
  let source: string;
  try {
    source = readFileSync(abs, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(code === "ENOENT" ? `${file}: no such file (pass the pipeline file: dfd run path/to/pipeline.yaml)` : `${file}: ${(e as Error).message}`);
  }
  return parseConfig(abs, source);
}

export function parseConfig(file: string, source: string): PipelineConfig {
  const lc = new LineCounter();
  const lines = source.split(/\r?\n/);
  const diags: Diagnostic[] = [];
  const at = (span: Span | undefined, message: string): Diagnostic => {
    const start = span?.[0] ?? 0;
    const end = Math.max(start + 1, span?.[1] ?? start + 1);
    const { line, col } = lc.linePos(start);
    const text = lines[line - 1] ?? "";
    // Underline to the end of the span but never past the end of its first line.
    const length = Math.min(end - start, text.length - col + 1);
    return { file, line, col, length: Math.max(1, length), message, source: text };
  };
  const err = (node: Node | Span | null | undefined, message: string) =>
    diags.push(at(Array.isArray(node) ? (node as Span) : spanOf(node as Node), message));

  // Duplicate keys are found by duplicateKeys (the parser's own error names one character).
  const doc = parseDocument(source, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  for (const p of explainYamlErrors(source, doc.errors, lc)) diags.push(at(p.span, p.message));
  if (diags.length) throw new ConfigError(diags);
  for (const p of duplicateKeys(doc, lc)) diags.push(at(p.span, p.message));
  if (diags.length) throw new ConfigError(diags);

  const cfg: PipelineConfig = { file, dir: dirname(file), source, data: null, stages: [], remote: null, executor: null, at };
  const root = doc.contents;
  if (!isMap(root)) {
    err(root ?? [0, 1], "pipeline.yaml must be a mapping with `stages:` (and optionally `data:`)" + missingSpaceHint(isScalar(root) ? root.value : undefined));
    throw new ConfigError(diags);
  }
  let sawStages = false;
  for (const pair of root.items) {
    const key = keyOf(pair);
    if (!key) { err(pair.key as Node, "keys must be plain strings"); continue; }
    const value = pair.value as Node | null;
    if (key.value === "data") {
      if (value === null || (isScalar(value) && value.value === null)) cfg.data = null;
      else if (isScalar(value) && typeof value.value === "string" && value.value !== "") cfg.data = { value: value.value, span: spanOf(value)! };
      else err(value, "`data:` must be a path (a folder of real/ and fake/ clips, or a CSV manifest) or null");
    } else if (key.value === "stages") {
      sawStages = true;
      if (value === null || (isScalar(value) && value.value === null)) { err(key.span, "`stages:` is empty: put the stages under it, indented (`  extract:` on the next line)"); continue; }
      if (!isMap(value)) { err(value ?? key.span, "`stages:` must be a mapping of stage name → stage" + missingSpaceHint(isScalar(value) ? value.value : undefined)); continue; }
      for (const sp of value.items) {
        const name = keyOf(sp);
        if (!name) { err(sp.key as Node, "stage names must be plain strings"); continue; }
        if (!STAGE_NAME.test(name.value)) { err(name.span, `invalid stage name "${name.value}": use letters, digits, - and _`); continue; }
        const stage = parseStage(name, sp.value as Node | null, err, source);
        if (stage) cfg.stages.push(stage);
      }
    } else if (key.value === "remote") {
      cfg.remote = parseRemoteNode(value, key.span, err);
    } else if (key.value === "executor") {
      cfg.executor = parseExecutorNode(value, key.span, err);
    } else {
      // `demo:` at column 0 under `stages:`: a stage that lost its indentation.
      const stageLike = isMap(value) && value.items.some((p) => isScalar(p.key) && (p.key.value === "uses" || p.key.value === "run"));
      err(key.span, `unknown top-level key "${key.value}"${didYouMean(key.value, TOP_KEYS)}; expected one of: ${TOP_KEYS.join(", ")}` +
        (stageLike ? `; "${key.value}" looks like a stage: indent it under \`stages:\`` : ""));
    }
  }
  if (!sawStages && !diags.length) err([0, 1], "pipeline.yaml has no `stages:`");
  if (diags.length) throw new ConfigError(diags);
  return cfg;
}

type Err = (node: Node | Span | null | undefined, message: string) => void;

function parseStage(name: Located<string>, node: Node | null, err: Err, source: string): StageDecl | undefined {
  if (!isMap(node)) {
    err(node ?? name.span, `stage "${name.value}" must be a mapping with \`uses:\` or \`run:\`` + missingSpaceHint(isScalar(node) ? node.value : undefined));
    return undefined;
  }
  const stage: StageDecl = { name: name.value, span: name.span, needs: [], deps: [] };
  const keys = new Map<string, Located<string>>();
  let emptyBlock: string | undefined; // the previous key was `with:`/`params:` with nothing under it
  const unknown: { key: Located<string>; after: string | undefined; value: Node | null }[] = [];
  for (const pair of node.items) {
    const after = emptyBlock;
    emptyBlock = undefined;
    const key = keyOf(pair);
    if (!key) { err(pair.key as Node, "keys must be plain strings"); continue; }
    keys.set(key.value, key);
    const value = pair.value as Node | null;
    switch (key.value) {
      case "uses":
      case "run": {
        // `run: true` is a fine command even though YAML reads it as a boolean.
        if (key.value === "run" && isScalar(value) && (typeof value.value === "number" || typeof value.value === "boolean"))
          stage.run = { value: String(value.source ?? value.value), span: spanOf(value)! };
        else if (isScalar(value) && typeof value.value === "string" && value.value.trim() !== "")
          stage[key.value] = { value: value.value, span: spanOf(value)! };
        else err(value ?? key.span, (key.value === "uses" ? "`uses:` must name a stage kind, e.g. `uses: extract`" : "`run:` must be a shell command string") + quoteHint(value, source));
        if (key.value === "run" && value) stage.runNode = value;
        break;
      }
      case "with":
      case "params":
        if (value === null || (isScalar(value) && value.value === null)) { emptyBlock = key.value; break; }
        if (!isMap(value)) { err(value, `\`${key.value}:\` must be a mapping of param → value` + missingSpaceHint(isScalar(value) ? value.value : undefined)); break; }
        stage[key.value] = value;
        break;
      case "needs":
      case "deps":
        stage[key.value] = stringList(value, key, err);
        if (key.value === "deps" && value) stage.depsNode = value;
        break;
      default:
        unknown.push({ key, after, value });
    }
  }
  const uses = keys.get("uses");
  const run = keys.get("run");
  for (const { key, after, value } of unknown) {
    // A mapping under a misspelt `with:`/`params:` ("whit: {fps: 8}"): a looser match is safe there.
    const close = isMap(value) ? ["with", "params"].find((k) => editDistance(key.value.toLowerCase(), k) <= 2) : undefined;
    const typo = didYouMean(key.value, STAGE_KEYS) || (close ? ` (did you mean "${close}"?)` : "");
    // `fps: 8` right under a stage: a param one level too high.
    const hint = typo ? "" : after ? `; \`${after}:\` above is empty: to put "${key.value}" inside it, indent it further than \`${after}:\``
      : uses ? `; a \`uses:\` stage's params go under \`with:\` (with: {${key.value}: …})` : run ? `; a \`run:\` stage's params go under \`params:\`` : "";
    err(key.span, `unknown key "${key.value}" in stage "${name.value}"${typo}${hint}`);
  }
  if (uses && run) err(run.span, `stage "${name.value}" has both \`uses:\` and \`run:\`; a stage is either built-in (uses/with) or a shell command (run/deps/params)`);
  else if (!uses && !run) err(name.span, `stage "${name.value}" needs \`uses: <kind>\` or \`run: <command>\``);
  else {
    const allowed: readonly string[] = uses ? BUILTIN_KEYS : SHELL_KEYS;
    for (const [k, loc] of keys)
      if (!allowed.includes(k) && (STAGE_KEYS as readonly string[]).includes(k))
        err(loc.span, uses ? `\`${k}:\` is for shell stages (\`run:\`); a \`uses:\` stage takes \`with:\` and \`needs:\`` : `\`${k}:\` is for built-in stages (\`uses:\`); a \`run:\` stage takes \`deps:\`, \`params:\` and \`needs:\``);
  }
  return stage;
}

function stringList(value: Node | null, key: Located<string>, err: Err): Located<string>[] {
  if (value === null || (isScalar(value) && value.value === null)) return [];
  // `needs: a` is accepted as shorthand for `needs: [a]`.
  if (isScalar(value) && typeof value.value === "string") {
    if (key.value === "needs" && value.value.includes(",")) {
      err(value, `\`needs: ${value.value}\` is one string in YAML; write a list: needs: [${value.value}]`);
      return [];
    }
    return [{ value: value.value, span: spanOf(value)! }];
  }
  if (!isSeq(value)) { err(value, `\`${key.value}:\` must be a list of ${key.value === "needs" ? "stage names" : "paths"}`); return []; }
  const out: Located<string>[] = [];
  for (const item of value.items as (Node | null)[]) {
    if (isScalar(item) && typeof item.value === "string" && item.value !== "") out.push({ value: item.value, span: spanOf(item)! });
    else err(item ?? key.span, `\`${key.value}:\` entries must be ${key.value === "needs" ? "stage names" : "paths"} (strings)`);
  }
  return out;
}

/** For a `uses:`/`run:` value that YAML read as a list, a mapping or an alias: quote it. */
function quoteHint(value: Node | null, source: string): string {
  if (!value?.range || !(isSeq(value) || isMap(value) || isAlias(value))) return "";
  const text = source.slice(value.range[0], value.range[1]).trim();
  const q = text.includes("'") ? JSON.stringify(text) : `'${text}'`;
  return `; YAML read "${text}" as ${isAlias(value) ? "an alias (\`*\`)" : isSeq(value) ? "a list" : "a mapping"}: quote it, e.g. ${q}`;
}

function keyOf(pair: Pair): Located<string> | undefined {
  const k = pair.key as Node | null;
  if (isScalar(k) && typeof k.value === "string") return { value: k.value, span: spanOf(k)! };
  return undefined;
}
