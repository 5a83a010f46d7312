import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeNpy, decodeNpy } from "../../src/lib/npy.js";

test("npy: round trip and a 64-byte aligned v1.0 header", () => {
  const data = new Float32Array([1, 2.5, -3, 4, 5, 6]);
  const buf = encodeNpy({ data, rows: 3, cols: 2 });
  const headerLen = buf.readUInt16LE(8);
  assert.equal((10 + headerLen) % 64, 0);
  assert.match(buf.toString("latin1", 10, 10 + headerLen), /'descr': '<f4', 'fortran_order': False, 'shape': \(3, 2\)/);
  const back = decodeNpy(buf);
  assert.equal(back.rows, 3);
  assert.equal(back.cols, 2);
  assert.deepEqual(Array.from(back.data), Array.from(data));
});

test("npy: clear errors for bad input", () => {
  assert.throws(() => decodeNpy(Buffer.from("hello world"), "x.npy"), /x.npy: not a NumPy .npy file/);
  const buf = encodeNpy({ data: new Float32Array(4), rows: 2, cols: 2 });
  assert.throws(() => decodeNpy(buf.subarray(0, buf.length - 3), "t.npy"), /t.npy: truncated/);
});
