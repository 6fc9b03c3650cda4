// Records how a held call ended (approved, denied, timed out, cancelled) as a signed decision record in the same
// audit log as its ESCALATE decision, bound to that record; an approval that cannot be recorded does not count.
import { NO_POLICY_INFO } from "../engine/decide.js";
import type { Governor } from "../gateway/governor.js";
import { errorText } from "../gateway/governor.js";
import { approvalAction, approvalDecision, type ApprovalActionV1, type ApprovalOutcome, type DecisionRef } from "../record/approval.js";
import type { Decision } from "../types.js";
import type { ApprovalRecord } from "./store.js";


/** The store's status as an outcome: `expired` by a cancelled wait is `cancelled`, otherwise a timeout. */
export function outcomeOf(rec: ApprovalRecord): ApprovalOutcome {
  if (rec.status === "approved") return "approved";
  if (rec.status === "denied") return "denied";
  return rec.resolution?.by === "warden:cancelled" ? "cancelled" : "timeout";
}

export interface RecordedOutcome {
  action: ApprovalActionV1;
  /** The approval record's decision: ALLOW only for a well-formed approval. */
  decision: Decision;
  /** Why it could not be recorded (the sink refused); null when recorded, or when there is no sink. */
  error: string | null;
}

/** The approval action for a resolved hold: who resolved it, when, how, and the ESCALATE record it belongs to. */
export function approvalActionOf(rec: ApprovalRecord, tool: string, ref: DecisionRef | null, now: () => Date): ApprovalActionV1 {
  const r = rec.resolution;
  return approvalAction({
    tool,
    by: typeof r?.by === "string" ? r.by : null,
    at: typeof r?.at === "string" ? r.at : now().toISOString(),
    approval: rec.request.id,
    outcome: outcomeOf(rec),
    decision: ref ?? { record: null, inputHash: null },
    note: typeof r?.note === "string" ? r.note : undefined,
  });
}

/**
 * Builds the approval action from the store's resolution, decides it with approvalDecision() under the running
 * policy, and appends it through the governor's sink (where the ESCALATE decision went). Never throws.
 * The caller runs the held call only if `error` is null and `decision.verdict` is ALLOW.
 */
export async function recordApprovalOutcome(governor: Governor | null, rec: ApprovalRecord, tool: string, ref: DecisionRef | null, now: () => Date): Promise<RecordedOutcome> {
  const action = approvalActionOf(rec, tool, ref, now);
  const decision = approvalDecision(governor?.policy?.info ?? NO_POLICY_INFO, action);
  if (governor === null) return { action, decision, error: null };
  try {
    await governor.record(action, decision);
    return { action, decision, error: null };
  } catch (e) {
    return { action, decision, error: errorText(e) };
  }
}
