// The split stage: stratified train/val/test by label with a seed, optional group_by, extraction
// failures left out, near-duplicate clusters (from diagnose) kept in one set. Light on purpose:
// the runner imports this to compute keys; the work lives in impl.ts.
import { defineStage } from "../../src/stage.js";
import { splitParams, type SplitParams } from "./params.js";

export default defineStage<SplitParams>({
  kind: "split",
  description: "stratified train/val/test split by label, seeded, optionally grouped by source or group",
  params: splitParams,
  // the modules it imports outside this folder (src/lib, src/artifacts, src/dataset), as folders
  // because code paths must work from both src (.ts) and dist (.js); test/runner/code-coverage.test.ts
  // checks the list covers the import graph
  code: [new URL(".", import.meta.url), new URL("../../src/lib/", import.meta.url), new URL("../../src/artifacts/", import.meta.url), new URL("../../src/dataset/", import.meta.url)],
  async run(ctx) {
    const { runSplit } = await import("./impl.js");
    return runSplit(ctx);
  },
});
