// The extract stage's parameters: the feature recipe (src/features/recipe.ts: how a clip becomes
// features, saved with every trained model and re-applied by predict) plus how the stage runs.
import type { ParamsSpec } from "../../src/params.js";
import { recipeParams, specDefaults, type FeatureRecipe } from "../../src/features/recipe.js";
import { augmentParams, type AugmentParams } from "./augment.js";

export interface ExtractParams extends FeatureRecipe {
  workers: number | null;
  on_error: "skip" | "fail";
  augment: AugmentParams;
}

export const extractParams: ParamsSpec = {
  ...recipeParams,
  workers: { type: "number", integer: true, default: null, nullable: true, min: 1, inKey: false, doc: "feature worker processes (each runs two clips at a time); null = the run's cores (the output is byte-identical whatever the count, so it is not part of the cache key)" },
  on_error: { type: "string", default: "skip", enum: ["skip", "fail"], doc: "skip: list bad clips in videos.jsonl and the summary and go on; fail: fail the stage with the list" },
  augment: { type: "object", doc: "training-time re-encoding augmentation: features of re-encoded variants of each clip, listed in videos.jsonl `augmented` (docs/detector.md)", properties: augmentParams },
};

export const EXTRACT_DEFAULTS: ExtractParams = specDefaults<ExtractParams>(extractParams);
