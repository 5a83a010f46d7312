#!/usr/bin/env node
// Makes README's "How much of a score is the data set's format?" table: runs each row's exact
// `dfd run` command (a pipeline file plus --set overrides) on the shared clips, reads the test
// metrics and the split each row used from the cached outputs, and prints the Markdown table with
// the commands beside the numbers. Re-running it is cheap: every stage already computed is a
// cache hit (the runs land in each pipeline's own artifacts/, as the printed commands' would).
//
//   npm run build && node scripts/format-table.mjs                 # all rows (hours on 2 busy cores)
//   node scripts/format-table.mjs --rows 1,2                        # some rows
//   node scripts/format-table.mjs --shared ../shared/data           # where the shared data lives
//   node scripts/format-table.mjs --quick                           # smoke test: 1 epoch (numbers meaningless)
//
// Run it from the repository root; ../shared/data must hold clips/ and manifest.csv.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const bin = join(root, "bin", "dfd.js");
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const shared = opt("--shared") ?? "../shared/data";
const quick = args.includes("--quick");

// The rows. `data` is relative to the repository root (where the commands are typed).
const CLIPS = `${shared}/clips`;
const ALL = shared;
const REMEDIED = "examples/shared-clips-remedied.yaml";
const ROWS = [
  { data: CLIPS, file: "pipeline.yaml", sets: [], what: "pipeline.yaml as it is" },
  { data: CLIPS, file: "pipeline.yaml", sets: ["split.group_by=auto"], what: "pipeline.yaml, split grouped (`auto`)" },
  { data: CLIPS, file: REMEDIED, sets: [], what: "remedied extract (`frames: 16`, `resize: scale`, `normalize_format: true`), split grouped (`auto`)" },
  { data: ALL, file: "pipeline.yaml", sets: [], what: "pipeline.yaml as it is" },
  { data: ALL, file: "pipeline.yaml", sets: ["split.group_by=auto"], what: "pipeline.yaml, split grouped (`auto`)" },
  { data: ALL, file: REMEDIED, sets: [], what: "remedied extract, split grouped (`auto`)" },
];
const pick = opt("--rows")?.split(",").map(Number);
const rows = ROWS.map((r, i) => ({ ...r, n: i + 1 })).filter((r) => !pick || pick.includes(r.n));

for (const d of new Set(rows.map((r) => r.data)))
  if (!existsSync(resolve(root, d))) {
    console.error(`format-table: ${d} does not exist (pass --shared DIR: the folder with clips/ and manifest.csv)`);
    process.exit(2);
  }

const dfd = (argv, inherit = false) => {
  const r = spawnSync(process.execPath, [bin, ...argv], { cwd: root, encoding: "utf8", stdio: inherit ? ["ignore", "pipe", "inherit"] : "pipe", env: { ...process.env, CI: "1" } });
  if (r.status !== 0) {
    console.error(`format-table: dfd ${argv.join(" ")} exited ${r.status}\n${r.stderr ?? ""}`);
    process.exit(1);
  }
  return r.stdout;
};
const setArgs = (r) => ["--set", `data=${r.data}`, ...r.sets.flatMap((s) => ["--set", s]), ...(quick ? ["--set", "train.max_epochs=1", "--set", "train.min_epochs=1"] : [])];
const command = (r) => ["dfd run", r.file, ...setArgs(r)].join(" ");
const pathOf = (r, stage) => JSON.parse(dfd(["path", stage, "-p", r.file, ...setArgs(r), "--json"]).trim().split("\n").pop()).path;

const f3 = (x) => (x === null || x === undefined ? "–" : x.toFixed(3));
const f2 = (x) => (x === null || x === undefined ? "–" : x.toFixed(2));
const out = [];
const started = new Date();
const load = loadavg().map((x) => x.toFixed(1)).join(", ");
for (const r of rows) {
  const t0 = Date.now();
  console.error(`\n# row ${r.n}: ${command(r)}`);
  dfd(["run", r.file, ...setArgs(r)], true);
  const metrics = JSON.parse(readFileSync(join(pathOf(r, "evaluate"), "metrics.json"), "utf8"));
  const split = JSON.parse(readFileSync(join(pathOf(r, "split"), "split.json"), "utf8"));
  const t = metrics.test;
  const ci = t?.auc_ci95 ? ` [${f2(t.auc_ci95[0])}–${f2(t.auc_ci95[1])}]` : "";
  const c = split.counts;
  const groupBy = split.group_by ?? "none";
  const auto = split.group_by_requested === "auto" ? " (auto)" : "";
  out.push({
    r,
    auc: `${f3(t?.auc)}${ci}`,
    test: `${t?.n ?? 0} (${t?.real ?? 0} real / ${t?.fake ?? 0} AI)`,
    split: `${groupBy === "none" ? "clip by clip" : `by ${groupBy}`}${auto}: ${c.train.real + c.train.fake} / ${c.val.real + c.val.fake} / ${c.test.real + c.test.fake}`,
    minutes: (Date.now() - t0) / 60000,
  });
  console.error(`# row ${r.n}: test AUC ${out.at(-1).auc}, ${out.at(-1).minutes.toFixed(1)} min`);
}

const dataName = (d) => (d === CLIPS ? "clips/ (103)" : d === ALL ? "clips/ + more-clips/ (272)" : d);
const lines = [
  `| # | data (\`${relative(root, resolve(root, shared)) || shared}/\`) | pipeline | split (train / val / test clips) | test clips | test ROC-AUC [95 % CI] |`,
  "|---|---|---|---|---|---|",
  ...out.map(({ r, auc, test, split }) => `| ${r.n} | ${dataName(r.data)} | ${r.what} | ${split} | ${test} | ${auc} |`),
  "",
  "```sh",
  ...out.map(({ r }) => `${command(r)}   # ${r.n}`),
  "```",
  "",
  `Measured ${started.toISOString().slice(0, 10)} by \`node scripts/format-table.mjs${pick ? ` --rows ${pick.join(",")}` : ""}${quick ? " --quick" : ""}\` ` +
    `(${cpus().length} cores, ${cpus()[0]?.model.trim() ?? "?"}, load average ${load} at the start; ${out.reduce((s, x) => s + x.minutes, 0).toFixed(0)} min).`,
];
console.log(lines.join("\n"));
