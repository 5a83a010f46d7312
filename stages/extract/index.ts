// `uses: extract` — clips → per-frame feature vectors (features/<id>.npy, videos.jsonl,
// extract.json). Top-level imports stay light: the runner loads this file to compute cache keys.
import { defineStage } from "../../src/stage.js";
import { extractParams, type ExtractParams } from "./params.js";

export type { ExtractParams } from "./params.js";

export default defineStage<ExtractParams>({
  kind: "extract",
  description: "decode every clip with ffmpeg and compute per-frame forensic feature vectors",
  params: extractParams,
  usesData: true,
  environment: async () => {
    const { toolVersions } = await import("../../src/video/ffmpeg.js");
    return toolVersions(["ffmpeg"]); // one ffmpeg per clip decodes and describes it: no ffprobe
  },
  // One item per clip (impl.ts); the heavy modules load only when the stage runs.
  fanOut: {
    items: async (ctx) => (await import("./impl.js")).extractItems(ctx),
    worker: async (ctx) => (await import("./impl.js")).extractWorker(ctx),
    assemble: async (ctx, results) => (await import("./impl.js")).assembleExtract(ctx, results),
  },
});
