// The scoring API behind evaluate, `dfd predict` and cross-validation: one Detector interface
// for every model kind. loadDetector reads a model directory (src/artifacts/model.ts) and returns
// the right implementation; TensorFlow.js loads only for a transformer.
import type { Matrix } from "../lib/npy.js";
import { firstNonFinite } from "../lib/npy.js";
import { readLinearWeights, readModelMeta, type LinearMeta, type ModelMeta } from "../artifacts/model.js";
import { scoreLinear, type LinearWeights } from "./linear.js";
import type { ModelKind } from "./params.js";

export type { ModelMeta } from "../artifacts/model.js";

export interface ClipScore {
  /** P(fake) in [0, 1]. */
  score: number;
  /** One weight per input frame, summing to 1: the transformer's attention pooling (frames
   * outside the seq_len window get 0); uniform for the linear probe, which reads whole clips. */
  attention: number[];
}

export interface Detector {
  kind: ModelKind;
  /** model/dfd.json: kind, threshold, feature_dims, extract params, backend, train params... */
  meta: ModelMeta;
  /** What scoring runs on in this process: a TensorFlow.js backend, or "js". */
  backend: string;
  /** Scores raw per-frame features (as the features artifact holds them). Throws on a clip with
   * the wrong width, no frames or non-finite values: score clips one at a time to isolate bad ones. */
  score(clips: Matrix[]): Promise<ClipScore[]>;
  dispose(): void;
}

/** The checks every detector applies to its input, with the clip's position in the message. */
export function checkClips(clips: readonly Matrix[], featureDims: number): void {
  clips.forEach((m, i) => {
    const where = clips.length > 1 ? `clip ${i}: ` : "";
    if (m.cols !== featureDims)
      throw new Error(`${where}features have ${m.cols} dims, the model was trained on ${featureDims} (extract params differ?)`);
    if (m.rows === 0) throw new Error(`${where}no frames`);
    const bad = firstNonFinite(m.data);
    if (bad >= 0) throw new Error(`${where}non-finite feature value at frame ${Math.floor(bad / m.cols)}, dim ${bad % m.cols}`);
  });
}

/** modelDir: a train stage's output dir or its model/ folder. `backend` applies to a transformer. */
export async function loadDetector(modelDir: string, opts: { backend?: string } = {}): Promise<Detector> {
  const { dir, meta } = readModelMeta(modelDir);
  if (meta.kind === "linear") return linearDetector(readLinearWeights(dir, meta.feature_dims), meta);
  const { loadTransformerDetector } = await import("./transformer-detector.js");
  return loadTransformerDetector(dir, opts);
}

/** A Detector over linear-probe weights (loaded or just fitted). Pure JavaScript. */
export function linearDetector(w: LinearWeights, meta: LinearMeta): Detector {
  let disposed = false;
  return {
    kind: "linear",
    meta,
    backend: "js",
    async score(clips) {
      if (disposed) throw new Error("detector: score() after dispose()");
      checkClips(clips, meta.feature_dims);
      return clips.map((m) => ({ score: scoreLinear(w, m), attention: new Array<number>(m.rows).fill(1 / m.rows) }));
    },
    dispose() {
      disposed = true;
    },
  };
}
