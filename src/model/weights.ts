// The network's parameters as named tf.Variables, initialised like PyTorch's defaults for the
// reference model (nn.Linear: U(±1/√fan_in) for weights and biases; attention projections:
// Xavier-uniform over the fused [3d, d] in-projection, zero biases; LayerNorm: γ=1, β=0), drawn
// from a seeded generator so init is identical on every backend.
import * as tf from "@tensorflow/tfjs-core";
import type { ModelConfig } from "./config.js";
import { Rng } from "./rng.js";

/** name → variable; names are stable and become the weight names in model.json. */
export type Weights = Map<string, tf.Variable>;

export interface WeightSpec {
  name: string;
  shape: number[];
  init: { kind: "uniform"; bound: number } | { kind: "const"; value: number };
}

export function weightSpecs(c: ModelConfig): WeightSpec[] {
  const d = c.dModel;
  const specs: WeightSpec[] = [];
  const linear = (name: string, fanIn: number, fanOut: number, bound = 1 / Math.sqrt(fanIn), biasBound = 1 / Math.sqrt(fanIn)) => {
    specs.push({ name: `${name}/kernel`, shape: [fanIn, fanOut], init: { kind: "uniform", bound } });
    specs.push({ name: `${name}/bias`, shape: [fanOut], init: biasBound ? { kind: "uniform", bound: biasBound } : { kind: "const", value: 0 } });
  };
  const norm = (name: string) => {
    specs.push({ name: `${name}/gamma`, shape: [d], init: { kind: "const", value: 1 } });
    specs.push({ name: `${name}/beta`, shape: [d], init: { kind: "const", value: 0 } });
  };
  linear("input", c.inputDims, d);
  const xavier = Math.sqrt(6 / (d + 3 * d));
  for (let l = 0; l < c.layers; l++) {
    const p = `layer${l}`;
    norm(`${p}/norm1`);
    linear(`${p}/query`, d, d, xavier, 0);
    linear(`${p}/key`, d, d, xavier, 0);
    linear(`${p}/value`, d, d, xavier, 0);
    linear(`${p}/out`, d, d, 1 / Math.sqrt(d), 0);
    norm(`${p}/norm2`);
    linear(`${p}/ff1`, d, c.ff);
    linear(`${p}/ff2`, c.ff, d);
  }
  norm("final_norm");
  if (c.pooling === "attention") linear("pool_query", d, 1);
  linear("head", d, 1);
  return specs;
}

export function initWeights(c: ModelConfig, seed: number): Weights {
  const rng = new Rng(seed);
  const w: Weights = new Map();
  for (const s of weightSpecs(c)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (s.init.kind === "const") data.fill(s.init.value);
    else for (let i = 0; i < n; i++) data[i] = (2 * rng.next() - 1) * s.init.bound;
    w.set(s.name, tf.variable(tf.tensor(data, s.shape), true, uniqueName(s.name)));
  }
  return w;
}

/** Wraps loaded values as variables (for fine-tuning or a uniform forward path). */
export function weightsFrom(values: Map<string, tf.Tensor>, c: ModelConfig): Weights {
  const w: Weights = new Map();
  for (const s of weightSpecs(c)) {
    const t = values.get(s.name);
    if (!t) throw new Error(`weights: missing "${s.name}"`);
    if (t.shape.join(",") !== s.shape.join(","))
      throw new Error(`weights: "${s.name}" has shape [${t.shape}], the config needs [${s.shape}]`);
    w.set(s.name, tf.variable(t, true, uniqueName(s.name)));
  }
  return w;
}

export function disposeWeights(w: Weights): void {
  for (const v of w.values()) v.dispose();
  w.clear();
}

export function get(w: Weights, name: string): tf.Variable {
  const v = w.get(name);
  if (!v) throw new Error(`model: no weight named "${name}"`);
  return v;
}

let counter = 0;
// tfjs variable names are global per process; several models (train + evaluate) can coexist.
function uniqueName(name: string): string {
  return `dfd${++counter}/${name}`;
}
