// Adam / AdamW with global-norm gradient clipping, on flat Float32Arrays in plain JavaScript.
// Why not tfjs ops: one update is ~13 small ops per weight tensor (~800 kernel calls per step for
// the seed model), and their per-op overhead cost more than this single fused loop over the 2.2 M
// parameters. The weights live here as a flat master copy; the tfjs variables are refreshed from it
// after every step.

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay (AdamW); 0 = plain Adam. Only applied to the `decay` ranges. */
  weightDecay?: number;
}

/** Scales `g` in place so its L2 norm is at most `maxNorm` (PyTorch clip_grad_norm_); returns the
 * norm before clipping. */
export function clipByGlobalNorm(g: Float32Array, maxNorm: number): number {
  let sq = 0;
  for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  const norm = Math.sqrt(sq);
  if (norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (let i = 0; i < g.length; i++) g[i]! *= scale;
  }
  return norm;
}

export class FlatAdam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;
  /**
   * @param params the flat weights, updated in place
   * @param decay [start, end) ranges that get weight decay (weight matrices, not biases/norms)
   */
  constructor(readonly params: Float32Array, readonly opts: AdamOptions, readonly decay: [number, number][] = []) {
    this.m = new Float32Array(params.length);
    this.v = new Float32Array(params.length);
  }

  step(g: Float32Array): void {
    this.t++;
    const { lr, weightDecay = 0 } = this.opts;
    const b1 = this.opts.beta1 ?? 0.9, b2 = this.opts.beta2 ?? 0.999, eps = this.opts.epsilon ?? 1e-8;
    const c1 = 1 - b1, c2 = 1 - b2;
    const stepSize = (lr * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t);
    const p = this.params, m = this.m, v = this.v;
    if (weightDecay > 0) {
      const shrink = 1 - lr * weightDecay; // AdamW: decay from the weights before this step
      for (const [s, e] of this.decay) for (let i = s; i < e; i++) p[i]! *= shrink;
    }
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const mi = (m[i] = b1 * m[i]! + c1 * gi);
      const vi = (v[i] = b2 * v[i]! + c2 * gi * gi);
      p[i]! -= (stepSize * mi) / (Math.sqrt(vi) + eps);
    }
  }
}
