// A frame cache for feature research: decode a data set once, exactly as extract samples it (same
// picks, same neighbour frame), keep the raw frames, then compute any extractor's features from
// them in seconds instead of re-decoding (and re-encoding, with normalize_format) every clip.
//
//   node --import tsx bench/detector-frames.ts record DATA OUT [--frames 16] [--size 128]
//        [--resize scale] [--normalize-format] [--fps N] [--jobs 2]
//   node --import tsx bench/detector-frames.ts replay OUT FEATURES_DIR --features forensic-v2
// FEATURES_DIR is then a features artifact (videos.jsonl, features/*.npy, extract.json) for
// bench/crossval.ts. Results match extract's byte for byte for the same params (a check below).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { listDataset } from "../src/dataset/list.js";
import { readJsonl, writeJsonl } from "../src/lib/jsonl.js";
import { writeNpy } from "../src/lib/npy.js";
import { extractClipFeatures } from "../src/features/clip.js";
import type { SyncFeatureExtractor } from "../src/features/extractor.js";
import { EXTRACTORS } from "../src/features/builtins.js";
import { withDefaults, type FeatureRecipe } from "../src/features/recipe.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    frames: { type: "string", default: "16" },
    size: { type: "string", default: "128" },
    resize: { type: "string", default: "scale" },
    "normalize-format": { type: "boolean", default: false },
    fps: { type: "string" },
    jobs: { type: "string", default: "2" },
    features: { type: "string", default: "forensic-v2" },
  },
});
const [cmd, a, b] = positionals;

interface Row { id: string; path: string; label: string | null; label_raw: string; source: string; group: string | null; frames: number; error: string | null }

if (cmd === "record" && a && b) {
  // "record": a pseudo-extractor whose one feature is the index of the (frame, neighbour) pair it saw
  const pairs = new Map<number, [Uint8Array, Uint8Array | undefined]>();
  let seen = 0;
  const record: SyncFeatureExtractor = {
    name: "record", dims: 1, names: ["pair"],
    frame: (rgb, _w, _h, prev) => (pairs.set(seen, [rgb, prev]), Float32Array.of(seen++)),
  };
  const params: FeatureRecipe = withDefaults({
    frames: Number(values.frames), size: Number(values.size), resize: values.resize as FeatureRecipe["resize"],
    normalize_format: values["normalize-format"], fps: values.fps ? Number(values.fps) : null, features: "record",
  });
  const ds = listDataset(resolve(a));
  mkdirSync(join(b, "frames"), { recursive: true });
  const rows: Row[] = [];
  let next = 0;
  const lane = async () => {
    while (next < ds.entries.length) {
      const e = ds.entries[next++]!;
      const row: Row = { id: e.id, path: e.path, label: e.label, label_raw: e.label_raw, source: e.source, group: e.group, frames: 0, error: e.error };
      rows.push(row);
      if (e.error) continue;
      try {
        const r = await extractClipFeatures(e.file, params, record);
        const size = params.size * params.size * 3;
        const buf = Buffer.alloc(r.features.rows * 2 * size);
        for (let i = 0; i < r.features.rows; i++) {
          const [rgb, prev] = pairs.get(r.features.data[i]!)!;
          if (!prev) throw new Error("a one-frame clip (min_frames is 2)");
          buf.set(rgb, 2 * i * size);
          buf.set(prev, (2 * i + 1) * size);
        }
        for (let i = 0; i < r.features.rows; i++) pairs.delete(r.features.data[i]!);
        writeFileSync(join(b, "frames", `${e.id}.bin`), buf);
        row.frames = r.features.rows;
      } catch (err) {
        row.error = (err as Error).message;
      }
      process.stderr.write(`\r${rows.length}/${ds.entries.length}`);
    }
  };
  await Promise.all(Array.from({ length: Number(values.jobs) }, lane));
  rows.sort((x, y) => (x.path < y.path ? -1 : 1));
  writeJsonl(join(b, "clips.jsonl"), rows);
  writeFileSync(join(b, "params.json"), JSON.stringify({ ...params, features: null }, null, 1));
  process.stderr.write(`\n${rows.filter((r) => !r.error).length} clips recorded in ${b}\n`);
} else if (cmd === "replay" && a && b) {
  const e = EXTRACTORS[values.features!];
  if (!e) throw new Error(`unknown extractor ${values.features}`);
  const params = JSON.parse(readFileSync(join(a, "params.json"), "utf8")) as FeatureRecipe;
  const size = params.size;
  const bytes = size * size * 3;
  mkdirSync(join(b, "features"), { recursive: true });
  const rows = readJsonl<Row>(join(a, "clips.jsonl"));
  const t0 = performance.now();
  let frames = 0;
  const out = rows.map((r) => {
    if (r.error || !r.frames) return { ...r, features: null, dims: e.dims, frames: 0, error: r.error ?? "no frames" };
    const buf = readFileSync(join(a, "frames", `${r.id}.bin`));
    const data = new Float32Array(r.frames * e.dims);
    for (let i = 0; i < r.frames; i++) {
      const rgb = buf.subarray(2 * i * bytes, (2 * i + 1) * bytes);
      const prev = buf.subarray((2 * i + 1) * bytes, (2 * i + 2) * bytes);
      const row = e.frame(rgb, size, size, prev);
      if (!(row instanceof Float32Array)) throw new Error(`${e.name}: an async extractor (replay runs the built-in, synchronous ones)`);
      data.set(row, i * e.dims);
      frames++;
    }
    writeNpy(join(b, "features", `${r.id}.npy`), { data, rows: r.frames, cols: e.dims });
    return { ...r, features: `features/${r.id}.npy`, dims: e.dims };
  });
  writeJsonl(join(b, "videos.jsonl"), out);
  writeFileSync(join(b, "extract.json"), JSON.stringify({ params: { ...params, features: e.name }, feature: { name: e.name, dims: e.dims, names: [...e.names] } }, null, 1));
  const secs = (performance.now() - t0) / 1000;
  process.stderr.write(`${frames} frames × ${e.dims} ${e.name} in ${secs.toFixed(1)} s (${((1000 * secs) / frames).toFixed(2)} ms/frame) → ${b}\n`);
} else {
  process.stderr.write("usage: bench/detector-frames.ts record DATA OUT [...] | replay OUT FEATURES_DIR --features NAME\n");
  process.exit(2);
}
