// `dfd worker --queue redis://host:port`: runs fan-out items for coordinators (`dfd run --executor
// bullmq`) until Ctrl-C. Kinds resolve as in a pipeline: built-in names from this dfd, module
// paths relative to --project (this machine's checkout); each job's code version and environment
// must equal this worker's, or the worker refuses it.
import { mkdirSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Json } from "../params.js";
import { ComponentHasher } from "../runner/components.js";
import { ConfigError } from "../runner/diagnostic.js";
import { FileHasher } from "../runner/filehash.js";
import { isKindPath, loadKindModule } from "../runner/kinds.js";
import type { Pipeline, ResolvedStage } from "../runner/resolve.js";
import { absolutePaths } from "../runner/validate-params.js";
import { remoteConfig } from "../remote/attach.js";
import { runWorker, type WorkerKind } from "../distributed/worker.js";
import { checkQueueUrl } from "../distributed/redis.js";
import { guard, type Io } from "./common.js";

export interface WorkerFlags {
  queue: string;
  jobs?: string;
  threads?: string;
  project?: string;
  workDir?: string;
  lockDuration?: string;
}

export function workerCommand(io: Io, flags: WorkerFlags): Promise<number> {
  return guard(io, async () => {
    try {
      checkQueueUrl(flags.queue);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
    const number = (v: string | undefined, flag: string, def: number, min: number) => {
      if (v === undefined) return def;
      const n = Number(v);
      if (!Number.isFinite(n) || n < min) throw new ConfigError(`${flag} ${v}: expected a number ≥ ${min}`);
      return n;
    };
    const concurrency = Math.floor(number(flags.jobs, "--jobs", availableParallelism(), 1));
    const threads = Math.floor(number(flags.threads, "--threads", availableParallelism(), 1));
    const lockSeconds = number(flags.lockDuration, "--lock-duration", 30, 1);
    const projectDir = resolve(io.cwd, flags.project ?? ".");
    const workDir = resolve(io.cwd, flags.workDir ?? join(tmpdir(), `dfd-worker-${process.getuid?.() ?? "user"}`));
    mkdirSync(workDir, { recursive: true });
    // This worker's own remote (DFD_REMOTE…), else each job's, opened with this machine's credentials.
    const remote = remoteConfig(null);
    const hasher = new ComponentHasher(new FileHasher(undefined), { get: async () => undefined, put: async () => {} }, { dir: projectDir } as Pipeline, workDir);
    const kinds = new Map<string, Promise<Omit<WorkerKind, "version"> & { stage: Omit<ResolvedStage, "params"> }>>();
    const resolveKind = async (uses: string): Promise<WorkerKind> => {
      let p = kinds.get(uses);
      if (!p) {
        p = (async () => {
          const loaded = isKindPath(uses) ? await loadKindModule(uses, projectDir) : await io.registry.load(uses);
          if (!loaded.kind.fanOut) throw new Error(`stage kind ${uses} has no fanOut: nothing for a worker to run`);
          const stage = { name: uses, kindName: uses, kind: loaded.kind, kindModule: loaded.module, kindRoot: loaded.root, needs: [], sugar: false } as unknown as Omit<ResolvedStage, "params">;
          return { kind: loaded.kind, stage };
        })();
        p.catch(() => kinds.delete(uses));
        kinds.set(uses, p);
      }
      const { kind, stage } = await p;
      return {
        kind,
        version: async (params: Json) => {
          const s = { ...stage, params: params as Record<string, Json> } as ResolvedStage;
          return { code: await hasher.codeVersion(s), env: await hasher.environment(s) };
        },
        runParams: (params: Json) => absolutePaths(kind.params, params as Record<string, Json>, projectDir, resolve),
      };
    };
    const controller = new AbortController();
    let interrupts = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      if (++interrupts > 1) process.exit(130);
      io.err(`dfd worker: ${sig}: finishing the items in progress (again to quit at once: they go to other workers)\n`);
      controller.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      await runWorker({
        queue: flags.queue, resolveKind, ...(remote ? { remote } : {}), workDir, projectDir, concurrency,
        cpus: threads, lockDurationMs: lockSeconds * 1000, stalledIntervalMs: Math.max(1000, Math.min(30_000, (lockSeconds * 1000) / 2)),
        log: (line) => io.err(`${line}\n`), signal: controller.signal,
      });
      return 0;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  });
}
