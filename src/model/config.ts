// The architecture hyper-parameters: everything needed to rebuild the network from its weights.
// Saved in model.json (modelTopology) so a model directory is self-describing.

export type Pooling = "attention" | "mean";

export interface ModelConfig {
  /** Feature dimensions per frame (extract's `dims`). */
  inputDims: number;
  dModel: number;
  layers: number;
  heads: number;
  /** Hidden width of each encoder layer's feed-forward block. */
  ff: number;
  dropout: number;
  pooling: Pooling;
  /** Frames per sequence: clips are cropped/padded to this length. */
  seqLen: number;
}

export function validateConfig(c: ModelConfig): void {
  const bad = (msg: string): never => {
    throw new Error(`model config: ${msg}`);
  };
  for (const k of ["inputDims", "dModel", "layers", "heads", "ff", "seqLen"] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1) bad(`${k} must be a positive integer, got ${c[k]}`);
  if (c.dModel % c.heads !== 0) bad(`d_model ${c.dModel} must be divisible by heads ${c.heads}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) bad(`dropout must be in [0, 1), got ${c.dropout}`);
  if (c.pooling !== "attention" && c.pooling !== "mean") bad(`pooling must be attention or mean, got ${c.pooling}`);
}
