// The TensorFlow.js backend names, in a module with no imports: stage params (read on every cached
// run) use the list without loading tfjs, which backend.ts does.
export const BACKENDS = ["auto", "tensorflow-gpu", "tensorflow", "wasm", "cpu"] as const;
export type BackendRequest = (typeof BACKENDS)[number];
/** What actually runs: the name recorded in dfd.json / history.json. */
export type BackendName = Exclude<BackendRequest, "auto">;
