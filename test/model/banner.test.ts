// dfd picks and logs its backend itself; tfjs's cpu-backend "install tfjs-node" banner must not
// reach the user's terminal on top of that.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { useBackend } from "../../src/model/backend.js";

test("the cpu backend prints no tfjs-node banner", async () => {
  const warned: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void warned.push(args.join(" "));
  try {
    assert.equal((await useBackend("cpu")).backend, "cpu");
    tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync());
  } finally {
    console.warn = original;
  }
  assert.deepEqual(warned.filter((w) => /tfjs-node/.test(w)), []);
});
