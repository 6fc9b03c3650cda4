// Holds an ESCALATE'd request (a tools/call, or a sampling request) in the approval store until a human
// approves or denies it, or its timeout denies it. The outcome is recorded, bound to the ESCALATE record, in the
// same audit log; an approval that cannot be recorded is refused.
import { heldRequest } from "../approvals/held-view.js";
import { recordApprovalOutcome } from "../approvals/outcome.js";
import type { ApprovalStore } from "../approvals/store.js";
import { errorText, type Governor } from "../gateway/governor.js";
import type { DecisionRef } from "../record/approval.js";
import type { Action, Decision } from "../types.js";

export interface HoldContext {
  approvals: ApprovalStore | null;
  approvalPollMs: number;
  defaultApprovalTimeoutMs: number;
  agent: Action["agent"] | undefined;
  /** Where the outcome is recorded (its sink) and the running policy it is recorded under. */
  governor: Governor | null;
  clock: () => Date;
  log: (event: Record<string, unknown>) => void;
  /** Called once the request is stored and waiting. */
  onHeld: () => void;
}

/** What is held: the name shown (`write_file`, `sampling/createMessage`), what the approver sees, and the closing sentence of a refusal. */
export interface HoldSubject {
  label: string;
  args: Record<string, unknown>;
  notRun: string;
  /** The ESCALATE decision's record (from the sink's receipt), to bind the outcome to; null when not recorded. */
  recorded: DecisionRef | null;
}

export interface HoldRefusal {
  text: string;
  extra: Record<string, unknown>;
}

/** null: approved, go ahead. Otherwise the refusal to give. */
export async function holdForApproval(
  ctx: HoldContext,
  subject: HoldSubject,
  d: Decision,
  reason: { rule: string; code: string; message: string },
  signal: AbortSignal,
  keepAlive: ((message: string, n: number) => Promise<void>) | null,
): Promise<HoldRefusal | null> {
  const { label, args, notRun } = subject;
  const store = ctx.approvals;
  if (store === null) {
    return { text: `Warden holds \`${label}\` for approval (${reason.code}: ${reason.message}), but no approval store is configured for this proxy (start it with --approvals-dir), so the call is refused. ${notRun}`, extra: { refusal: "APPROVALS_UNAVAILABLE" } };
  }
  const approval = d.obligations.approval;
  const timeoutMs = approval?.timeoutMs ?? ctx.defaultApprovalTimeoutMs;
  // The store keeps what the approver sees, with the running policy's sensitive fields masked; the call itself
  // goes ahead (if approved) with the arguments held here in memory.
  let id: string;
  try {
    id = store.request(heldRequest(d, reason, { tool: label, args, agent: ctx.agent }, ctx.governor?.policy?.ir.sensitive ?? []), timeoutMs).id;
  } catch (e) {
    return { text: `Warden could not store the approval request for \`${label}\` (${errorText(e)}), so the call is refused. ${notRun}`, extra: { refusal: "APPROVALS_UNAVAILABLE" } };
  }
  ctx.onHeld();
  ctx.log({ msg: "held for approval", tool: label, approval: id, group: approval?.group, timeoutMs });
  const waiting = `Waiting for approval ${id} (${reason.code}); approve with: warden approvals approve ${id}`;
  // Agents that asked for progress get a heartbeat, so their request timeout can be reset while a human decides.
  let beats = 0;
  const timer = keepAlive ? setInterval(() => void keepAlive(waiting, ++beats).catch(() => {}), 5000) : null;
  if (keepAlive) void keepAlive(waiting, 0).catch(() => {});
  let rec;
  try {
    rec = await store.waitFor(id, { pollMs: ctx.approvalPollMs, signal });
  } catch (e) {
    return { text: `Warden could not read approval ${id} for \`${label}\` (${errorText(e)}), so the call is refused. ${notRun}`, extra: { approval: id, refusal: "APPROVALS_UNAVAILABLE" } };
  } finally {
    if (timer) clearInterval(timer);
  }
  const outcome = await recordApprovalOutcome(ctx.governor, rec, label, subject.recorded, ctx.clock);
  if (outcome.error !== null) ctx.log({ msg: "approval outcome not recorded", tool: label, approval: id, status: rec.status, error: outcome.error });
  if (rec.status === "approved") {
    // Fail closed: an approval that is not in the audit log (or not a well-formed one) does not let the call run.
    if (outcome.error !== null) {
      return { text: `Warden held \`${label}\` for approval ${id} and it was approved by ${rec.resolution?.by ?? "an approver"}, but the approval could not be recorded in the audit log (${outcome.error}), so the call is refused. ${notRun}`, extra: { approval: id, approvalStatus: rec.status, approvalError: "AUDIT_UNAVAILABLE" } };
    }
    if (outcome.decision.verdict !== "ALLOW") {
      const r = outcome.decision.reasons[0];
      return { text: `Warden held \`${label}\` for approval ${id}; the approval is not valid (${r?.code ?? "BLOCK"}: ${r?.message ?? "no reason"}), so the call is refused. ${notRun}`, extra: { approval: id, approvalStatus: rec.status, approvalError: r?.code ?? "BLOCK" } };
    }
    ctx.log({ msg: "approved", tool: label, approval: id, by: rec.resolution?.by });
    return null;
  }
  const how = rec.status === "denied" ? `was denied by ${rec.resolution?.by ?? "an approver"}${rec.resolution?.note ? ` (${rec.resolution.note})` : ""}` : `was not approved within ${timeoutMs} ms (timeouts deny)`;
  ctx.log({ msg: "not approved", tool: label, approval: id, status: rec.status });
  return { text: `Warden held \`${label}\` for approval ${id} (${reason.code}: ${reason.message}); the request ${how}. ${notRun}`, extra: { approval: id, approvalStatus: rec.status } };
}
