// Where fanned-out stages run: `executor:` in pipeline.yaml, or `dfd run --executor … --queue …`
// (the flags win).
//
//   executor: local                          # the default: items run in this process
//   executor:
//     type: bullmq                           # items go to `dfd worker`s through BullMQ
//     queue: redis://redis.internal:6379     # the Redis BullMQ uses (maxmemory-policy noeviction)
//     inputs: remote                         # how workers get inputs: through the remote cache
//                                            # (default), or shared: the same paths on every worker
import { isMap, isScalar, type Node, type Pair } from "yaml";
import { didYouMean } from "../runner/diagnostic.js";
import { checkQueueUrl } from "./redis.js";

type Span = readonly [number, number];
type Err = (node: Node | Span | null | undefined, message: string) => void;

export type ExecutorSpec = { type: "local" } | { type: "bullmq"; queue: string; inputs?: "remote" | "shared" };

const KEYS = ["type", "queue", "inputs"] as const;
const INPUTS = ["remote", "shared"] as const;
const TYPES = ["local", "bullmq"] as const;

export function parseExecutorNode(value: Node | null, keySpan: Span, err: Err): ExecutorSpec | null {
  if (value === null || (isScalar(value) && value.value === null)) return null;
  if (isScalar(value) && typeof value.value === "string") {
    if (value.value === "local") return { type: "local" };
    if (value.value === "bullmq") { err(value, "`executor: bullmq` needs a queue: `executor: { type: bullmq, queue: redis://host:6379 }`"); return null; }
    err(value, `unknown executor "${value.value}"${didYouMean(value.value, TYPES)}; expected local, or a mapping { type: bullmq, queue: redis://host:port }`);
    return null;
  }
  if (!isMap(value)) { err(value, "`executor:` must be local, or a mapping { type: bullmq, queue: redis://host:port }"); return null; }
  let type: string | undefined;
  let queue: string | undefined;
  let inputs: "remote" | "shared" | undefined;
  let ok = true;
  for (const pair of value.items as Pair<Node, Node | null>[]) {
    const k = pair.key;
    const v = pair.value;
    if (!isScalar(k) || typeof k.value !== "string") { err(k, "keys must be plain strings"); ok = false; continue; }
    if (k.value === "type") {
      if (!isScalar(v) || typeof v.value !== "string" || !(TYPES as readonly string[]).includes(v.value)) { err(v ?? k, `\`executor.type:\` must be one of: ${TYPES.join(", ")}`); ok = false; continue; }
      type = v.value;
    } else if (k.value === "queue") {
      if (!isScalar(v) || typeof v.value !== "string") { err(v ?? k, "`executor.queue:` must be a redis:// URL"); ok = false; continue; }
      try {
        checkQueueUrl(v.value, "executor.queue:");
      } catch (e) {
        err(v, (e as Error).message);
        ok = false;
        continue;
      }
      queue = v.value;
    } else if (k.value === "inputs") {
      if (!isScalar(v) || typeof v.value !== "string" || !(INPUTS as readonly string[]).includes(v.value)) { err(v ?? k, `\`executor.inputs:\` must be one of: ${INPUTS.join(", ")}`); ok = false; continue; }
      inputs = v.value as "remote" | "shared";
    } else {
      err(k, `unknown key "${k.value}" in \`executor:\`${didYouMean(k.value, KEYS)}; expected one of: ${KEYS.join(", ")}`);
      ok = false;
    }
  }
  if (!ok) return null;
  if (type === undefined) { err(keySpan, "`executor:` needs `type:` (local or bullmq)"); return null; }
  if (type === "local") return { type: "local" };
  if (!queue) { err(keySpan, "`executor: { type: bullmq }` needs `queue: redis://host:port`"); return null; }
  return { type: "bullmq", queue, ...(inputs ? { inputs } : {}) };
}

/** Flags over pipeline.yaml. */
export function resolveExecutor(spec: ExecutorSpec | null | undefined, flags: { executor?: string; queue?: string; inputs?: string }): ExecutorSpec {
  const type = flags.executor ?? (flags.queue ? "bullmq" : spec?.type ?? "local");
  if (type === "local") {
    if (flags.queue) throw new Error("--queue is for --executor bullmq");
    return { type: "local" };
  }
  if (type !== "bullmq") throw new Error(`--executor ${type}: expected local or bullmq`);
  const queue = flags.queue ?? (spec?.type === "bullmq" ? spec.queue : undefined);
  if (!queue) throw new Error("--executor bullmq needs --queue redis://host:port (or `executor: { type: bullmq, queue: … }` in pipeline.yaml)");
  checkQueueUrl(queue);
  const inputs = flags.inputs ?? (spec?.type === "bullmq" ? spec.inputs : undefined);
  if (inputs !== undefined && !(INPUTS as readonly string[]).includes(inputs)) throw new Error(`--inputs ${inputs}: expected remote or shared`);
  return { type: "bullmq", queue, ...(inputs ? { inputs: inputs as "remote" | "shared" } : {}) };
}

/** `executor:` in the editors' JSON Schema (src/runner/schema.ts). */
export const EXECUTOR_SCHEMA = {
  description: "where fanned-out stages' items run: local, or { type: bullmq, queue: redis://host:port } (`dfd worker`s)",
  oneOf: [
    { type: "null" },
    { const: "local" },
    {
      type: "object",
      additionalProperties: false,
      required: ["type"],
      properties: {
        type: { enum: ["local", "bullmq"] },
        queue: { type: "string", pattern: "^rediss?://", description: "the Redis BullMQ uses (maxmemory-policy noeviction)" },
        inputs: { enum: ["remote", "shared"], description: "how workers get the items' inputs: through the remote cache (default), or at the same paths on a shared filesystem" },
      },
    },
  ],
} as const;
