// Computes a stage's KeyComponents: code version, resolved params, data set hash, deps hashes and
// the needed stages' output hashes. Called only once every needed stage is final.
import { stat } from "node:fs/promises";
import { basename, dirname, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { keyedParams } from "../params.js";
import { canonicalJson, sha256 } from "./canonical.js";
import type { FileHasher } from "./filehash.js";
import type { KeyComponents } from "./fingerprint.js";
import type { Pipeline, ResolvedStage } from "./resolve.js";

/** Files that are not part of a kind's code version. */
const notCode = (rel: string): boolean => /\.test\.(ts|js)$/.test(rel) || rel.endsWith(".map") || rel.endsWith(".d.ts") || basename(rel).startsWith(".");

export class ComponentHasher {
  private readonly code = new Map<string, Promise<string>>();
  private dataHash: Promise<{ hash: string; files: Record<string, string> }> | undefined;
  constructor(private readonly hasher: FileHasher, private readonly pipeline: Pipeline, private readonly artifactsDir: string) {}

  /** Hash of a kind's `code` URLs (files or directories), computed once per process. */
  codeVersion(stage: ResolvedStage): Promise<string> {
    let p = this.code.get(stage.kindName);
    if (!p) {
      p = (async () => {
        const parts: [string, string][] = [];
        for (const url of stage.kind.code ?? []) {
          const path = fileURLToPath(url);
          const s = await stat(path).catch(() => undefined);
          if (!s) throw new Error(`stage kind "${stage.kindName}": code path ${path} does not exist`);
          const t = await this.hasher.hashTree(path, { ignore: notCode });
          parts.push([basename(path), t.hash]);
        }
        return sha256(canonicalJson(parts));
      })();
      this.code.set(stage.kindName, p);
    }
    return p;
  }

  /** The data set's content: a folder's tree, or for a manifest file, the folder it lives in. */
  private data(): Promise<{ hash: string; files: Record<string, string> }> {
    this.dataHash ??= (async () => {
      const path = this.pipeline.data!;
      const s = await stat(path).catch(() => undefined);
      if (!s) throw new Error(`data set ${path} does not exist`);
      const root = s.isFile() ? dirname(path) : path;
      const art = relative(root, this.artifactsDir);
      const ignore = (rel: string) => rel.split(sep).some((p) => p.startsWith(".") || p === "node_modules") || rel === art;
      const t = await this.hasher.hashTree(root, { ignore });
      return { hash: t.hash, files: t.files };
    })();
    return this.dataHash;
  }

  async components(stage: ResolvedStage, inputs: Record<string, string | null>): Promise<KeyComponents> {
    const deps: Record<string, string> = {};
    for (const d of stage.deps) {
      const t = await this.hasher.hashTree(d.abs, { ignore: (rel) => rel.split(sep).some((p) => p.startsWith(".")) });
      const base = d.path.replace(/\/+$/, "");
      for (const [rel, h] of Object.entries(t.files)) deps[rel ? `${base}/${rel}` : base] = h;
    }
    // Shell stages read the data set only if their command mentions $DFD_DATA; then it is an input.
    const usesData = (stage.kind.usesData === true || (stage.command?.includes("DFD_DATA") ?? false)) && this.pipeline.data !== null;
    const data = usesData ? { path: relative(this.pipeline.dir, this.pipeline.data!).split(sep).join("/") || ".", ...(await this.data()) } : null;
    return {
      v: 1,
      name: stage.name,
      kind: stage.kindName,
      code: await this.codeVersion(stage),
      ...(stage.command !== undefined ? { command: stage.command } : {}),
      params: keyedParams(stage.kind.params, stage.params),
      data,
      deps,
      inputs,
    };
  }
}
