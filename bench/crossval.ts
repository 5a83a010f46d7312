// Cross-validation on an existing features directory (an extract output: `dfd path extract`),
// without a pipeline: for measuring feature ideas on cached features. Runs the crossval kind in
// this process and prints its summary; --only keeps the feature dimensions whose names match a
// regular expression (an ablation without re-extracting).
//
//   node --import tsx bench/crossval.ts DIR [--models linear,transformer] [--folds 5] [--group-by auto]
//        [--only '^spec_'] [--train '{"seq_len":16}'] [--linear-l2 0.1] [--seed 0] [--repeats 1] [--augmented true|false] [--out DIR]
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readClips } from "../src/artifacts/features.js";
import { readNpy, writeNpy } from "../src/lib/npy.js";
import type { Json, ParamsSpec } from "../src/params.js";
import { runKind, standaloneProvenance } from "../src/runner/in-process.js";
import type { StageContext, StageSummary } from "../src/stage.js";
import kind from "../stages/crossval/index.js";
import type { CrossvalParams } from "../stages/crossval/params.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    models: { type: "string", default: "linear" },
    folds: { type: "string", default: "5" },
    "group-by": { type: "string", default: "auto" },
    only: { type: "string" },
    train: { type: "string", default: "{}" },
    "linear-l2": { type: "string" },
    seed: { type: "string", default: "0" },
    repeats: { type: "string", default: "1" },
    augmented: { type: "string", default: "true" },
    bootstrap: { type: "string", default: "1000" },
    out: { type: "string" },
  },
});
if (positionals.length !== 1) {
  process.stderr.write("usage: node --import tsx bench/crossval.ts FEATURES_DIR [--models linear,transformer] [--only REGEX] ...\n");
  process.exit(2);
}
const root = mkdtempSync(join(tmpdir(), "dfd-bench-crossval-"));
let dir = resolve(positionals[0]!);
if (values.only) dir = subset(dir, new RegExp(values.only), join(root, "features"));

function defaults(spec: ParamsSpec, over: Record<string, unknown>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, s] of Object.entries(spec)) {
    if (s.type === "object") out[k] = defaults(s.properties, (over[k] ?? {}) as Record<string, unknown>);
    else out[k] = (k in over ? over[k] : s.default ?? null) as Json;
  }
  return out;
}

/** A copy of the features dir keeping only the columns whose names match `re`. */
function subset(from: string, re: RegExp, to: string): string {
  const info = JSON.parse(readFileSync(join(from, "extract.json"), "utf8")) as { feature: { name: string; names: string[] } };
  const keep = info.feature.names.flatMap((n, i) => (re.test(n) ? [i] : []));
  if (!keep.length) throw new Error(`--only ${re}: no feature name matches (names: ${info.feature.names.join(" ")})`);
  mkdirSync(join(to, "features"), { recursive: true });
  copyFileSync(join(from, "videos.jsonl"), join(to, "videos.jsonl"));
  for (const row of readClips(from).values()) {
    if (!row.features) continue;
    const m = readNpy(join(from, row.features));
    const data = new Float32Array(m.rows * keep.length);
    for (let r = 0; r < m.rows; r++) keep.forEach((j, k) => (data[r * keep.length + k] = m.data[r * m.cols + j]!));
    writeNpy(join(to, row.features), { data, rows: m.rows, cols: keep.length });
  }
  const names = keep.map((j) => info.feature.names[j]!);
  writeFileSync(join(to, "extract.json"), JSON.stringify({ ...info, feature: { ...info.feature, name: `${info.feature.name}[${re.source}]`, dims: keep.length, names } }));
  process.stderr.write(`--only ${re.source}: ${keep.length} of ${info.feature.names.length} dims\n`);
  return to;
}

const train = JSON.parse(values.train!) as Record<string, unknown>;
if (values["linear-l2"]) train.linear = { ...(train.linear as object), l2: Number(values["linear-l2"]) };
const params = defaults(kind.params, {
  folds: values.folds === "null" ? null : Number(values.folds),
  group_by: values["group-by"],
  models: values.models!.split(","),
  seed: Number(values.seed),
  repeats: Number(values.repeats),
  augmented: values.augmented !== "false",
  bootstrap: Number(values.bootstrap),
  train,
}) as unknown as CrossvalParams;
const outDir = values.out ? resolve(values.out) : join(root, "out");
mkdirSync(outDir, { recursive: true });
const say = (m: string) => process.stderr.write(m + "\n");
const ctx: StageContext<CrossvalParams> = {
  name: "crossval", params, inputs: [{ name: "extract", kind: "extract", dir }], projectDir: process.cwd(), outDir,
  tmpDir: mkdtempSync(join(root, "tmp-")), progress: () => {}, log: { debug: () => {}, info: say, warn: say, error: say },
  signal: new AbortController().signal, cpus: 1, logFile: join(root, "crossval.log"), provenance: standaloneProvenance(),
};
const started = performance.now();
try {
  const s = (await runKind(kind, ctx)) as StageSummary;
  for (const l of s.lines ?? []) process.stdout.write(l + "\n");
  for (const f of s.findings ?? []) process.stdout.write(`${f.severity}: ${f.reason}\n`);
  process.stdout.write(`(${((performance.now() - started) / 1000).toFixed(1)} s${values.out ? `; report: ${join(outDir, "report.md")}` : ""})\n`);
} finally {
  if (!values.out) process.on("exit", () => rmSync(root, { recursive: true, force: true }));
}
