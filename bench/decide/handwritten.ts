// The floor: the scenario as a hand-written JS function (what you would write without any policy engine).
import type { Engine } from "./engine.js";
import { AMOUNT_LIMIT, COUNTERPARTIES, type BenchAction, type Verdict3 } from "./scenario.js";

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
