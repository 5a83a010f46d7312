// train's params are the model library's (src/model/params.ts), so a cross-validation stage can
// offer exactly the same ones.
export { modelParams as trainParams, type ModelParams as TrainParams } from "../../src/model/params.js";
