// The evaluate stage: scores val and test (and train, marked as seen) with the trained model and
// writes metrics.json, predictions.jsonl and a self-contained report.html. Top-level imports stay
// light (the runner loads this file to compute keys); the model and maths load inside run().
import { BACKENDS, type BackendRequest } from "../../src/model/backends.js";
import { defineStage } from "../../src/stage.js";
import type { ParamsSpec } from "../../src/params.js";

export interface EvaluateParams {
  backend: BackendRequest;
  batch_size: number;
  score_train: boolean;
  bootstrap: number;
  seed: number;
  strips: number;
}

export const params: ParamsSpec = {
  backend: {
    type: "string",
    enum: BACKENDS,
    default: "auto",
    doc: "TensorFlow.js backend to score with (auto: GPU, native, wasm, then cpu)",
  },
  batch_size: { type: "number", integer: true, min: 1, default: 32, inKey: false, doc: "clips scored per model call (speed only: not part of the cache key)" },
  score_train: { type: "boolean", default: true, doc: "also score the train split (reported, marked as seen in training)" },
  bootstrap: { type: "number", integer: true, min: 0, default: 1000, doc: "bootstrap resamples for the 95 % interval of the test AUC (0 = none)" },
  seed: { type: "number", integer: true, default: 0, doc: "seed of the bootstrap resampling" },
  strips: { type: "number", integer: true, min: 0, max: 50, default: 5, doc: "clips in each of the most / least confident attention strips of report.html" },
};

export default defineStage<EvaluateParams>({
  kind: "evaluate",
  description: "Score val/test with the trained model: metrics.json, predictions.jsonl, report.html",
  params,
  // The TensorFlow.js version and the backend the request resolves to here are part of the key.
  environment: async ({ params }) => (await import("../../src/model/environment.js")).tfjsEnvironment(params.backend),
  async run(ctx) {
    const { evaluate } = await import("./impl.js");
    return evaluate(ctx);
  },
});
