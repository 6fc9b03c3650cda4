// approvalDecision(): the pure decision recorded for an approval outcome (and re-derived by replay). Every
// outcome, bad input of every shape (always BLOCK, never ALLOW), and no hidden inputs (same action, same bytes).
import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalize } from "../src/canonical/jcs.js";
import { outcomeOf } from "../src/approvals/outcome.js";
import type { ApprovalRecord } from "../src/approvals/store.js";
import { approvalAction, approvalDecision, type ApprovalActionV1 } from "../src/record/approval.js";

const POLICY = { id: "fs", version: "3", hash: "sha256:" + "ab".repeat(32) };
const REF = { record: "0123456789abcdef:7", inputHash: "sha256:" + "cd".repeat(32) };

function action(outcome: ApprovalActionV1["args"]["outcome"], by: string | null = "alice", note?: string): ApprovalActionV1 {
  return approvalAction({ tool: "write_file", by, at: "2026-11-22T07:00:00.000Z", approval: "apr_abc", outcome, decision: REF, note });
}

test("approved is ALLOW with APPROVAL_GRANTED, naming the approval, the tool, the decision and the approver", () => {
  const d = approvalDecision(POLICY, action("approved", "alice", "looks fine"));
  assert.equal(d.verdict, "ALLOW");
  assert.equal(d.enforced, true);
  assert.equal(d.reasons.length, 1);
  const r = d.reasons[0]!;
  assert.deepEqual({ rule: r.rule, code: r.code, verdict: r.verdict, shadow: r.shadow }, { rule: "approval", code: "APPROVAL_GRANTED", verdict: "ALLOW", shadow: false });
  assert.equal(r.message, "approval `apr_abc` for `write_file` (decision `0123456789abcdef:7`) was approved by `alice`");
  assert.deepEqual(d.shadow, []);
  assert.deepEqual(d.obligations, { retryAfterMs: 0, sandbox: null, modify: null, approval: null });
  assert.deepEqual(d.state, { throttle: {} });
  assert.deepEqual(d.policy, POLICY);
});

test("denied, timeout and cancelled are BLOCKs with their own codes", () => {
  const cases = [
    ["denied", "APPROVAL_DENIED", /was denied by `bob`/],
    ["timeout", "APPROVAL_TIMEOUT", /not approved before its deadline \(resolved by `bob`; timeouts deny\)/],
    ["cancelled", "APPROVAL_CANCELLED", /cancelled before anyone decided/],
  ] as const;
  for (const [outcome, code, message] of cases) {
    const d = approvalDecision(POLICY, action(outcome, "bob"));
    assert.equal(d.verdict, "BLOCK", outcome);
    assert.equal(d.reasons[0]?.code, code);
    assert.equal(d.reasons[0]?.verdict, "BLOCK");
    assert.match(d.reasons[0]?.message ?? "", message);
    assert.match(d.reasons[0]?.message ?? "", /`apr_abc`/);
  }
});

test("the action: approver or `warden`, the note only when given, an unbound decision is null/null", () => {
  assert.deepEqual(action("timeout", null).agent, { id: "warden" });
  assert.deepEqual(action("timeout", "").agent, { id: "warden" });
  assert.equal("note" in action("approved").args, false);
  assert.equal(action("approved", "a", "ok").args.note, "ok");
  const unbound = approvalAction({ tool: "sampling/createMessage", by: "x", at: "2026-11-22T07:00:00Z", approval: "apr_1", outcome: "approved", decision: { record: null, inputHash: null } });
  const d = approvalDecision(POLICY, unbound);
  assert.equal(d.verdict, "ALLOW");
  assert.doesNotMatch(d.reasons[0]?.message ?? "", /decision/);
});

test("pure: the same action gives the same canonical decision, and the action is not touched", () => {
  const a = action("approved", "alice", "n");
  const before = canonicalize(a);
  const one = canonicalize(approvalDecision(POLICY, a));
  const two = canonicalize(approvalDecision(POLICY, JSON.parse(before)));
  assert.equal(one, two);
  assert.equal(canonicalize(a), before);
  // the policy info is copied, not shared or extended
  const d = approvalDecision({ ...POLICY, extra: "x" } as typeof POLICY, a);
  assert.deepEqual(Object.keys(d.policy).sort(), ["hash", "id", "version"]);
});

test("malformed approval actions are BLOCK APPROVAL_INVALID naming the field, never ALLOW", () => {
  const good = action("approved") as unknown as Record<string, unknown>;
  const edit = (f: (a: Record<string, any>) => void): unknown => {
    const a = JSON.parse(JSON.stringify(good)) as Record<string, any>;
    f(a);
    return a;
  };
  const cases: Array<[string, unknown, string | undefined]> = [
    ["null", null, undefined],
    ["a string", "approved", undefined],
    ["an array", [good], undefined],
    ["wrong kind", edit((a) => (a.kind = "tool_call")), "kind"],
    ["extra top-level field", edit((a) => (a.context = {})), "context"],
    ["no tool", edit((a) => delete a.tool), "tool"],
    ["empty tool", edit((a) => (a.tool = "")), "tool"],
    ["no agent", edit((a) => delete a.agent), "agent"],
    ["agent with a role", edit((a) => (a.agent.role = "admin")), "agent"],
    ["empty agent id", edit((a) => (a.agent.id = "")), "agent"],
    ["bad time", edit((a) => (a.at = "yesterday")), "at"],
    ["impossible time", edit((a) => (a.at = "2026-13-40T99:00:00Z")), "at"],
    ["no args", edit((a) => delete a.args), "args"],
    ["args an array", edit((a) => (a.args = [])), "args"],
    ["no approval id", edit((a) => delete a.args.approval), "args.approval"],
    ["unknown outcome", edit((a) => (a.args.outcome = "maybe")), "args.outcome"],
    ["outcome not a string", edit((a) => (a.args.outcome = true)), "args.outcome"],
    ["note not a string", edit((a) => (a.args.note = 1)), "args.note"],
    ["extra arg", edit((a) => (a.args.override = true)), "args.override"],
    ["no decision ref", edit((a) => delete a.args.decision), "args.decision"],
    ["decision ref missing inputHash", edit((a) => delete a.args.decision.inputHash), "args.decision"],
    ["decision ref with extra", edit((a) => (a.args.decision.verdict = "ALLOW")), "args.decision"],
    ["record id without seq", edit((a) => (a.args.decision.record = "abc")), "args.decision.record"],
    ["record id with bad seq", edit((a) => (a.args.decision.record = "abc:01")), "args.decision.record"],
    ["record id unsafe seq", edit((a) => (a.args.decision.record = "abc:99999999999999999999")), "args.decision.record"],
    ["input hash not sha256", edit((a) => (a.args.decision.inputHash = "md5:00")), "args.decision.inputHash"],
    ["keyed input hash cut short", edit((a) => (a.args.decision.inputHash = "hmac-sha256:hmac-k1:abc")), "args.decision.inputHash"],
  ];
  for (const [name, a, field] of cases) {
    const d = approvalDecision(POLICY, a);
    assert.equal(d.verdict, "BLOCK", name);
    assert.equal(d.enforced, true, name);
    assert.equal(d.reasons[0]?.code, "APPROVAL_INVALID", name);
    assert.equal(d.reasons[0]?.rule, "approval", name);
    assert.equal(d.reasons[0]?.field, field, name);
    assert.match(d.reasons[0]?.message ?? "", /^malformed approval record: /, name);
  }
});

test("hostile names are quoted and cut in the message (the action keeps them whole)", () => {
  const long = "x".repeat(500) + "`\n";
  const a = action("denied", long);
  const m = approvalDecision(POLICY, a).reasons[0]?.message ?? "";
  assert.ok(m.length < 400, m);
  assert.doesNotMatch(m, /\n/);
  assert.equal(a.agent.id, long);
});

test("the store's status maps to an outcome; a cancelled wait is not a timeout", () => {
  const rec = (status: ApprovalRecord["status"], by: string | null): ApprovalRecord =>
    ({ request: { id: "apr_1" }, status, resolution: by === null ? null : { type: "resolution", id: "apr_1", status, by, at: "2026-11-22T07:00:00Z" } }) as unknown as ApprovalRecord;
  assert.equal(outcomeOf(rec("approved", "a")), "approved");
  assert.equal(outcomeOf(rec("denied", "a")), "denied");
  assert.equal(outcomeOf(rec("expired", "warden:timeout")), "timeout");
  assert.equal(outcomeOf(rec("expired", "warden:cancelled")), "cancelled");
  assert.equal(outcomeOf(rec("expired", null)), "timeout");
});
