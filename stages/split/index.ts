// The split stage: stratified train/val/test by label with a seed, optional group_by, extraction
// failures left out, near-duplicate clusters (from diagnose) kept in one set. Light on purpose:
// the runner imports this to compute keys; the work lives in impl.ts.
import { defineStage } from "../../src/stage.js";
import { splitParams, type SplitParams } from "./params.js";

export default defineStage<SplitParams>({
  kind: "split",
  description: "stratified train/val/test split by label, seeded, optionally grouped by source or group",
  params: splitParams,
  async run(ctx) {
    const { runSplit } = await import("./impl.js");
    return runSplit(ctx);
  },
});
