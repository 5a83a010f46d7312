// The split stage: stratified train/val/test by label with a seed, optional group_by, extraction
// failures left out, near-duplicate clusters (from diagnose) kept in one set. Light on purpose:
// the runner imports this to compute keys; the work lives in impl.ts.
import { defineStage } from "../../src/stage.js";
import { splitParams, type SplitParams } from "./params.js";

export default defineStage<SplitParams>({
  kind: "split",
  description: "stratified train/val/test split by label, seeded, optionally grouped by source or group",
  params: splitParams,
  // split reuses diagnose's clip-list reader, seeded shuffle and union-find, and through them
  // src/lib (test/runner/code-coverage.test.ts checks the list). The whole folder is
  // listed (not the files) because code paths must work from both src (.ts) and dist (.js).
  code: [new URL(".", import.meta.url), new URL("../diagnose/", import.meta.url), new URL("../../src/lib/", import.meta.url), new URL("../../src/artifacts/", import.meta.url)],
  async run(ctx) {
    const { runSplit } = await import("./impl.js");
    return runSplit(ctx);
  },
});
