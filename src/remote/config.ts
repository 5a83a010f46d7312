// Where the team's remote cache is: `remote:` in pipeline.yaml, or DFD_REMOTE in the environment
// (which wins, so CI and one-off runs can redirect or switch it off without editing the file).
//
//   remote: s3://team-bucket/dfd                  # shorthand
//   remote:
//     url: s3://team-bucket/dfd                   # or file:///mnt/team-cache (a shared filesystem)
//     endpoint: http://rgw.internal:7480          # an S3-compatible service (Ceph RGW, MinIO); AWS when unset
//     read_only: true                             # look up and download, never write
//
// Credentials never come from pipeline.yaml: only from the AWS SDK's standard chain
// (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, SSO, instance roles).
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { isMap, isScalar, type Node, type Pair } from "yaml";
import { didYouMean } from "../runner/diagnostic.js";

type Span = readonly [number, number];
type Err = (node: Node | Span | null | undefined, message: string) => void;

/** `remote:` as written in pipeline.yaml (checked for shape and URL syntax). */
export interface RemoteSpec {
  url: string;
  endpoint?: string;
  readOnly: boolean;
}

/** The remote this process uses, after the environment is applied. */
export interface RemoteConfig extends RemoteSpec {
  /** Where the URL came from, for messages. */
  from: "pipeline.yaml" | "DFD_REMOTE";
}

const KEYS = ["url", "endpoint", "read_only"] as const;
const SECRET_KEYS = /^(access|secret|key|token|password|credential|aws_|profile|session)/i;

/** The shape of `remote:`; problems are reported through `err` with the node's position. */
export function parseRemoteNode(value: Node | null, keySpan: Span, err: Err): RemoteSpec | null {
  if (value === null || (isScalar(value) && value.value === null)) return null;
  if (isScalar(value)) {
    if (typeof value.value !== "string" || value.value === "") { err(value, "`remote:` must be a URL (s3://bucket/prefix or file:///path) or a mapping with `url:`"); return null; }
    const problem = checkUrl(value.value);
    if (problem) { err(value, problem); return null; }
    return { url: value.value, readOnly: false };
  }
  if (!isMap(value)) { err(value, "`remote:` must be a URL (s3://bucket/prefix or file:///path) or a mapping with `url:`"); return null; }
  const spec: Partial<RemoteSpec> = { readOnly: false };
  let ok = true;
  for (const pair of value.items as Pair<Node, Node | null>[]) {
    const k = pair.key;
    if (!isScalar(k) || typeof k.value !== "string") { err(k, "keys must be plain strings"); ok = false; continue; }
    const v = pair.value;
    const name = k.value;
    if (name === "url" || name === "endpoint") {
      if (!isScalar(v) || typeof v.value !== "string" || v.value === "") { err(v ?? k, `\`remote.${name}:\` must be a string`); ok = false; continue; }
      const problem = name === "url" ? checkUrl(v.value) : checkEndpoint(v.value);
      if (problem) { err(v, problem); ok = false; continue; }
      spec[name] = v.value;
    } else if (name === "read_only") {
      if (!isScalar(v) || typeof v.value !== "boolean") { err(v ?? k, "`remote.read_only:` must be true or false"); ok = false; continue; }
      spec.readOnly = v.value;
    } else if (SECRET_KEYS.test(name)) {
      err(k, `\`remote.${name}:\`: credentials never go in pipeline.yaml (it is committed); dfd takes them from the AWS environment: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws`);
      ok = false;
    } else {
      err(k, `unknown key "${name}" in \`remote:\`${didYouMean(name, KEYS)}; expected one of: ${KEYS.join(", ")}`);
      ok = false;
    }
  }
  if (ok && !spec.url) { err(keySpan, "`remote:` needs `url:` (s3://bucket/prefix or file:///path)"); return null; }
  return ok ? (spec as RemoteSpec) : null;
}

/** Why `url` is not a usable remote URL, or undefined. */
export function checkUrl(url: string): string | undefined {
  if (url.startsWith("s3://")) {
    const rest = url.slice(5);
    const bucket = rest.split("/")[0]!;
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes(".."))
      return `remote URL ${url}: "${bucket}" is not a valid bucket name (3–63 lowercase letters, digits, dots and hyphens)`;
    const prefix = rest.slice(bucket.length + 1);
    if (prefix.split("/").some((s, i, all) => s === "" && i < all.length - 1) || /[\\\0]/.test(prefix)) return `remote URL ${url}: the key prefix has an empty segment`;
    return undefined;
  }
  if (url.startsWith("file:")) {
    let path: string;
    try {
      path = fileURLToPath(url);
    } catch (e) {
      return `remote URL ${url}: ${(e as Error).message}`;
    }
    if (!isAbsolute(path)) return `remote URL ${url}: needs an absolute path (file:///mnt/team-cache)`;
    return undefined;
  }
  return `remote URL ${url}: expected s3://bucket/prefix (an S3-compatible object store) or file:///path (a shared filesystem)`;
}

function checkEndpoint(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") return `remote.endpoint ${url}: expected an http:// or https:// URL`;
    if (u.username || u.password) return `remote.endpoint ${url}: credentials never go in pipeline.yaml; use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE`;
  } catch {
    return `remote.endpoint ${url}: not a URL (e.g. http://127.0.0.1:7480)`;
  }
  return undefined;
}

const OFF = new Set(["", "off", "none", "false", "0"]);

/** Applies the environment to pipeline.yaml's `remote:`:
 *   DFD_REMOTE=<url>            use this remote (wins over remote.url); DFD_REMOTE=off: none
 *   DFD_REMOTE_ENDPOINT=<url>   wins over remote.endpoint
 *   DFD_REMOTE_READ_ONLY=1|0    wins over remote.read_only (CI: 1 for pull requests)
 * Throws naming the variable when one is malformed. */
export function resolveRemote(spec: RemoteSpec | null | undefined, env: NodeJS.ProcessEnv = process.env): RemoteConfig | null {
  let cfg: RemoteConfig | null = spec ? { ...spec, from: "pipeline.yaml" } : null;
  const url = env.DFD_REMOTE;
  if (url !== undefined) {
    if (OFF.has(url.trim().toLowerCase())) return null;
    const problem = checkUrl(url.trim());
    if (problem) throw new Error(`DFD_REMOTE: ${problem}`);
    cfg = { url: url.trim(), readOnly: cfg?.readOnly ?? false, ...(cfg?.endpoint ? { endpoint: cfg.endpoint } : {}), from: "DFD_REMOTE" };
  }
  if (!cfg) return null;
  const endpoint = env.DFD_REMOTE_ENDPOINT;
  if (endpoint) {
    const problem = checkEndpoint(endpoint);
    if (problem) throw new Error(`DFD_REMOTE_ENDPOINT: ${problem}`);
    cfg.endpoint = endpoint;
  }
  const ro = env.DFD_REMOTE_READ_ONLY;
  if (ro !== undefined && ro !== "") {
    const v = ro.trim().toLowerCase();
    if (["1", "true", "yes"].includes(v)) cfg.readOnly = true;
    else if (["0", "false", "no"].includes(v)) cfg.readOnly = false;
    else throw new Error(`DFD_REMOTE_READ_ONLY=${ro}: expected 1 or 0`);
  }
  return cfg;
}

/** `remote:` in the editors' JSON Schema (src/runner/schema.ts). */
export const REMOTE_SCHEMA = {
  description: "the team's remote cache: s3://bucket/prefix or file:///shared/dir (credentials only from the AWS environment; DFD_REMOTE wins)",
  oneOf: [
    { type: "null" },
    { type: "string", pattern: "^(s3://|file:)" },
    {
      type: "object",
      additionalProperties: false,
      required: ["url"],
      properties: {
        url: { type: "string", pattern: "^(s3://|file:)", description: "s3://bucket/prefix or file:///shared/dir" },
        endpoint: { type: "string", pattern: "^https?://", description: "an S3-compatible service (Ceph RGW, MinIO); AWS S3 when unset" },
        read_only: { type: "boolean", description: "look up and download, never write (pull requests)" },
      },
    },
  ],
} as const;
