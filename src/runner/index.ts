// The runner's public API (for the CLI, for `dfd runs/compare/gc`, and for library users).
export { ConfigError, renderDiagnostic, type Diagnostic } from "./diagnostic.js";
export { loadConfig, parseConfig, type PipelineConfig, type StageDecl } from "./config.js";
export { loadPipeline, resolvePipeline, type Pipeline, type ResolvedStage } from "./resolve.js";
export { plan, Planner, stateOf, type StageOutcome } from "./plan.js";
export { execute, type ExecuteOptions, type RunResult } from "./execute.js";
export { runPipeline, type RunOptions, type PipelineRun } from "./run.js";
export { renderReason, renderReasons, type Reason } from "./reasons.js";
export { LocalStore } from "./local-store.js";
export type { CacheEntry, CacheIndex, ObjectStore, RunLog, StageStore, FileLists } from "./store-api.js";
export { Records, newRunId, type RunRecord, type StageRecord } from "./records.js";
export { diffComponents, keyOf, type KeyComponents } from "./fingerprint.js";
export { acquireLock, type LockInfo } from "./lock.js";
export { artifactsDirFor, openProject, openArtifacts, type Project } from "./project.js";
export { runKind } from "./in-process.js";
export { FileHasher } from "./filehash.js";
export { canonicalJson, sha256 } from "./canonical.js";
export type { Registry, LoadedKind, AnyKind } from "./kinds.js";
