// The floor: the scenario as a hand-written JS function (what you would write without any policy engine).
import type { Engine } from "./engine.js";
import { AMOUNT_LIMIT, COUNTERPARTIES, RULE, type BenchAction, type Verdict3 } from "./scenario.js";

const ALLOWED = new Set(COUNTERPARTIES);
const WRITE = new Set(["payments.send", "ledger.update"]);
const DECLARED = new Set(["payments.send", "ledger.update", "ledger.read"]);

/** Returns the verdict only; the checks are ordered so the most restrictive verdict is found first. */
export function decideByHand(a: BenchAction): Verdict3 {
  const tool = a.tool;
  if (!DECLARED.has(tool)) return "BLOCK";
  if (a.agent.role === "viewer" && WRITE.has(tool)) return "BLOCK";
  if (tool === "payments.send") {
    const cp = a.args["counterparty"];
    if (typeof cp !== "string" || !ALLOWED.has(cp)) return "BLOCK";
    const amount = a.args["amount"];
    if (!(typeof amount === "number" && amount <= AMOUNT_LIMIT)) return "ESCALATE";
  }
  return "ALLOW";
}

export function handwrittenEngine(): Engine<Verdict3> {
  return { name: "hand-written JS", decide: decideByHand, read: (v) => ({ verdict: v, rulesKind: "none", rules: [] }) };
}

/** A hand-written function that returns what Warden returns: a Decision V1 with every rule that fired. */
interface HandDecision {
  verdict: Verdict3;
  enforced: boolean;
  reasons: Array<{ rule: string; code: string; verdict: Verdict3; shadow: boolean; field?: string; message: string }>;
  shadow: never[];
  obligations: { retryAfterMs: number; sandbox: null; modify: null; approval: { rule: string; group: string; timeoutMs: number; onTimeout: "deny" } | null };
  state: { throttle: Record<string, never> };
  policy: { id: string; version: string; hash: string };
}

const POLICY_INFO = Object.freeze({ id: "hand-written", version: "1", hash: "" });
const NO_STATE = Object.freeze({ throttle: Object.freeze({}) });

/** Same checks, no short-circuit: every rule is evaluated and reported with a rendered message. */
export function decideByHandFull(a: BenchAction): HandDecision {
  const tool = a.tool;
  const reasons: HandDecision["reasons"] = [];
  let approval: HandDecision["obligations"]["approval"] = null;
  if (!DECLARED.has(tool)) {
    reasons.push({ rule: "default", code: "DEFAULT_BLOCK", verdict: "BLOCK", shadow: false, message: `no rule allows tool \`${tool}\`` });
  } else {
    if (a.agent.role === "viewer" && WRITE.has(tool)) {
      reasons.push({ rule: "viewer-no-write", code: "ROLE_CANNOT_WRITE", verdict: "BLOCK", shadow: false, field: "agent.role", message: `role \`${a.agent.role}\` may not call write tool \`${tool}\`` });
    }
    if (tool === "payments.send") {
      const cp = a.args["counterparty"];
      if (typeof cp !== "string" || !ALLOWED.has(cp)) {
        reasons.push({ rule: "payments-allowlist", code: "COUNTERPARTY_NOT_ALLOWLISTED", verdict: "BLOCK", shadow: false, field: "args.counterparty", message: `counterparty \`${String(cp)}\` is not in list \`counterparties\`` });
      }
      const amount = a.args["amount"];
      if (!(typeof amount === "number" && amount <= AMOUNT_LIMIT)) {
        reasons.push({ rule: "large-payment-approval", code: "AMOUNT_NEEDS_APPROVAL", verdict: "ESCALATE", shadow: false, field: "args.amount", message: `payment of ${String(amount)} ${String(a.args["currency"])} is above 10000 and needs approval` });
        approval = { rule: "large-payment-approval", group: "finance-approvers", timeoutMs: 900_000, onTimeout: "deny" };
      }
    }
  }
  let verdict: Verdict3 = "ALLOW";
  for (const r of reasons) if (r.verdict === "BLOCK" || (r.verdict === "ESCALATE" && verdict === "ALLOW")) verdict = r.verdict;
  return {
    verdict,
    enforced: true,
    reasons,
    shadow: [],
    obligations: { retryAfterMs: 0, sandbox: null, modify: null, approval },
    state: NO_STATE as HandDecision["state"],
    policy: POLICY_INFO,
  };
}

export function handwrittenFullEngine(): Engine<HandDecision> {
  const scenario = new Set<string>(Object.values(RULE));
  return {
    name: "hand-written JS, full Decision",
    decide: decideByHandFull,
    read: (d) => ({ verdict: d.verdict, rulesKind: "all", rules: d.reasons.map((r) => r.rule).filter((id) => scenario.has(id)) }),
  };
}
