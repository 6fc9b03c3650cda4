// Errors a guarded tool throws instead of running: they carry the decision and a stable reason code.
import type { Decision, Verdict } from "../types.js";

export class WardenBlockedError extends Error {
  override name = "WardenBlockedError";
  constructor(
    readonly tool: string,
    /** The reason code (the deciding rule's, or a guard code such as SIDECAR_UNREACHABLE). */
    readonly code: string,
    message: string,
    /** The decision, when one was made (null when the sidecar could not be asked). */
    readonly decision: Decision | null,
    readonly verdict: Verdict = decision?.verdict ?? "BLOCK",
  ) {
    super(message);
  }
}

/** A THROTTLE: the call may be retried after `retryAfterMs`. */
export class WardenThrottledError extends WardenBlockedError {
  override name = "WardenThrottledError";
  constructor(tool: string, code: string, message: string, decision: Decision, readonly retryAfterMs: number) {
    super(tool, code, message, decision, "THROTTLE");
  }
}
