// Piscina worker: one frame's features. Stateless, so any worker gives the same bytes.
import { threadId } from "node:worker_threads";
import { extractorNamed } from "./features/registry.js";

export interface FrameTask {
  rgb: Uint8Array;
  prev: Uint8Array | undefined;
  size: number;
  features: string;
}

export default function computeFrame(task: FrameTask): { row: Float32Array; thread: number } {
  return { row: extractorNamed(task.features).frame(task.rgb, task.size, task.size, task.prev), thread: threadId };
}
