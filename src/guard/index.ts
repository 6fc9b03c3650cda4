// Public surface of the framework-neutral tool wrapper.
export { guard, type GuardOptions } from "./guard.js";
export { WardenBlockedError, WardenThrottledError } from "./errors.js";
export { guardAiSdkTools, guardLangChainTool, guardAgentsExecute } from "./adapters.js";
