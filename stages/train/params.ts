// train's params are the model library's (src/model/params.ts), so a cross-validation stage can
// offer exactly the same ones, plus what only the stage decides: whether training clips'
// re-encoded variants (extract's augment:) join the training set.
import { modelParams, type ModelParams } from "../../src/model/params.js";
import type { ParamsSpec } from "../../src/params.js";

export interface TrainParams extends ModelParams {
  /** Absent (a caller that predates the param) counts as true. */
  augmented?: boolean;
}

export const trainParams: ParamsSpec = {
  ...modelParams,
  augmented: {
    type: "boolean", default: true,
    doc: "also train on the re-encoded variants of the train split's clips when the features have them (extract's augment:); val and test clips never are",
  },
};
