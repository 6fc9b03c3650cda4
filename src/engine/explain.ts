// Says in plain words why a decision came out the way it did.
import type { Decision, Reason } from "../types.js";

const VERB: Record<string, string> = {
  ALLOW: "allowed",
  MODIFY: "allowed with changes",
  THROTTLE: "throttled",
  SANDBOX: "allowed only inside a sandbox",
  ESCALATE: "held for human approval",
  BLOCK: "blocked",
};

function line(r: Reason): string {
  const field = r.field ? ` [field ${r.field}]` : "";
  return `  - ${r.verdict} by \`${r.rule}\` (${r.code})${field}: ${r.message}`;
}

export function explainDecision(d: Decision): string {
  const out: string[] = [];
  const policy = d.policy.id ? `policy \`${d.policy.id}\` v${d.policy.version}` : "no policy";
  if (!d.enforced && d.shadowVerdict) {
    out.push(`The action is allowed: ${policy} runs in shadow mode. If enforced, it would have been ${VERB[d.shadowVerdict]} (${d.shadowVerdict}).`);
  } else {
    out.push(`The action is ${VERB[d.verdict]} (${d.verdict}) under ${policy}.`);
  }
  const decisive = d.reasons.filter((r) => r.verdict === d.verdict);
  const others = d.reasons.filter((r) => r.verdict !== d.verdict);
  if (decisive.length > 0) out.push(`Because:`, ...decisive.map(line));
  if (others.length > 0) out.push(`Also fired (less restrictive, so not decisive):`, ...others.map(line));
  if (d.verdict !== "ALLOW" && d.verdict !== "BLOCK" && d.reasons.some((r) => r.verdict === "BLOCK")) out.push("A BLOCK always wins over other verdicts.");
  if (d.shadow.length > 0) out.push(`Shadow rules (reported, not enforced):`, ...d.shadow.map(line));
  const o = d.obligations;
  if (o.retryAfterMs > 0) out.push(`Retry after ${o.retryAfterMs} ms.`);
  if (o.approval) out.push(`Needs approval from group \`${o.approval.group}\` within ${o.approval.timeoutMs} ms; no answer means deny.`);
  if (o.sandbox) {
    const s = o.sandbox;
    out.push(`Sandbox: filesystem allow [${s.filesystem.allow.join(", ")}], read-only [${s.filesystem.readOnly.join(", ")}], deny [${s.filesystem.deny.join(", ")}]; network allow [${s.network.allow.join(", ")}], deny [${s.network.deny.join(", ")}].`);
  }
  if (o.modify) {
    for (const c of o.modify.changes) out.push(`Change by \`${c.rule}\`: ${c.op} \`${c.field}\`${c.applied ? "" : " (nothing to change)"}.`);
  }
  for (const [key, t] of Object.entries(d.state.throttle)) {
    out.push(`Budget \`${key}\`: ${t.count} of ${t.limit} per ${t.window}${t.allowed ? "" : ` (over; retry in ${t.retryAfterMs} ms)`}.`);
  }
  return out.join("\n") + "\n";
}
