// The one place a command's store gets its remote tier: when `remote:` (pipeline.yaml) or
// DFD_REMOTE configures one, the local store is wrapped in a TieredStore; otherwise it is
// returned as it is (and neither the remote modules nor the AWS SDK are loaded: a cached run's
// start-up pays only for what it uses).
import { join } from "node:path";
import { loadConfig } from "../runner/config.js";
import { digestOf, type RunDigest } from "../runner/records.js";
import { ConfigError } from "../runner/diagnostic.js";
import { resolveRemote, type RemoteConfig, type RemoteSpec } from "./config.js";
import type { TieredStore, TieredOptions } from "./tiered.js";

type Local = ConstructorParameters<typeof TieredStore>[0];

export interface AttachOptions {
  artifactsDir: string;
  /** Where warnings go (default: stderr, one line each, prefixed "dfd: "). */
  warn?: (message: string) => void;
  /** Fail on remote problems instead of warning (dfd push / pull). */
  strict?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** The remote this command uses (environment applied), or null. Malformed DFD_* variables are
 * configuration errors (exit 2). */
export function remoteConfig(spec: RemoteSpec | null | undefined, env: NodeJS.ProcessEnv = process.env): RemoteConfig | null {
  try {
    return resolveRemote(spec, env);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

/** `remote:` of a pipeline file without resolving the pipeline (for commands that must work when
 * pipeline.yaml is broken or absent: runs, compare); DFD_REMOTE alone then. */
export function remoteSpecOf(pipelineFile: string): RemoteSpec | null {
  try {
    return loadConfig(pipelineFile).remote;
  } catch {
    return null;
  }
}

export async function attachRemote<L extends Local>(local: L, spec: RemoteSpec | null | undefined, opts: AttachOptions): Promise<L | TieredStore<L>> {
  const cfg = remoteConfig(spec, opts.env);
  if (!cfg) return local;
  const [{ openRemote }, { TieredStore }] = await Promise.all([import("./open.js"), import("./tiered.js")]);
  const remote = await openRemote(cfg);
  const tiered: TieredOptions = {
    tmpDir: join(opts.artifactsDir, "tmp"),
    warn: opts.warn ?? ((m) => void process.stderr.write(`dfd: ${m}\n`)),
    ...(opts.strict ? { strict: true } : {}),
  };
  return new TieredStore(local, remote, tiered);
}

/** The remote's run records (dfd runs --remote), without any local artifacts: a fresh clone can
 * list the team's runs. */
export async function remoteRunLog(pipelineFile: string, warn: (message: string) => void): Promise<{ url: string; runs: { digests(limit: number): Promise<RunDigest[]> }; close(): Promise<void> }> {
  const cfg = remoteConfig(remoteSpecOf(pipelineFile));
  if (!cfg) throw new Error("no remote cache configured: set `remote:` in pipeline.yaml or DFD_REMOTE (see docs/team.md)");
  const { openRemote } = await import("./open.js");
  const remote = await openRemote(cfg);
  return {
    url: remote.url,
    runs: { digests: async (limit) => (await remote.listRuns(limit, undefined, (m) => warn(`remote cache: ${m}: skipped`))).map(digestOf) },
    close: async () => remote.backend.close(),
  };
}
