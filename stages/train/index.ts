// The train stage: fits a detector (transformer or linear probe) on extract's per-frame features with split's
// train/val lists. Light on purpose: the runner imports this to compute keys; TensorFlow.js and
// the model load inside run().
import { defineStage } from "../../src/stage.js";
import { trainParams, type TrainParams } from "./params.js";

export default defineStage<TrainParams>({
  kind: "train",
  description: "train a detector on extracted features and the split: the transformer (TensorFlow.js) or a linear probe",
  params: trainParams,
  // The TensorFlow.js version and the backend the request resolves to here are part of the key;
  // the linear probe is plain JavaScript (float64, fixed order): no tfjs in its key.
  environment: async ({ params }) =>
    params.model === "linear" ? { backend: "js" } : (await import("../../src/model/environment.js")).tfjsEnvironment(params.backend),
  async run(ctx) {
    const { runTrain } = await import("./impl.js");
    return runTrain(ctx);
  },
});
