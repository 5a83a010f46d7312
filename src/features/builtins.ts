// The built-in feature extractors by name. Loaded only when features are computed (registry.ts
// imports this module lazily): their lookup tables cost a few milliseconds at import, which every
// command (a cached `dfd run` included) would otherwise pay.
import type { FeatureExtractor } from "./extractor.js";
import { forensicV1 } from "./forensic.js";
import { forensicV2 } from "./forensic-v2.js";

export const EXTRACTORS: Readonly<Record<string, FeatureExtractor>> = { [forensicV1.name]: forensicV1, [forensicV2.name]: forensicV2 };
