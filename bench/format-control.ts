// Re-encodes a data set the way evaluation clips are often format-controlled (H.264 at one CRF,
// one frame rate, short side scaled and the centre square cropped) into a new folder with a
// manifest.csv carrying the same labels, sources and groups: for measuring how much of a
// cross-validation score the dev clips' own formats were (bench only; extract's `format:` param,
// once it exists, does the same per clip inside the pipeline).
//
//   node --import tsx bench/format-control.ts DATA OUT [--fps 8] [--size 224] [--crf 20] [--jobs 2]
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { listDataset } from "../src/dataset/list.js";
import { ffmpegBinary } from "../src/video/ffmpeg.js";
import { reencodeArgs } from "../src/video/frames.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { fps: { type: "string", default: "8" }, size: { type: "string", default: "224" }, crf: { type: "string", default: "20" }, jobs: { type: "string", default: "2" } },
});
const [data, out] = positionals;
if (!data || !out) {
  process.stderr.write("usage: bench/format-control.ts DATA OUT [--fps 8] [--size 224] [--crf 20]\n");
  process.exit(2);
}
const ds = listDataset(resolve(data));
const spec = { crf: Number(values.crf), fps: Number(values.fps), size: Number(values.size) };
const csv = ["path,label,source,group"];
const failed: string[] = [];
let next = 0;
let done = 0;
const q = (s: string | null) => (s && /[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s ?? "");
const lane = async () => {
  while (next < ds.entries.length) {
    const e = ds.entries[next++]!;
    if (e.error || !e.label) continue;
    const rel = `${e.path}.mkv`; // keeps the original extension: a.mp4 and a.avi stay apart
    mkdirSync(dirname(join(out, rel)), { recursive: true });
    const code = await new Promise<number | null>((res) => {
      const p = spawn(ffmpegBinary().path, ["-y", ...reencodeArgs(e.file, spec, join(out, rel))], { stdio: ["ignore", "ignore", "pipe"] });
      p.stderr.resume();
      p.on("close", res);
    });
    if (code === 0) csv.push([rel, e.label_raw, e.source, e.group].map(q).join(","));
    else failed.push(e.path);
    process.stderr.write(`\r${++done}/${ds.entries.length}`);
  }
};
await Promise.all(Array.from({ length: Number(values.jobs) }, lane));
writeFileSync(join(out, "manifest.csv"), [csv[0], ...csv.slice(1).sort()].join("\n") + "\n");
process.stderr.write(`\n${csv.length - 1} clips → ${out}${failed.length ? `; failed: ${failed.join(", ")}` : ""}\n`);
