// The dfd command line: commander, one thin function per command (in src/commands/).
import { Command, CommanderError, Option } from "commander";
import { DEFAULT_PIPELINE, type Io } from "./commands/common.js";
import { defaultRegistry } from "./registry.js";

const collect = (v: string, prev: string[]) => [...prev, v];

export interface MainOptions extends Partial<Io> {}

/** Runs the CLI; resolves to the exit code (bin/dfd.js sets process.exitCode from it). */
export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const io: Io = {
    out: options.out ?? ((s) => void process.stdout.write(s)),
    err: options.err ?? ((s) => void process.stderr.write(s)),
    live: options.live ?? (!!process.stderr.isTTY && !process.env.CI),
    registry: options.registry ?? defaultRegistry,
    cwd: options.cwd ?? process.cwd(),
  };
  let code = 0;
  const program = new Command("dfd")
    .description("Deepfake / AI-generated-video detection as a declarative, content-hashed, cached DAG")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showSuggestionAfterError(true);

  const pipelineOpt = () => new Option("-p, --pipeline <file>", `the pipeline file (default: ${DEFAULT_PIPELINE})`);
  const runOpt = () => new Option("--run <ref>", "answer for a recorded run (latest, latest~N, a run id or prefix): its --set overrides");
  const { dfdVersionOf } = await import("./runner/components.js");
  program.version(dfdVersionOf(), "-V, --version", "print dfd's version");

  program
    .command("run")
    .description("run the stale stages of a pipeline, reusing cached outputs")
    .argument("[pipeline]", `pipeline file (or -p; default ${DEFAULT_PIPELINE})`)
    .addOption(pipelineOpt())
    .option("--from <stage>", "re-run this stage and everything downstream of it")
    .option("--until <stage>", "run only this stage and what it needs")
    .option("--only <stages...>", "run only these stages (their inputs must be cached)")
    .option("--force [stages...]", "re-run these stages (all when none named) even if cached")
    .option("--dry-run", "show what would run and why; execute nothing")
    .option("--set <key=value>", "override for this run: data=PATH or <stage>.<param>[.<sub>]=VALUE (repeatable)", collect, [])
    .option("-j, --jobs <n>", "stages run in parallel (default: cores)")
    .option("--json", "print one JSON object as the last line of stdout")
    .option("--lock-timeout <seconds>", "give up waiting for another dfd run after this long")
    .option("--executor <type>", "where fanned-out stages' items run: local (default) or bullmq (`dfd worker`s)")
    .option("--queue <redis-url>", "the Redis of --executor bullmq, e.g. redis://127.0.0.1:6379")
    .option("--inputs <how>", "how workers get items' inputs: remote (through the remote cache) or shared (same paths on a shared filesystem)")
    .action(async (file: string, flags) => {
      const { runCommand } = await import("./commands/run.js");
      code = await runCommand(io, file, flags);
    });

  program
    .command("status")
    .description("show each stage as fresh or stale, with every reason")
    .argument("[pipeline]", `pipeline file (or -p; default ${DEFAULT_PIPELINE})`)
    .addOption(pipelineOpt())
    .option("--set <key=value>", "evaluate with these overrides", collect, [])
    .addOption(runOpt())
    .option("--json", "print one JSON object as the last line of stdout")
    .action(async (file: string, flags) => {
      const { statusCommand } = await import("./commands/status.js");
      code = await statusCommand(io, file, flags);
    });

  program
    .command("why")
    .description("explain a stage: each changed key component old → new, or which run produced its cached output")
    .argument("<stage>")
    .addOption(pipelineOpt())
    .option("--set <key=value>", "evaluate with these overrides", collect, [])
    .addOption(runOpt())
    .option("--json", "print one JSON object")
    .action(async (stage: string, flags) => {
      const { whyCommand } = await import("./commands/why.js");
      code = await whyCommand(io, stage, flags);
    });

  program
    .command("path")
    .description("print the directory of a stage's current cached output")
    .argument("<stage>")
    .addOption(pipelineOpt())
    .option("--set <key=value>", "evaluate with these overrides", collect, [])
    .addOption(runOpt())
    .option("--json", "print one JSON object")
    .action(async (stage: string, flags) => {
      const { pathCommand } = await import("./commands/path.js");
      code = await pathCommand(io, stage, flags);
    });

  program
    .command("dag")
    .description("print the stage graph, marked by status")
    .argument("[pipeline]", `pipeline file (or -p; default ${DEFAULT_PIPELINE})`)
    .addOption(pipelineOpt())
    .addOption(new Option("--format <format>", "output format").choices(["text", "mermaid", "dot", "json"]).default("text"))
    .option("--set <key=value>", "evaluate with these overrides", collect, [])
    .addOption(runOpt())
    .option("--json", "print one JSON object (same as --format json)")
    .action(async (file: string, flags) => {
      const { dagCommand } = await import("./commands/dag.js");
      code = await dagCommand(io, file, flags);
    });

  program
    .command("verify")
    .description("re-hash every cached artifact and report any that does not match its address")
    .argument("[pipeline]", `pipeline file (locates artifacts/; or -p; default ${DEFAULT_PIPELINE})`)
    .addOption(pipelineOpt())
    .option("--json", "print one JSON object")
    .action(async (file: string, flags) => {
      const { verifyCommand } = await import("./commands/verify.js");
      code = await verifyCommand(io, file, flags);
    });

  program
    .command("runs")
    .description("list recorded runs, newest first, with the params that vary and their metrics")
    .addOption(pipelineOpt())
    .option("--limit <n>", "at most this many runs", "20")
    .option("--remote", "the runs recorded on the remote cache (the whole team's)")
    .option("--json", "print one JSON object")
    .action(async (flags) => {
      const { runsCommand } = await import("./commands/runs.js");
      code = await runsCommand(io, flags);
    });

  // The team's remote cache and distributed execution (docs/team.md).
  program
    .command("push")
    .description("publish a run's stage outputs and its record to the remote cache")
    .addOption(pipelineOpt())
    .option("--run <ref>", "the run: an id, a unique prefix, latest or latest~N", "latest")
    .option("--json", "print one JSON object")
    .action(async (flags) => {
      const { pushCommand } = await import("./commands/push.js");
      code = await pushCommand(io, flags);
    });

  program
    .command("pull")
    .description("download what the remote cache has for the pipeline's stages (or for a run's)")
    .addOption(pipelineOpt())
    .option("--run <ref>", "a recorded run (here or on the remote) instead of the pipeline's current keys")
    .option("--set <key=value>", "evaluate the pipeline with these overrides", collect, [])
    .option("--json", "print one JSON object")
    .action(async (flags) => {
      const { pullCommand } = await import("./commands/pull.js");
      code = await pullCommand(io, flags);
    });

  program
    .command("worker")
    .description("run fan-out items (extract's clips) for `dfd run --executor bullmq` coordinators")
    .requiredOption("--queue <redis-url>", "the coordinators' Redis, e.g. redis://127.0.0.1:6379")
    .option("-j, --jobs <n>", "items at a time (default: cores)")
    .option("--threads <n>", "threads a kind's worker may use for its items, e.g. extract's pool (default: cores)")
    .option("--project <dir>", "where module-path kinds (uses: ./kinds/x.js) resolve (default: .)")
    .option("--work-dir <dir>", "inputs cache and scratch space (default: a dfd-worker dir in the temp dir)")
    .option("--lock-duration <seconds>", "a job's lock: a worker killed mid-item is noticed after about this long", "30")
    .action(async (flags) => {
      const { workerCommand } = await import("./commands/worker.js");
      code = await workerCommand(io, flags);
    });

  program
    .command("compare")
    .description("compare two runs: params, metrics with deltas, shared/different stages, first divergence")
    .argument("<runA>", "run id, unique prefix, latest or latest~N")
    .argument("<runB>", "run id, unique prefix, latest or latest~N")
    .addOption(pipelineOpt())
    .option("--json", "print one JSON object")
    .option("--md", "print Markdown (for a CI job summary)")
    .action(async (a: string, b: string, flags) => {
      const { compareCommand } = await import("./commands/compare.js");
      code = await compareCommand(io, a, b, flags);
    });

  program
    .command("gc")
    .description("remove cached outputs that neither the latest nor the kept runs reference")
    .addOption(pipelineOpt())
    .option("--keep-last <n>", "keep everything the newest N runs reference", "5")
    .option("--max-size <size>", "remove (oldest first) only until the store is this small, e.g. 2G")
    .option("--older-than <age>", "remove only outputs last used longer ago, e.g. 7d, 12h")
    .option("--dry-run", "print what would be removed; delete nothing")
    .option("--json", "print one JSON object")
    .action(async (flags) => {
      const { gcCommand } = await import("./commands/gc.js");
      code = await gcCommand(io, flags);
    });

  program
    .command("predict")
    .description("score clips with a trained model (a train stage's output: `dfd path train`)")
    .argument("<paths...>", "clips or folders of clips")
    .requiredOption("--model <dir|run>", "model directory (train output or its model/ subdir), or a run: latest, latest~N, a run id")
    .addOption(pipelineOpt())
    .option("--json", "one JSON object per clip")
    .option("--backend <name>", "TensorFlow.js backend (default: auto)")
    .option("-j, --jobs <n>", "clips extracted at the same time")
    .action(async (paths: string[], flags) => {
      code = await runPredict(io, paths, flags);
    });

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return code;
}

async function runPredict(io: Io, paths: string[], flags: { model: string; pipeline?: string; json?: boolean; backend?: string; jobs?: string }): Promise<number> {
  const { guard } = await import("./commands/common.js");
  return guard(io, async () => {
    const { resolveModelRef } = await import("./commands/model-ref.js");
    const model = await resolveModelRef(flags.model, io.cwd, flags.pipeline ?? DEFAULT_PIPELINE);
    // Imported by URL so the CLI builds even while predict is being written.
    const mod = (await import(new URL("./commands/predict.js", import.meta.url).href)) as typeof import("./commands/predict.js");
    return mod.predict(paths, {
      model,
      ...(flags.json ? { json: true } : {}),
      ...(flags.backend ? { backend: flags.backend } : {}),
      ...(flags.jobs ? { jobs: Number(flags.jobs) } : {}),
      cwd: io.cwd,
    }, { out: (l) => io.out(l + "\n"), err: (l) => io.err(l + "\n") });
  });
}
