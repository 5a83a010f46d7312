// NumPy .npy format (version 1.0) for float32 2-D arrays: what extract writes per clip and what
// train, evaluate and predict read. `numpy.load` reads these files as they are.
import { readFileSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

export interface Matrix {
  /** Row-major float32 data, rows × cols. */
  data: Float32Array;
  rows: number;
  cols: number;
}

/** Encodes a float32 [rows, cols] array as .npy bytes (little-endian, C order). */
export function encodeNpy(m: Matrix): Buffer {
  if (m.data.length !== m.rows * m.cols)
    throw new Error(`npy: data has ${m.data.length} values, shape [${m.rows}, ${m.cols}] needs ${m.rows * m.cols}`);
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${m.rows}, ${m.cols}), }`;
  // magic(6) + version(2) + header length(2) + header + '\n' must be a multiple of 64
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + " ".repeat(pad % 64) + "\n";
  const out = Buffer.alloc(10 + header.length + m.data.byteLength);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, "latin1");
  const bytes = new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  if (isLittleEndian()) out.set(bytes, 10 + header.length);
  else for (let i = 0; i < m.data.length; i++) out.writeFloatLE(m.data[i]!, 10 + header.length + 4 * i);
  return out;
}

export function writeNpy(path: string, m: Matrix): void {
  writeFileSync(path, encodeNpy(m));
}

/** Decodes .npy bytes holding a little-endian float32 (or float64, converted) 1-D or 2-D array. */
export function decodeNpy(buf: Buffer, name = "array"): Matrix {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new Error(`${name}: not a NumPy .npy file`);
  const major = buf[6]!;
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString("latin1", start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`${name}: malformed .npy header: ${header.trim()}`);
  if (fortran === "True") throw new Error(`${name}: Fortran-order arrays are not supported`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  if (shape.length > 2 || shape.some((n) => !Number.isInteger(n) || n < 0))
    throw new Error(`${name}: expected a 1-D or 2-D array, shape is (${shapeText})`);
  const rows = shape[0] ?? 1;
  const cols = shape.length === 2 ? shape[1]! : 1;
  const offset = start + headerLen;
  const n = rows * cols;
  const data = new Float32Array(n);
  if (descr === "<f4") {
    if (buf.length < offset + 4 * n) throw new Error(`${name}: truncated (${buf.length} bytes, need ${offset + 4 * n})`);
    for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(offset + 4 * i);
  } else if (descr === "<f8") {
    if (buf.length < offset + 8 * n) throw new Error(`${name}: truncated (${buf.length} bytes, need ${offset + 8 * n})`);
    for (let i = 0; i < n; i++) data[i] = buf.readDoubleLE(offset + 8 * i);
  } else {
    throw new Error(`${name}: dtype ${descr} is not supported (float32 or float64 expected)`);
  }
  return { data, rows, cols };
}

export function readNpy(path: string): Matrix {
  return decodeNpy(readFileSync(path), path);
}

/** Reads only the shape of a .npy file (first 4 KiB). */
export async function readNpyShape(path: string): Promise<{ rows: number; cols: number }> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, 4096, 0);
    const head = buf.subarray(0, bytesRead);
    const text = head.toString("latin1");
    const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
    if (!head.subarray(0, 6).equals(MAGIC) || shapeText === undefined) throw new Error(`${path}: not a NumPy .npy file`);
    const shape = shapeText.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
    return { rows: shape[0] ?? 1, cols: shape[1] ?? 1 };
  } finally {
    await fh.close();
  }
}

/** Index of the first NaN or ±Infinity, or -1. */
export function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
