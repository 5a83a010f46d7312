// One fold's model through the model library (src/model/fit.ts fitDetector, the same entry point
// the train stage uses): fit on the fold's training clips (early stopping, λ and the threshold on
// its validation clips), then score the held-out ones. The one place crossval meets model code.
import type { Matrix } from "../../src/lib/npy.js";
import type { ClipSet } from "../../src/model/clips.js";
import { fitDetector } from "../../src/model/fit.js";
import type { ModelKind, ModelParams } from "../../src/model/params.js";
import type { Json } from "../../src/params.js";
import type { Logger } from "../../src/stage.js";

export interface FoldFit {
  /** P(fake) per held-out clip, in input order. */
  scores: number[];
  /** The decision threshold the library chose on the fold's validation clips. */
  threshold: number;
  /** Deterministic facts for the report (from the fit's history: no timings). */
  facts: Record<string, Json>;
}

export async function fitAndScore(kind: ModelKind, p: ModelParams, train: ClipSet, val: ClipSet, test: readonly Matrix[], signal: AbortSignal, log: Pick<Logger, "info" | "warn" | "debug">): Promise<FoldFit> {
  const f = await fitDetector({ ...p, model: kind }, train, val.ids.length ? val : undefined, { signal, log });
  try {
    const scores = (await f.detector.score([...test])).map((s) => s.score);
    const h = f.history;
    const facts: Record<string, Json> = { backend: h.backend, threshold_source: h.threshold_source };
    if (h.best_epoch !== null) Object.assign(facts, { epochs: h.epochs.length, best_epoch: h.best_epoch });
    if (h.linear) Object.assign(facts, { l2: h.linear.l2, l2_source: h.linear.l2_source });
    return { scores, threshold: h.threshold, facts };
  } finally {
    f.detector.dispose();
  }
}
