// Computes a stage's KeyComponents: code version (import closure), environment block, keyed
// params, the trees named by path params, the data set, and the needed stages' output hashes.
// Called only once every needed stage is final. Tree file lists go to the store's FileLists.
import { readFileSync, statSync } from "node:fs";
import { stat } from "node:fs/promises";
import { arch, platform } from "node:os";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { keyedParams, type Json } from "../params.js";
import { canonicalJson, sha256 } from "./canonical.js";
import { importClosure } from "./code.js";
import { treeHashOf, type FileHasher } from "./filehash.js";
import type { KeyComponents, TreeRef } from "./fingerprint.js";
import type { Pipeline, ResolvedStage } from "./resolve.js";
import type { FileLists } from "./store-api.js";
import { collectPathValues } from "./validate-params.js";

/** Files that are never part of a code version or a deps tree. */
const notCode = (rel: string): boolean => /\.test\.(ts|js)$/.test(rel) || rel.endsWith(".map") || rel.endsWith(".d.ts") || rel.split(/[\\/]/).some((p) => p.startsWith(".") && p !== "." && p !== "..");
const hidden = (rel: string): boolean => rel.split(sep).some((p) => p.startsWith("."));

let dfdVersion: string | undefined;
/** dfd's own version (package.json), read once. */
export function dfdVersionOf(): string {
  if (dfdVersion) return dfdVersion;
  for (const up of ["../../package.json", "../../../package.json"]) {
    try {
      const p = JSON.parse(readFileSync(fileURLToPath(new URL(up, import.meta.url)), "utf8")) as { name?: string; version?: string };
      if (p.name === "dfd" && p.version) return (dfdVersion = p.version);
    } catch { /* try the next */ }
  }
  return (dfdVersion = "unknown");
}

/** The environment every key holds: dfd, Node, platform/arch. */
export function baseEnvironment(): Record<string, string> {
  return { dfd: dfdVersionOf(), node: process.version, platform: `${platform()}-${arch()}` };
}

/** How a path is shown in reasons: as written when absolute, else relative to the pipeline's
 * directory with / separators. */
export function keyPath(pipelineDir: string, abs: string, asWritten?: string): string {
  if (asWritten !== undefined && isAbsolute(asWritten)) return abs;
  return relative(pipelineDir, abs).split(sep).join("/") || ".";
}

export class ComponentHasher {
  private readonly code = new Map<string, Promise<string>>();
  private readonly env = new Map<string, Promise<Record<string, string>>>();
  private dataTree: Promise<TreeRef> | undefined;
  constructor(private readonly hasher: FileHasher, private readonly lists: FileLists, private readonly pipeline: Pipeline, private readonly artifactsDir: string) {}

  /** Hashes a tree and stores its file list under its hash; returns the hash. */
  private async tree(root: string, ignore: (rel: string) => boolean): Promise<string> {
    if (!(await stat(root).catch(() => undefined))) throw new Error(`${root} does not exist`);
    const t = await this.hasher.hashTree(root, { ignore });
    await this.lists.put(t.hash, () => t.files);
    return t.hash;
  }

  /** The code version: the import closure of the kind's module, its declared extras, and the
   * closure of module-path params, as one tree relative to the module's root. */
  codeVersion(stage: ResolvedStage): Promise<string> {
    const modules = collectPathValues(stage.kind.params, stage.params).filter((v) => v.as === "module").map((v) => resolve(this.pipeline.dir, v.value));
    const id = canonicalJson([stage.kindModule, modules]);
    let p = this.code.get(id);
    if (!p) {
      p = (async () => {
        const base = stage.kindRoot;
        // Relative to the kind's root (dfd's, or the project's for a user kind); a file outside it
        // (a user extractor module of a built-in kind) relative to the pipeline's directory.
        const label = (f: string) => {
          const r = relative(base, f).split(sep).join("/");
          return r.startsWith("../") || isAbsolute(r) ? relative(this.pipeline.dir, f).split(sep).join("/") : r;
        };
        const files = new Set<string>();
        for (const entry of [stage.kindModule, ...modules]) for (const f of importClosure(entry)) if (!notCode(relative(dirname(entry), f))) files.add(f);
        const extras: string[] = [];
        for (const url of stage.kind.code ?? []) {
          const path = fileURLToPath(url);
          if (!statSync(path, { throwIfNoEntry: false })) throw new Error(`stage kind "${stage.kindName}": code path ${path} does not exist`);
          extras.push(path);
        }
        const infos = await this.hasher.hashFiles([...files]);
        const map: Record<string, string> = {};
        for (const [f, info] of infos) map[label(f)] = info.sha256;
        for (const x of extras) {
          const t = await this.hasher.hashTree(x, { ignore: notCode });
          for (const [rel, h] of Object.entries(t.files)) map[label(rel ? `${x.replace(/\/+$/, "")}/${rel}` : x)] = h;
        }
        const hash = treeHashOf(map);
        await this.lists.put(hash, () => map);
        return hash;
      })();
      this.code.set(id, p);
    }
    return p;
  }

  /** dfd/node/platform plus what the kind declares for these params. */
  environment(stage: ResolvedStage): Promise<Record<string, string>> {
    const id = canonicalJson([stage.kindModule, stage.params]);
    let p = this.env.get(id);
    if (!p) {
      p = (async () => ({ ...baseEnvironment(), ...((await stage.kind.environment?.({ params: stage.params })) ?? {}) }))();
      this.env.set(id, p);
    }
    return p;
  }

  /** The data set's content: a folder's tree, or for a manifest file, the folder it lives in. */
  private data(): Promise<TreeRef> {
    this.dataTree ??= (async () => {
      const path = this.pipeline.data!;
      const s = await stat(path).catch(() => undefined);
      if (!s) throw new Error(`data set ${path} does not exist`);
      const root = s.isFile() ? dirname(path) : path;
      const art = relative(root, this.artifactsDir);
      const ignore = (rel: string) => rel.split(sep).some((p) => p.startsWith(".") || p === "node_modules") || rel === art;
      return { path: keyPath(this.pipeline.dir, path, this.pipeline.dataLabel ?? undefined), hash: await this.tree(root, ignore) };
    })();
    return this.dataTree;
  }

  async components(stage: ResolvedStage, inputs: Record<string, string | null>): Promise<KeyComponents> {
    const paths: Record<string, TreeRef> = {};
    for (const v of collectPathValues(stage.kind.params, stage.params)) {
      if (v.as !== "path") continue;
      paths[v.param] = { path: v.value, hash: await this.tree(resolve(this.pipeline.dir, v.value), hidden) };
    }
    const reads = typeof stage.kind.usesData === "function" ? stage.kind.usesData(stage.params) : stage.kind.usesData === true;
    const data = reads && this.pipeline.data !== null ? await this.data() : null;
    return {
      v: 2,
      name: stage.name,
      kind: stage.kindName,
      code: await this.codeVersion(stage),
      env: await this.environment(stage),
      params: keyedParams(stage.kind.params, stage.params as Json),
      paths,
      data,
      inputs,
    };
  }
}
