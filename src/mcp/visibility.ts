// Which tools a policy can never allow, so the proxy hides them from `tools/list`.
import type { CompiledPolicy } from "../compile/build.js";

/**
 * True when no decision for `tool` can ever be ALLOW/MODIFY/THROTTLE/SANDBOX/ESCALATE-then-run: the policy
 * enforces, its default is BLOCK, and either no enforcing ALLOW rule applies to the tool or an unconditional
 * enforcing BLOCK rule does. Conservative: anything that might be allowed stays visible (and is still decided).
 */
export function neverAllowed(policy: CompiledPolicy | null, tool: string): boolean {
  if (policy === null) return true;
  if (policy.mode === "shadow") return false;
  const rules = policy.applicable("tool_call", tool);
  if (rules.some((r) => !r.ir.shadow && r.ir.verdict === "BLOCK" && r.ir.when === null && r.throttle === null)) return true;
  if (policy.ir.default !== "BLOCK") return false;
  return !rules.some((r) => !r.ir.shadow && r.ir.verdict === "ALLOW");
}
