// The runner's public API (for the CLI, for `dfd runs/compare/gc`, and for library users).
export { ConfigError, renderDiagnostic, type Diagnostic } from "./diagnostic.js";
export { loadConfig, parseConfig, type PipelineConfig, type StageDecl } from "./config.js";
export { loadPipeline, resolvePipeline, type Pipeline, type ResolvedStage } from "./resolve.js";
export { execute, type ExecuteOptions, type RunResult, type StageOutcome } from "./executor.js";
export { Store, type CacheEntry } from "./store.js";
export { Records, newRunId, type RunRecord, type StageRecord } from "./records.js";
export { explain, keyOf, type KeyComponents } from "./fingerprint.js";
export { acquireLock, type LockInfo } from "./lock.js";
export { artifactsDirFor, openProject, type Project } from "./project.js";
export { FileHasher } from "./filehash.js";
export { canonicalJson, sha256 } from "./canonical.js";
