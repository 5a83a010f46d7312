// `uses: extract` — clips → per-frame feature vectors (features/<id>.npy, videos.jsonl,
// extract.json). Top-level imports stay light: the runner loads this file to compute cache keys.
import { defineStage } from "../../src/stage.js";
import { extractParams, type ExtractParams } from "./params.js";

export type { ExtractParams } from "./params.js";

export default defineStage<ExtractParams>({
  kind: "extract",
  description: "decode every clip with ffmpeg and compute per-frame forensic feature vectors",
  params: extractParams,
  code: [
    new URL(".", import.meta.url),
    new URL("../../src/features/", import.meta.url),
    new URL("../../src/video/", import.meta.url),
    new URL("../../src/dataset/", import.meta.url),
    new URL("../../src/lib/", import.meta.url), // npy.ts writes the outputs
    new URL("../../src/artifacts/", import.meta.url),
  ],
  usesData: true,
  async run(ctx) {
    const { runExtract } = await import("./impl.js");
    return runExtract(ctx);
  },
});
