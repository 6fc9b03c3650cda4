// The decide benchmark's scenario (3 rules) and its ORACLE: a plain reference every engine is checked against.
import { readFileSync } from "node:fs";

/** The 50 allowlisted counterparties (the same file feeds every engine's policy and the generator). */
export const COUNTERPARTIES: readonly string[] = JSON.parse(
  readFileSync(new URL("./counterparties.json", import.meta.url), "utf8"),
) as string[];

/** Declared tools and their class; anything else is undeclared (default BLOCK). */
export const TOOL_CLASS: Readonly<Record<string, "read" | "write">> = {
  "payments.send": "write",
  "ledger.update": "write",
  "ledger.read": "read",
};

export const AMOUNT_LIMIT = 10000;

/** Rule ids, shared by every engine's policy text so answers can be compared reason by reason. */
export const RULE = {
  viewerNoWrite: "viewer-no-write",
  allowlist: "payments-allowlist",
  largeAmount: "large-payment-approval",
} as const;

export type Verdict3 = "ALLOW" | "BLOCK" | "ESCALATE";

/** What the oracle expects: the verdict and every scenario rule that fires (sorted). */
export interface Expected {
  verdict: Verdict3;
  rules: string[];
}

/** The benchmark's requests are Action V1 objects (see src/types.ts). */
export interface BenchAction {
  kind: "tool_call";
  at: string;
  agent: { id: string; role: string };
  tool: string;
  args: Record<string, unknown>;
}

const ALLOWED = new Set(COUNTERPARTIES);

/**
 * The reference semantics, written for clarity, not speed:
 * undeclared tool -> BLOCK (default); viewer on a write-class tool -> BLOCK; payments.send to a counterparty
 * outside the allowlist (or with none) -> BLOCK; payments.send with amount > 10000 (or no numeric amount)
 * -> ESCALATE; otherwise ALLOW. The most restrictive verdict wins.
 */
export function oracle(action: BenchAction): Expected {
  const cls = Object.hasOwn(TOOL_CLASS, action.tool) ? TOOL_CLASS[action.tool] : undefined;
  if (cls === undefined) return { verdict: "BLOCK", rules: [] };
  const rules: string[] = [];
  let verdict: Verdict3 = "ALLOW";
  if (action.agent.role === "viewer" && cls === "write") {
    rules.push(RULE.viewerNoWrite);
    verdict = "BLOCK";
  }
  if (action.tool === "payments.send") {
    const cp = action.args["counterparty"];
    if (typeof cp !== "string" || !ALLOWED.has(cp)) {
      rules.push(RULE.allowlist);
      verdict = "BLOCK";
    }
    const amount = action.args["amount"];
    if (!(typeof amount === "number" && amount <= AMOUNT_LIMIT)) {
      rules.push(RULE.largeAmount);
      if (verdict !== "BLOCK") verdict = "ESCALATE";
    }
  }
  return { verdict, rules: rules.sort() };
}
