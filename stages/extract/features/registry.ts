// Feature extractors by name (the extract param `features:`). Add a learned encoder here.
import { forensicV1 } from "./forensic.js";
import { forensicV2 } from "./forensic-v2.js";
import type { FeatureExtractor } from "./types.js";

export const EXTRACTORS: Record<string, FeatureExtractor> = { [forensicV1.name]: forensicV1, [forensicV2.name]: forensicV2 };

export function extractorNamed(name: string): FeatureExtractor {
  const e = EXTRACTORS[name];
  if (!e) throw new Error(`unknown feature extractor "${name}" (known: ${Object.keys(EXTRACTORS).join(", ")})`);
  return e;
}
