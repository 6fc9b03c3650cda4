// Holds an ESCALATE'd request (a tools/call, or a sampling request) in the approval store until a human
// approves or denies it, or its timeout denies it.
import type { ApprovalStore } from "../approvals/store.js";
import { errorText } from "../gateway/governor.js";
import type { Action, Decision } from "../types.js";

export interface HoldContext {
  approvals: ApprovalStore | null;
  approvalPollMs: number;
  defaultApprovalTimeoutMs: number;
  agent: Action["agent"] | undefined;
  log: (event: Record<string, unknown>) => void;
  /** Called once the request is stored and waiting. */
  onHeld: () => void;
}

/** What is held: the name shown (`write_file`, `sampling/createMessage`), what the approver sees, and the closing sentence of a refusal. */
export interface HoldSubject {
  label: string;
  args: Record<string, unknown>;
  notRun: string;
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
    return { text: `Warden holds \`${label}\` for approval (${reason.code}: ${reason.message}), but no approval store is configured for this proxy (start it with --approvals-dir), so the call is refused. ${notRun}`, extra: {} };
  }
  const approval = d.obligations.approval;
  const timeoutMs = approval?.timeoutMs ?? ctx.defaultApprovalTimeoutMs;
  let id: string;
  try {
    id = store.request({ group: approval?.group ?? "default", rule: reason.rule, code: reason.code, message: reason.message, action: { tool: label, args, ...(ctx.agent ? { agent: ctx.agent } : {}) }, policy: d.policy.hash }, timeoutMs).id;
  } catch (e) {
    return { text: `Warden could not store the approval request for \`${label}\` (${errorText(e)}), so the call is refused. ${notRun}`, extra: {} };
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
    return { text: `Warden could not read approval ${id} for \`${label}\` (${errorText(e)}), so the call is refused. ${notRun}`, extra: { approval: id } };
  } finally {
    if (timer) clearInterval(timer);
  }
  if (rec.status === "approved") {
    ctx.log({ msg: "approved", tool: label, approval: id, by: rec.resolution?.by });
    return null;
  }
  const how = rec.status === "denied" ? `was denied by ${rec.resolution?.by ?? "an approver"}${rec.resolution?.note ? ` (${rec.resolution.note})` : ""}` : `was not approved within ${timeoutMs} ms (timeouts deny)`;
  ctx.log({ msg: "not approved", tool: label, approval: id, status: rec.status });
  return { text: `Warden held \`${label}\` for approval ${id} (${reason.code}: ${reason.message}); the request ${how}. ${notRun}`, extra: { approval: id, approvalStatus: rec.status } };
}
