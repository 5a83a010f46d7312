// Picks and initialises the TensorFlow.js backend. `auto` prefers native TensorFlow (CUDA, then
// CPU) when those optional packages are installed, then WebAssembly, then pure JS. The native
// packages download libtensorflow at install time, so on offline machines they are simply absent:
// that is a normal fallback, not an error, and the chosen backend is recorded with the model.
import * as tf from "@tensorflow/tfjs-core";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

import { BACKENDS, type BackendName, type BackendRequest } from "./backends.js";

export { BACKENDS, type BackendName, type BackendRequest };

export interface BackendChoice {
  /** The backend that runs the model. */
  backend: BackendName;
  /** The tfjs backend name it registered ("tensorflow", "wasm", "cpu"). */
  tfBackend: string;
  /** Candidates tried before it, with why each failed (for the log). */
  skipped: { backend: BackendName; reason: string }[];
}

const AUTO_ORDER: BackendName[] = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"];
const PACKAGE: Record<BackendName, string> = {
  "tensorflow-gpu": "@tensorflow/tfjs-node-gpu",
  tensorflow: "@tensorflow/tfjs-node",
  wasm: "@tensorflow/tfjs-backend-wasm",
  cpu: "@tensorflow/tfjs-backend-cpu",
};

let wasmPathsSet = false;
/** Backends already initialised in this process (tfjs registers each once per process). */
const ready = new Map<BackendName, string>();

/** Makes `requested` the active tfjs backend. `auto` walks the fallback order; an explicit name
 * that cannot load is an error naming the package to install. */
export async function useBackend(requested: BackendRequest = "auto"): Promise<BackendChoice> {
  if (!BACKENDS.includes(requested))
    throw new Error(`unknown backend "${requested}" (expected one of: ${BACKENDS.join(", ")})`);
  const order = requested === "auto" ? AUTO_ORDER : [requested];
  const skipped: BackendChoice["skipped"] = [];
  for (const backend of order) {
    try {
      const tfBackend = await activate(backend);
      return { backend, tfBackend, skipped };
    } catch (err) {
      const reason = err instanceof Error ? err.message.split("\n")[0]! : String(err);
      if (requested !== "auto")
        throw new Error(`backend "${backend}" is not available: ${reason}. ` +
          `Install ${PACKAGE[backend]} or use backend: auto`);
      skipped.push({ backend, reason });
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join("; ")}`);
}

async function activate(backend: BackendName): Promise<string> {
  const known = ready.get(backend);
  if (known !== undefined) {
    await setOrThrow(known);
    return known;
  }
  let name: string;
  switch (backend) {
    case "tensorflow-gpu":
    case "tensorflow":
      // Importing the package registers the "tensorflow" backend on the shared tfjs-core engine.
      await import(PACKAGE[backend]);
      name = "tensorflow";
      break;
    case "wasm": {
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      if (!wasmPathsSet) {
        // In Node the .wasm binaries are read from the package's dist/ folder.
        const require = createRequire(import.meta.url);
        wasm.setWasmPaths(join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/");
        wasmPathsSet = true;
      }
      name = "wasm";
      break;
    }
    case "cpu":
      await import("@tensorflow/tfjs-backend-cpu");
      name = "cpu";
      break;
  }
  await setOrThrow(name);
  ready.set(backend, name);
  return name;
}

async function setOrThrow(name: string): Promise<void> {
  if (tf.getBackend() === name && tf.engine().backendNames().includes(name)) return;
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend("${name}") failed`);
  await tf.ready();
  // The cpu backend prints a "install tfjs-node" banner on its first tensor under Node. dfd has
  // already chosen and logged its backend (and tried tfjs-node first), so the banner would only
  // confuse: mark the backend as used.
  if (name === "cpu") (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
}

/** One line saying which backend runs and why (issue 12): printed once by the stage that trains.
 * e.g. "backend wasm: @tensorflow/tfjs-node is not installed (its installer downloads
 * libtensorflow, reported broken upstream: tensorflow/tfjs#8742)". */
export function backendReason(choice: BackendChoice, requested: BackendRequest): string {
  if (requested !== "auto") return `backend ${choice.backend}: asked for in params (backend: ${requested})`;
  const native = choice.skipped.find((s) => s.backend === "tensorflow");
  const why = (s: { backend: BackendName; reason: string }) =>
    /Cannot find (package|module)|ERR_MODULE_NOT_FOUND/.test(s.reason)
      ? `${PACKAGE[s.backend]} is not installed`
      : `${PACKAGE[s.backend]} did not load (${s.reason})`;
  switch (choice.backend) {
    case "tensorflow-gpu": return `backend tensorflow-gpu: ${PACKAGE["tensorflow-gpu"]} (CUDA) loaded`;
    case "tensorflow": return `backend tensorflow: ${PACKAGE.tensorflow} (native TensorFlow) loaded`;
    default: {
      const note = native ? why(native) : "native TensorFlow was not tried";
      const upstream = native && /not installed/.test(note)
        ? " (its installer downloads libtensorflow, reported broken upstream: tensorflow/tfjs#8742)"
        : "";
      const wasm = choice.skipped.find((s) => s.backend === "wasm");
      return `backend ${choice.backend}: ${note}${upstream}${wasm ? `; ${why(wasm)}` : ""}`;
    }
  }
}
