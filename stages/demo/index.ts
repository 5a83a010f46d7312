// `uses: demo` — a small synthetic, labelled data set made with ffmpeg's lavfi sources, so a
// newcomer can run the whole pipeline with no data. Not needed when the pipeline sets `data:`.
import type { ParamsSpec } from "../../src/params.js";
import { defineStage } from "../../src/stage.js";

export interface DemoParams {
  seed: number;
  real: number;
  fake: number;
  size: number;
  fps: number;
}

export const demoParams: ParamsSpec = {
  seed: { type: "number", integer: true, default: 7, doc: "random seed: same seed, same clips (byte for byte)" },
  real: { type: "number", integer: true, default: 24, min: 1, max: 1000, doc: "number of real clips" },
  fake: { type: "number", integer: true, default: 24, min: 1, max: 1000, doc: "number of fake clips" },
  size: { type: "number", integer: true, default: 144, min: 32, max: 1080, doc: "clip height in pixels (width = 4/3 of it)" },
  fps: { type: "number", default: 24, min: 1, max: 120, doc: "frame rate of every clip" },
};

export default defineStage<DemoParams>({
  kind: "demo",
  description: "generate a small synthetic real/fake clip set with ffmpeg (deterministic from a seed)",
  params: demoParams,
  environment: async () => {
    const { toolVersions } = await import("../../src/video/ffmpeg.js");
    return toolVersions(["ffmpeg"]);
  },
  notNeeded: ({ data }) => (data ? "the pipeline sets data:, so the demo set is not needed" : undefined),
  async run(ctx) {
    const { generateDemo } = await import("./generate.js");
    return generateDemo(ctx);
  },
});
