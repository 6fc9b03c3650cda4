// Turns a Decision on one MCP tools/call into what the proxy does: forward (maybe modified), run sandboxed, hold, or refuse.
import type { Decision, Reason, SandboxProfile } from "../types.js";

export type CallPlan =
  | { kind: "forward"; args: Record<string, unknown> }
  | { kind: "sandbox"; args: Record<string, unknown>; profile: SandboxProfile }
  | { kind: "hold"; reason: Reason }
  | { kind: "refuse"; text: string; refusal?: ProxyRefusal };

/**
 * Why the proxy itself could not carry out a decision as written (sent as `refusal` beside the decision's own
 * code, so a program can tell "the policy blocked it" from "this proxy could not enforce what the policy asked").
 */
export type ProxyRefusal = "MODIFY_UNAVAILABLE" | "SANDBOX_UNAVAILABLE" | "ESCALATE_WITHOUT_REASON" | "APPROVALS_UNAVAILABLE";

/** The reason that decided the verdict (the first one at that verdict; reasons are sorted). */
export function decidingReason(d: Decision): Reason | undefined {
  return d.reasons.find((r) => r.verdict === d.verdict) ?? d.reasons[0];
}

export function describeStop(tool: string, d: Decision, lead: string): string {
  const r = decidingReason(d);
  const why = r ? `${r.code}: ${r.message} (rule \`${r.rule}\`)` : "no reason given";
  return `${lead} \`${tool}\` under policy \`${d.policy.id}\` v${d.policy.version}: ${why}. The tool was not called.`;
}

export function planCall(tool: string, args: Record<string, unknown>, d: Decision, sandboxExecutor: boolean): CallPlan {
  switch (d.verdict) {
    case "ALLOW":
      return { kind: "forward", args };
    case "MODIFY": {
      const modified = d.obligations.modify?.action.args;
      // A MODIFY without a modified copy cannot be enforced as written: refuse rather than pass the original.
      if (modified === undefined) return { kind: "refuse", refusal: "MODIFY_UNAVAILABLE", text: describeStop(tool, d, "Warden could not apply the required changes to") };
      return { kind: "forward", args: modified };
    }
    case "THROTTLE": {
      const s = Math.ceil(d.obligations.retryAfterMs / 1000);
      return { kind: "refuse", text: `${describeStop(tool, d, "Warden throttled")} Retry after ${d.obligations.retryAfterMs} ms (~${s} s).` };
    }
    case "SANDBOX":
      if (!sandboxExecutor) {
        return { kind: "refuse", refusal: "SANDBOX_UNAVAILABLE", text: `${describeStop(tool, d, "Warden requires a sandbox for")} No sandbox executor is configured for this proxy (start it with --sandbox bwrap), so the call is refused.` };
      }
      // A SANDBOX without its profile cannot be enforced as written: refuse rather than guess a sandbox.
      if (d.obligations.sandbox === null) return { kind: "refuse", refusal: "SANDBOX_UNAVAILABLE", text: `${describeStop(tool, d, "Warden requires a sandbox for")} The decision names no sandbox profile, so the call is refused.` };
      // MODIFY changes that fired alongside still apply inside the sandbox.
      return { kind: "sandbox", args: d.obligations.modify?.action.args ?? args, profile: d.obligations.sandbox };
    case "ESCALATE": {
      const r = decidingReason(d);
      if (!r) return { kind: "refuse", refusal: "ESCALATE_WITHOUT_REASON", text: describeStop(tool, d, "Warden held") };
      return { kind: "hold", reason: r };
    }
    default:
      return { kind: "refuse", text: describeStop(tool, d, "Warden blocked") };
  }
}
