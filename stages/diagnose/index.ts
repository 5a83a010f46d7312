// The diagnose stage: leakage diagnostics on extract's clip metadata (frame-count and metadata
// shortcuts, single sources, imbalance, near-duplicates). Light on purpose: the runner imports
// this to compute keys; the work lives in impl.ts.
import { defineStage } from "../../src/stage.js";
import { diagnoseParams, type DiagnoseParams } from "./params.js";

export default defineStage<DiagnoseParams>({
  kind: "diagnose",
  description: "leakage diagnostics: frame-count and metadata shortcuts, sources, imbalance, near-duplicates",
  params: diagnoseParams,
  async run(ctx) {
    const { runDiagnose } = await import("./impl.js");
    return runDiagnose(ctx);
  },
});
