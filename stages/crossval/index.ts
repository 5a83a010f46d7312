// `uses: crossval` — K-fold (or leave-one-group-out) cross-validation by source group on the
// features artifact: one model per fold and model kind, each fold a fan-out item (so folds can run
// on other machines), out-of-fold scores assembled into crossval.json, predictions.jsonl and
// report.md. Light on purpose: the runner imports this to compute keys.
import { defineStage } from "../../src/stage.js";
import { crossvalParams, type CrossvalParams } from "./params.js";

export type { CrossvalParams } from "./params.js";

export default defineStage<CrossvalParams>({
  kind: "crossval",
  description: "cross-validate models by source group: per held-out source AUC and recall, mean with a bootstrap interval",
  params: crossvalParams,
  fanOut: {
    async items(ctx) {
      return (await import("./impl.js")).crossvalItems(ctx);
    },
    async worker(ctx) {
      return (await import("./impl.js")).crossvalWorker(ctx);
    },
    async assemble(ctx, results) {
      return (await import("./impl.js")).crossvalAssemble(ctx, results);
    },
  },
});
