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
  async run(ctx) {
    const { runExtract } = await import("./impl.js");
    return runExtract(ctx);
  },
});
