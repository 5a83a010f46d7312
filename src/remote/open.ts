// Opens the backend a remote URL names.
import { FileBackend } from "./file.js";
import { RemoteCache } from "./cache.js";
import type { Backend } from "./backend.js";
import type { RemoteConfig } from "./config.js";

/** Connect timeout and idle-socket timeout: short, the remote is an optimisation. DFD_REMOTE_TIMEOUT
 * (seconds) sets the idle timeout (and the connect timeout up to 5 s). */
export function timeouts(env: NodeJS.ProcessEnv = process.env): { connectTimeoutMs: number; idleTimeoutMs: number } {
  const t = Number(env.DFD_REMOTE_TIMEOUT);
  const idle = Number.isFinite(t) && t > 0 ? t * 1000 : 5000;
  return { connectTimeoutMs: Math.min(idle, 5000), idleTimeoutMs: idle };
}

export async function openBackend(cfg: Pick<RemoteConfig, "url" | "endpoint">): Promise<Backend> {
  if (cfg.url.startsWith("file:")) return new FileBackend(cfg.url);
  const rest = cfg.url.slice("s3://".length);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? "" : rest.slice(slash + 1).replace(/\/+$/, "");
  const { S3Backend } = await import("./s3.js");
  return S3Backend.open({ bucket, prefix, ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}), ...timeouts() });
}

export async function openRemote(cfg: RemoteConfig): Promise<RemoteCache> {
  return new RemoteCache(await openBackend(cfg), cfg.readOnly);
}
