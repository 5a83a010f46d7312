// Backend selection for real: the native packages (tfjs-node, tfjs-node-gpu) are not installed on
// this machine, so `auto` must fall back to wasm and say why; an explicit native request fails.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { useBackend } from "../../src/model/backend.js";

const require = createRequire(import.meta.url);
const installed = (pkg: string) => {
  try {
    return existsSync(require.resolve(`${pkg}/package.json`));
  } catch {
    return false;
  }
};
const nativeAbsent = !installed("@tensorflow/tfjs-node") && !installed("@tensorflow/tfjs-node-gpu");

describe("backend selection", () => {
  test("auto falls back past the absent native packages to wasm", { skip: nativeAbsent ? false : "a native tfjs package is installed here" }, async () => {
    const c = await useBackend("auto");
    assert.equal(c.backend, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.deepEqual(c.skipped.map((s) => s.backend), ["tensorflow-gpu", "tensorflow"]);
    assert.match(c.skipped[0]!.reason, /tfjs-node-gpu/);
  });

  test("explicit native backends fail naming the package; cpu and wasm switch", { skip: nativeAbsent ? false : "a native tfjs package is installed here" }, async () => {
    await assert.rejects(useBackend("tensorflow-gpu"), /backend "tensorflow-gpu" is not available: .*Install @tensorflow\/tfjs-node-gpu or use backend: auto/);
    assert.equal((await useBackend("cpu")).backend, "cpu");
    assert.equal(tf.getBackend(), "cpu");
    assert.equal((await useBackend("wasm")).tfBackend, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    await assert.rejects(useBackend("gpu" as never), /unknown backend "gpu"/);
  });
});
