// Warden's public API: compile policy, decide actions, keep throttle state, explain decisions.
export * from "./types.js";
export type { Diagnostic, SourceSpan } from "./diagnostics.js";
export { formatDiagnostic } from "./diagnostics.js";
export { compilePolicy, policyHash, type CompileOptions, type CompileResult } from "./compile/compile.js";
export { CompiledPolicy, type PolicyInfo } from "./compile/build.js";
export { serializeCompiled, loadCompiled, ArtifactError } from "./compile/artifact.js";
export { decide, decideLinear, type EngineState } from "./engine/decide.js";
export { MemoryThrottleStore, replayState } from "./engine/throttle-store.js";
export type { ThrottleReader } from "./engine/throttle.js";
export { explainDecision } from "./engine/explain.js";
export { loadPolicyFile, loadAnyPolicy } from "./node/load.js";
export { canonicalize, CanonicalizationError } from "./canonical/jcs.js";
export { WARDEN_VERSION } from "./version.js";
export { guard, WardenBlockedError, WardenThrottledError, type GuardOptions } from "./guard/index.js";
export { Governor, type GovernorOptions } from "./gateway/governor.js";
export { MemorySink, type DecisionSink, type SinkState } from "./gateway/sink.js";
