// The open engine through the real CLI in temp dirs: user kinds from module files, a shell stage
// whose features feed the built-in split/train/evaluate, answering for the run the user made
// (--run), gc keeping the workspace, and a read-only artifacts directory.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, chmodSync, cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { BIN, dfd, lastJson, project, run } from "../helpers/cli.js";
import { makeClip } from "../video/helpers.js";

// ---------------------------------------------------------------------------------------------
// A user stage kind from a module file

const KIND = `import { helper } from "./lib/helper.js";
export default {
  kind: "upper",
  description: "upper-cases its input text",
  params: { word: { type: "string", default: "hello" }, config: { type: "path", default: null, nullable: true } },
  async run(ctx) {
    const { writeFileSync, readFileSync } = await import("node:fs");
    const extra = ctx.params.config ? readFileSync(ctx.params.config, "utf8").trim() : "";
    writeFileSync(ctx.outDir + "/out.txt", helper(ctx.params.word) + extra + "\\n");
    return { lines: ["made " + helper(ctx.params.word)] };
  },
};
`;

function userKindProject(extra = "") {
  return project({
    "pipeline.yaml": `stages:\n  up:\n    uses: ./kinds/upper.js\n    with: {word: dfd${extra}}\n`,
    "kinds/upper.js": KIND,
    "kinds/lib/helper.js": `export const helper = (w) => w.toUpperCase();\n`,
    "kinds/package.json": `{"type": "module"}\n`,
  });
}

test("a user kind from a module file runs, caches, and re-runs when its module or a module it imports changes", () => {
  const dir = userKindProject();
  const r1 = run(dir);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(r1.status.up, "ran");
  assert.equal(readFileSync(join(dfd(dir, ["path", "up"]).stdout.trim(), "out.txt"), "utf8"), "DFD\n");
  assert.equal(run(dir).status.up, "cached");

  appendFileSync(join(dir, "kinds/lib/helper.js"), "// a comment changes the code version\n");
  const r2 = run(dir);
  assert.equal(r2.status.up, "ran");
  assert.match(r2.reasons.up![0]!, /^code of \.\/kinds\/upper\.js changed \([0-9a-f]{8} → [0-9a-f]{8}\): kinds\/lib\/helper\.js changed$/);

  appendFileSync(join(dir, "kinds/upper.js"), "// v3\n");
  assert.match(run(dir).reasons.up![0]!, /kinds\/upper\.js changed$/);
  assert.equal(run(dir).status.up, "cached");
});

test("a user kind's path param: the file's content is in the key ('input … changed')", () => {
  const dir = project({
    "pipeline.yaml": `stages:\n  up:\n    uses: ./kinds/upper.js\n    with: {config: conf/suffix.txt}\n`,
    "kinds/upper.js": KIND,
    "kinds/lib/helper.js": `export const helper = (w) => w.toUpperCase();\n`,
    "kinds/package.json": `{"type": "module"}\n`,
    "conf/suffix.txt": "!\n",
  });
  assert.equal(run(dir).status.up, "ran");
  assert.equal(readFileSync(join(dfd(dir, ["path", "up"]).stdout.trim(), "out.txt"), "utf8"), "HELLO!\n");
  writeFileSync(join(dir, "conf/suffix.txt"), "?\n");
  const r = run(dir);
  assert.equal(r.status.up, "ran");
  assert.match(r.reasons.up![0]!, /^input conf\/suffix\.txt changed \([0-9a-f]{8} → [0-9a-f]{8}\)$/);
  // A missing path is a pipeline.yaml:line:col error.
  writeFileSync(join(dir, "pipeline.yaml"), `stages:\n  up:\n    uses: ./kinds/upper.js\n    with: {config: conf/nope.txt}\n`);
  const bad = dfd(dir, ["run"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /pipeline\.yaml:4:20: stage "up": config path "conf\/nope\.txt" does not exist/);
});

test("bad user kind modules: missing file, no default export, wrong shape — each a line:col error", () => {
  const dir = project({
    "pipeline.yaml": `stages:\n  a:\n    uses: ./kinds/missing.js\n`,
    "kinds/package.json": `{"type": "module"}\n`,
    "kinds/none.js": `export const x = 1;\n`,
    "kinds/shape.js": `export default { params: {} };\n`,
    "kinds/throws.js": `throw new Error("boom at load");\n`,
  });
  const r = dfd(dir, ["run"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^pipeline\.yaml:3:11: stage kind module \.\/kinds\/missing\.js not found \(looked for .*kinds\/missing\.js\)/m);
  for (const [file, msg] of [
    ["none.js", /its default export is not an object/],
    ["shape.js", /neither a run\(ctx\) function nor a fanOut/],
    ["throws.js", /failed to load: boom at load/],
  ] as const) {
    writeFileSync(join(dir, "pipeline.yaml"), `stages:\n  a:\n    uses: ./kinds/${file}\n`);
    const b = dfd(dir, ["run"]);
    assert.equal(b.code, 2, file);
    assert.match(b.stderr, /^pipeline\.yaml:3:11: stage kind module/m);
    assert.match(b.stderr, msg);
  }
});

test("uses: shell is the same kind as the run: sugar (same key, same output)", () => {
  const sugar = project({ "pipeline.yaml": `stages:\n  s:\n    run: echo hi > $DFD_OUT/x\n    params: {n: 1}\n` });
  const explicit = project({ "pipeline.yaml": `stages:\n  s:\n    uses: shell\n    with: {command: echo hi > $DFD_OUT/x, n: 1}\n` });
  const a = run(sugar);
  const b = run(explicit);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(a.json.stages[0]!.key, b.json.stages[0]!.key);
  // --set on a run: stage names its free-form params directly; an undeclared one is refused.
  assert.deepEqual(run(sugar, ["--set", "s.n=2"]).reasons.s, ["params.n 1 → 2"]);
  const bad = dfd(sugar, ["run", "--set", "s.m=2"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--set s\.m=2: stage "s" has no param "m" \(did you mean "n"\?\); params: n/);
});

// ---------------------------------------------------------------------------------------------
// The features artifact from a shell stage feeds the built-in stages unchanged

/** A user's feature script: writes videos.jsonl + features/<id>.npy (NumPy float32) for 40 clips
 * from 4 sources, with a class signal in the first feature. */
const FEATURE_SCRIPT = `import { mkdirSync, writeFileSync } from "node:fs";
const out = process.env.DFD_OUT;
mkdirSync(out + "/features");
let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
function npy(rows, cols, data) {
  let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
  while ((10 + header.length + 1) % 64) header += " ";
  header += "\\n";
  const buf = Buffer.alloc(10 + header.length + data.length * 4);
  buf.write("\\x93NUMPY", 0, "latin1"); buf[6] = 1; buf[7] = 0; buf.writeUInt16LE(header.length, 8); buf.write(header, 10, "latin1");
  data.forEach((v, i) => buf.writeFloatLE(v, 10 + header.length + i * 4));
  return buf;
}
const rows = [];
for (let i = 0; i < 40; i++) {
  const label = i % 2 ? "fake" : "real";
  const id = label + "-" + i;
  const frames = 6, dims = 4;
  const data = [];
  for (let f = 0; f < frames; f++) for (let d = 0; d < dims; d++) data.push((d === 0 ? (label === "fake" ? 1.5 : -1.5) : 0) + rand() - 0.5);
  writeFileSync(out + "/features/" + id + ".npy", npy(frames, dims, data));
  rows.push({ id, path: id + ".mp4", label, source: label + "-cam" + (i % 4 < 2 ? "a" : "b"), group: null, frames, dims, features: "features/" + id + ".npy",
    fps: 8, width: 64, height: 64, duration: 0.75, codec: "h264", pix_fmt: "yuv420p", format: "mp4", bytes: 1000 + i, bitrate: null, source_frames: frames, phash: [], error: null });
}
writeFileSync(out + "/videos.jsonl", rows.map((r) => JSON.stringify(r)).join("\\n") + "\\n");
`;

test("a shell stage writing the features artifact feeds the built-in split, train and evaluate", () => {
  const dir = project({
    "scripts/features.mjs": FEATURE_SCRIPT,
    "pipeline.yaml": `stages:
  feats:
    run: node scripts/features.mjs
    deps: [scripts/features.mjs]
  split:
    uses: split
    needs: [feats]
    with: {group_by: null}
  train:
    uses: train
    needs: [feats, split]
    with: {backend: cpu, d_model: 8, layers: 1, heads: 2, ff: 16, seq_len: 8, max_epochs: 4, min_epochs: 2, patience: 2, batch_size: 8, dropout: 0}
  evaluate:
    uses: evaluate
    needs: [train, split, feats]
    with: {backend: cpu, bootstrap: 50}
`,
  });
  const r = run(dir, ["--jobs", "1"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(r.status, { feats: "ran", split: "ran", train: "ran", evaluate: "ran" });
  const metrics = JSON.parse(readFileSync(join(dfd(dir, ["path", "evaluate"]).stdout.trim(), "metrics.json"), "utf8"));
  assert.ok(metrics.test.auc > 0.9, `a separable first feature: test AUC ${metrics.test.auc}`);
  // The user's script is part of the key: editing it re-runs everything downstream.
  appendFileSync(join(dir, "scripts/features.mjs"), "// v2\n");
  const r2 = run(dir, ["--jobs", "1", "--until", "feats"]);
  assert.match(r2.reasons.feats![0]!, /^input scripts\/features\.mjs changed/);
});

// ---------------------------------------------------------------------------------------------
// Answer for the run the user made

test("path/status --run latest answer for the run made with --set data=…, and say when pipeline.yaml differs", () => {
  const cmd = `ls "$DFD_DATA" > $DFD_OUT/list.txt`;
  const dir = project({
    "pipeline.yaml": `data: clips\nstages:\n  ls:\n    run: ${cmd}\n`,
    "clips/real/a.txt": "a",
    "other/fake/b.txt": "b",
  });
  assert.equal(run(dir).code, 0);
  const r = run(dir, ["--set", "data=other"]);
  assert.equal(r.code, 0, r.stderr);
  const asWritten = dfd(dir, ["path", "ls"]);
  assert.equal(readFileSync(join(asWritten.stdout.trim(), "list.txt"), "utf8"), "real\n");
  assert.match(asWritten.stderr, /note: the latest run \(\S+\) used --set data=other; this answers for pipeline\.yaml as written \(add --run latest to answer for that run\)/);
  const latest = dfd(dir, ["path", "ls", "--run", "latest"]);
  assert.equal(latest.code, 0, latest.stderr);
  assert.equal(readFileSync(join(latest.stdout.trim(), "list.txt"), "utf8"), "fake\n");
  const earlier = dfd(dir, ["path", "ls", "--run", "latest~1", "--json"]);
  assert.equal(readFileSync(join(lastJson(earlier).path, "list.txt"), "utf8"), "real\n");
  const st = lastJson(dfd(dir, ["status", "--run", "latest", "--json"]));
  assert.equal(st.run, r.json.run);
  assert.deepEqual(st.stages.map((s: { state: string }) => s.state), ["fresh"]);
  // -p works on every command beside the positional form.
  assert.equal(dfd(dir, ["status", "-p", "pipeline.yaml"]).code, 0);
  assert.equal(dfd(dir, ["dag", "-p", "pipeline.yaml", "--json"]).code, 0);
  assert.equal(dfd(dir, ["verify", "-p", "pipeline.yaml"]).code, 0);
  const both = dfd(dir, ["status", "pipeline.yaml", "-p", "other.yaml"]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /two pipeline files given/);
});

test("gc keeps the workspace (pipeline.yaml as written) and the latest run, removes the rest", () => {
  const dir = project({ "pipeline.yaml": `stages:\n  s:\n    run: echo $(cat $DFD_PARAMS) > $DFD_OUT/x\n    params: {v: 0}\n` });
  for (const v of [0, 1, 2, 3]) assert.equal(run(dir, ["--set", `s.v=${v}`]).code, 0);
  const objects = () => readdirSync(join(dir, "artifacts", "objects")).sort();
  assert.equal(objects().length, 4);
  const keep = [dfd(dir, ["path", "s"]).stdout.trim(), dfd(dir, ["path", "s", "--run", "latest"]).stdout.trim()];
  const gc = dfd(dir, ["gc", "--keep-last", "1"]);
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, /freed .* in 2 outputs/);
  assert.deepEqual(objects(), keep.map((p) => p.split("/").pop()!).sort());
  assert.equal(run(dir).status.s, "cached", "the workspace stays cached");
});

test("verify's advice is true for an unreferenced damaged object, and gc removes it", () => {
  const dir = project({ "pipeline.yaml": `stages:\n  s:\n    run: echo $(cat $DFD_PARAMS) > $DFD_OUT/x\n    params: {v: 0}\n` });
  assert.equal(run(dir, ["--set", "s.v=1"]).code, 0);
  const old = dfd(dir, ["path", "s", "--run", "latest"]).stdout.trim();
  assert.equal(run(dir).code, 0);
  // Drop the old entry (as gc of another era would) and damage its object.
  assert.equal(dfd(dir, ["gc", "--keep-last", "1"]).code, 0);
  if (!existsSync(old)) cpSync(dfd(dir, ["path", "s"]).stdout.trim(), old, { recursive: true });
  writeFileSync(join(old, "x"), "tampered\n");
  const v = dfd(dir, ["verify"]);
  assert.equal(v.code, 1);
  assert.match(v.stdout, /content does not match its address \(modified\); no cache entry points at it — dfd gc removes it/);
  const gc = dfd(dir, ["gc"]);
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, /damaged/);
  assert.equal(dfd(dir, ["verify"]).code, 0);
});

test("a read-only artifacts directory: read-only commands work, run says which directory and what to do", { skip: process.getuid?.() !== 0 ? "needs root to run the CLI as another user" : false }, () => {
  const dir = project({ "pipeline.yaml": `stages:\n  s:\n    run: echo hi > $DFD_OUT/x\n` });
  assert.equal(run(dir).code, 0);
  // The artifacts belong to root and are read-only for everyone else: run the CLI as `nobody`.
  chmodSync(dir, 0o755);
  const asNobody = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: dir, uid: 65534, gid: 65534, encoding: "utf8", env: { ...process.env, CI: "1", HOME: "/tmp" } });
  for (const args of [["status"], ["why", "s"], ["path", "s"], ["runs"], ["dag"], ["verify"], ["compare", "latest", "latest"]]) {
    const r = asNobody(args);
    assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
  }
  assert.match(asNobody(["status"]).stdout, /^s\s+fresh/m);
  const r = asNobody(["run"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /dfd run: the artifacts directory .*artifacts is read-only; point dfd at a writable one with DFD_ARTIFACTS=/);
});

// ---------------------------------------------------------------------------------------------
// Complete keys: the environment block

test("changing the ffmpeg in use makes extract stale with an environment reason", { skip: !existsSync("/usr/bin/ffmpeg") ? "needs a system ffmpeg beside the npm one (apt-get install ffmpeg)" : false }, () => {
  const npmFfmpeg = join(dirname(fileURLToPath(import.meta.resolve("@ffmpeg-installer/linux-x64/package.json"))), "ffmpeg");
  const dir = project({ "pipeline.yaml": `data: clips\nstages:\n  extract:\n    uses: extract\n    with: {size: 64, max_frames: 4}\n` });
  for (const [i, label] of ["real", "fake"].entries())
    makeClip(join(dir, "clips", label, `c${i}.mp4`), `testsrc2=size=96x96:rate=8:duration=1,hue=h=${i * 90}`);
  const cache = join(dir, ".tool-cache");
  const withFfmpeg = (bin: string) => ({ FFMPEG_PATH: bin, DFD_CACHE_DIR: cache });
  const r1 = run(dir, [], withFfmpeg(npmFfmpeg));
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(run(dir, [], withFfmpeg(npmFfmpeg)).status.extract, "cached");
  const st = lastJson(dfd(dir, ["status", "--json"], withFfmpeg("/usr/bin/ffmpeg")));
  assert.equal(st.stages[0].state, "stale");
  assert.match(st.stages[0].reasons[0], /^environment ffmpeg \S+ → 5\.\S+$/);
  const why = dfd(dir, ["why", "extract"], withFfmpeg("/usr/bin/ffmpeg"));
  assert.match(why.stdout, /environment ffmpeg/);
  assert.equal(run(dir, [], withFfmpeg("/usr/bin/ffmpeg")).status.extract, "ran");
});
