// Approval outcomes as decision records: the synthetic `approval` Action an ESCALATE'd call's outcome becomes,
// and approvalDecision(), the pure function that decides it (for the recorder and, identically, for replay).
import type { Decision, Reason, Verdict } from "../types.js";

export const APPROVAL_KIND = "approval";
export const APPROVAL_RULE = "approval";

/** How a held call ended. `cancelled`: the agent gave up (or disconnected) before anyone decided. */
export const APPROVAL_OUTCOMES = ["approved", "denied", "timeout", "cancelled"] as const;
export type ApprovalOutcome = (typeof APPROVAL_OUTCOMES)[number];

const CODES: Readonly<Record<ApprovalOutcome, string>> = {
  approved: "APPROVAL_GRANTED",
  denied: "APPROVAL_DENIED",
  timeout: "APPROVAL_TIMEOUT",
  cancelled: "APPROVAL_CANCELLED",
};

/** The ESCALATE decision an outcome belongs to: its record id (`<log>:<seq>`) and inputHash, when it was recorded. */
export interface DecisionRef {
  record: string | null;
  inputHash: string | null;
}

/** The synthetic Action recorded for an approval outcome (kind `approval`). */
export interface ApprovalActionV1 {
  kind: "approval";
  /** The held tool, or `sampling/createMessage`. */
  tool: string;
  /** Who resolved it (the approver, `warden:timeout`, `warden:cancelled`), else `warden`. */
  agent: { id: string };
  /** When it was resolved (RFC 3339). */
  at: string;
  args: { approval: string; outcome: ApprovalOutcome; decision: DecisionRef; note?: string };
}

export interface ApprovalFacts {
  tool: string;
  by: string | null;
  at: string;
  approval: string;
  outcome: ApprovalOutcome;
  decision: DecisionRef;
  note?: string | undefined;
}

/** Builds the approval action from what the store knows. Pure. */
export function approvalAction(f: ApprovalFacts): ApprovalActionV1 {
  const args: ApprovalActionV1["args"] = { approval: f.approval, outcome: f.outcome, decision: { record: f.decision.record, inputHash: f.decision.inputHash } };
  if (f.note !== undefined) args.note = f.note;
  return { kind: APPROVAL_KIND, tool: f.tool, agent: { id: f.by !== null && f.by !== "" ? f.by : "warden" }, at: f.at, args };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const RECORD_ID = /^.+:(0|[1-9]\d*)$/;
/** Either form of an input hash: plain, or keyed when the action's sensitive fields are stored protected. */
const INPUT_HASH = /^(sha256:[0-9a-f]{64}|hmac-sha256:[A-Za-z0-9_-]{1,128}:[A-Za-z0-9_-]{43})$/;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === "string" && v.length > 0;

function unknownKey(o: Record<string, unknown>, allowed: readonly string[]): string | undefined {
  return Object.keys(o).find((k) => !allowed.includes(k));
}

/** Why `action` is not a well-formed approval action, or null. The field named is a dotted path. */
export function approvalProblem(action: unknown): { field: string; message: string } | null {
  if (!isObject(action)) return { field: "", message: "an approval action must be an object" };
  const extra = unknownKey(action, ["kind", "tool", "agent", "at", "args"]);
  if (extra !== undefined) return { field: extra, message: `unexpected field \`${extra.slice(0, 60)}\`` };
  if (action["kind"] !== APPROVAL_KIND) return { field: "kind", message: "kind must be `approval`" };
  if (!nonEmpty(action["tool"])) return { field: "tool", message: "tool must be a non-empty string" };
  const agent = action["agent"];
  if (!isObject(agent) || !nonEmpty(agent["id"]) || unknownKey(agent, ["id"]) !== undefined) return { field: "agent", message: "agent must be exactly `{id}` with a non-empty id" };
  const at = action["at"];
  if (typeof at !== "string" || !RFC3339.test(at) || Number.isNaN(Date.parse(at))) return { field: "at", message: "at must be an RFC 3339 time" };
  const args = action["args"];
  if (!isObject(args)) return { field: "args", message: "args must be an object" };
  const extraArg = unknownKey(args, ["approval", "outcome", "decision", "note"]);
  if (extraArg !== undefined) return { field: `args.${extraArg.slice(0, 60)}`, message: `unexpected field \`args.${extraArg.slice(0, 60)}\`` };
  if (!nonEmpty(args["approval"])) return { field: "args.approval", message: "args.approval must be the approval id" };
  if (typeof args["outcome"] !== "string" || !(APPROVAL_OUTCOMES as readonly string[]).includes(args["outcome"])) {
    return { field: "args.outcome", message: `args.outcome must be one of ${APPROVAL_OUTCOMES.join(", ")}` };
  }
  if ("note" in args && typeof args["note"] !== "string") return { field: "args.note", message: "args.note must be a string" };
  const ref = args["decision"];
  if (!isObject(ref) || unknownKey(ref, ["record", "inputHash"]) !== undefined || !("record" in ref) || !("inputHash" in ref)) {
    return { field: "args.decision", message: "args.decision must be exactly `{record, inputHash}`" };
  }
  if (ref["record"] !== null && !(typeof ref["record"] === "string" && RECORD_ID.test(ref["record"]) && Number.isSafeInteger(Number(ref["record"].slice(ref["record"].lastIndexOf(":") + 1))))) {
    return { field: "args.decision.record", message: "args.decision.record must be `<log>:<seq>` or null" };
  }
  if (ref["inputHash"] !== null && !(typeof ref["inputHash"] === "string" && INPUT_HASH.test(ref["inputHash"]))) {
    return { field: "args.decision.inputHash", message: "args.decision.inputHash must be `sha256:<64 hex>`, `hmac-sha256:<kid>:<43 base64url>` or null" };
  }
  return null;
}

/** Names in messages are quoted and cut, so a hostile approver name cannot flood a log line. */
function quote(s: string): string {
  const cut = s.length > 120 ? `${s.slice(0, 120)}…` : s;
  return `\`${cut.replace(/[`\u0000-\u001f\u007f]/g, "?")}\``;
}

function message(a: ApprovalActionV1): string {
  const what = `approval ${quote(a.args.approval)} for ${quote(a.tool)}${a.args.decision.record !== null ? ` (decision ${quote(a.args.decision.record)})` : ""}`;
  switch (a.args.outcome) {
    case "approved":
      return `${what} was approved by ${quote(a.agent.id)}`;
    case "denied":
      return `${what} was denied by ${quote(a.agent.id)}`;
    case "timeout":
      return `${what} was not approved before its deadline (resolved by ${quote(a.agent.id)}; timeouts deny)`;
    case "cancelled":
      return `${what} was cancelled before anyone decided (resolved by ${quote(a.agent.id)}; not run)`;
  }
}

function decision(policy: { id: string; version: string; hash: string }, reason: Reason): Decision {
  return {
    verdict: reason.verdict,
    enforced: true,
    reasons: [reason],
    shadow: [],
    obligations: { retryAfterMs: 0, sandbox: null, modify: null, approval: null },
    state: { throttle: {} },
    policy: { id: policy.id, version: policy.version, hash: policy.hash },
  };
}

/**
 * The Decision recorded for an approval outcome. Pure (no clock, no I/O): replay calls it on the stored
 * action and must get the same record. ALLOW only for a well-formed `approved` outcome; everything else,
 * including any malformed action, is a BLOCK.
 */
export function approvalDecision(policy: { id: string; version: string; hash: string }, action: unknown): Decision {
  const problem = approvalProblem(action);
  if (problem !== null) {
    const reason: Reason = { rule: APPROVAL_RULE, code: "APPROVAL_INVALID", verdict: "BLOCK", shadow: false, message: `malformed approval record: ${problem.message}` };
    if (problem.field !== "") reason.field = problem.field;
    return decision(policy, reason);
  }
  const a = action as ApprovalActionV1;
  const verdict: Verdict = a.args.outcome === "approved" ? "ALLOW" : "BLOCK";
  return decision(policy, { rule: APPROVAL_RULE, code: CODES[a.args.outcome], verdict, shadow: false, message: message(a) });
}
