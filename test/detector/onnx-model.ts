// Tiny ONNX models written from JS for the encoder tests (no downloads): a hand-rolled protobuf
// writer for the few ModelProto fields a graph needs (onnx.proto, IR version 8, opset 13).
import { writeFileSync } from "node:fs";

type Bytes = number[];

function varint(n: number): Bytes {
  const out: Bytes = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const tag = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, v: number): Bytes => [...tag(field, 0), ...varint(v)];
const bytes = (field: number, b: Bytes | Uint8Array): Bytes => [...tag(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string): Bytes => bytes(field, [...Buffer.from(s, "utf8")]);
const msg = (field: number, ...parts: Bytes[]): Bytes => bytes(field, parts.flat());

const FLOAT = 1;
const INTS = 7;

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  ints?: Record<string, number[]>;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  values: number[];
}

/** A value's float tensor type; a string dimension is symbolic (any size). */
export interface OnnxValue {
  name: string;
  shape: (number | string)[];
}

function valueInfo(field: number, v: OnnxValue): Bytes {
  const dims = v.shape.map((d) => msg(1, typeof d === "number" ? int(1, d) : str(2, d)));
  return msg(field, str(1, v.name), msg(2, msg(1, int(1, FLOAT), msg(2, ...dims))));
}

export function onnxModel(g: { nodes: OnnxNode[]; initializers: OnnxTensor[]; inputs: OnnxValue[]; outputs: OnnxValue[] }): Uint8Array {
  const nodes = g.nodes.map((n, i) =>
    msg(1,
      ...n.inputs.map((s) => str(1, s)),
      ...n.outputs.map((s) => str(2, s)),
      str(3, `node${i}`),
      str(4, n.op),
      ...Object.entries(n.ints ?? {}).map(([name, vals]) => msg(5, str(1, name), int(20, INTS), ...vals.map((v) => int(8, v))))));
  const inits = g.initializers.map((t) => {
    const raw = Buffer.from(Float32Array.from(t.values).buffer);
    return msg(5, ...t.dims.map((d) => int(1, d)), int(2, FLOAT), str(8, t.name), bytes(9, raw));
  });
  const graph = msg(7, ...nodes, str(2, "g"), ...inits, ...g.inputs.map((v) => valueInfo(11, v)), ...g.outputs.map((v) => valueInfo(12, v)));
  return Uint8Array.from([...int(1, 8), ...str(2, "dfd-test"), ...msg(8, str(1, ""), int(2, 13)), ...graph]);
}

/** A 1×1 convolution (3 → `weights.length` channels, bias) on any input size: output [1, k, H, W]. */
export function writeConvModel(file: string, weights: number[][], bias: number[]): void {
  writeFileSync(file, onnxModel({
    nodes: [{ op: "Conv", inputs: ["pixels", "W", "B"], outputs: ["maps"], ints: { kernel_shape: [1, 1] } }],
    initializers: [
      { name: "W", dims: [weights.length, 3, 1, 1], values: weights.flat() },
      { name: "B", dims: [bias.length], values: bias },
    ],
    inputs: [{ name: "pixels", shape: [1, 3, "H", "W"] }],
    outputs: [{ name: "maps", shape: [1, weights.length, "H", "W"] }],
  }));
}

/** Global average pooling of a fixed 32×32 input, then a [3, k] matrix: output [1, k]. */
export function writePooledModel(file: string, matrix: number[][]): void {
  writeFileSync(file, onnxModel({
    nodes: [
      { op: "GlobalAveragePool", inputs: ["pixels"], outputs: ["pooled"] },
      { op: "Flatten", inputs: ["pooled"], outputs: ["flat"] },
      { op: "MatMul", inputs: ["flat", "M"], outputs: ["embedding"] },
    ],
    initializers: [{ name: "M", dims: [3, matrix[0]!.length], values: matrix.flat() }],
    inputs: [{ name: "pixels", shape: [1, 3, 32, 32] }],
    outputs: [{ name: "embedding", shape: [1, matrix[0]!.length] }],
  }));
}
