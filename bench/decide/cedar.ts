// Cedar peer: scenario.cedar, pre-parsed once (preparsePolicySet) and asked with statefulIsAuthorized.
import { readFileSync } from "node:fs";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { AuthorizationAnswer, CedarValueJson } from "@cedar-policy/cedar-wasm/nodejs";
import type { Engine } from "./engine.js";
import type { BenchAction } from "./scenario.js";

export const CEDAR_POLICIES = readFileSync(new URL("./scenario.cedar", import.meta.url), "utf8");
const PSET_ID = "decide-bench";

/** Splits the policy text into `@id -> policy` and returns the ids' @verdict annotations. */
export function loadCedarPolicySet(text: string): { policies: Record<string, string>; verdicts: Map<string, string> } {
  const parts = cedar.policySetTextToParts(text);
  if (parts.type !== "success") throw new Error(`cedar: policy text does not parse: ${JSON.stringify(parts.errors)}`);
  const policies: Record<string, string> = {};
  const verdicts = new Map<string, string>();
  for (const p of parts.policies) {
    const id = /@id\("([^"]+)"\)/.exec(p)?.[1];
    const verdict = /@verdict\("([^"]+)"\)/.exec(p)?.[1];
    if (id === undefined || verdict === undefined) throw new Error(`cedar: policy without @id/@verdict: ${p}`);
    policies[id] = p;
    verdicts.set(id, verdict);
  }
  return { policies, verdicts };
}

/** The Cedar request for an Action: tool = action, role / counterparty / amount in integer cents = context. */
export function toCedarContext(a: BenchAction): Record<string, CedarValueJson> {
  const context: Record<string, CedarValueJson> = { role: a.agent.role };
  const cp = a.args["counterparty"];
  if (typeof cp === "string") context["counterparty"] = cp;
  const amount = a.args["amount"];
  if (typeof amount === "number" && Number.isFinite(amount)) context["amountCents"] = Math.round(amount * 100);
  return context;
}

export function cedarEngine(): Engine<AuthorizationAnswer> {
  const { policies, verdicts } = loadCedarPolicySet(CEDAR_POLICIES);
  const ok = cedar.preparsePolicySet(PSET_ID, { staticPolicies: policies });
  if (ok.type !== "success") throw new Error(`cedar: preparsePolicySet failed: ${JSON.stringify(ok.errors)}`);
  return {
    name: `Cedar-wasm ${cedar.getCedarVersion()} (pre-parsed)`,
    decide: (a: BenchAction) =>
      cedar.statefulIsAuthorized({
        principal: { type: "Agent", id: a.agent.id },
        action: { type: "Action", id: a.tool },
        resource: { type: "Tool", id: a.tool },
        context: toCedarContext(a),
        preparsedPolicySetId: PSET_ID,
        entities: [],
      }),
    read: (raw) => {
      if (raw.type !== "success") return { verdict: `ERROR ${JSON.stringify(raw.errors)}`, rulesKind: "all", rules: [] };
      const { decision, diagnostics } = raw.response;
      if (diagnostics.errors.length > 0) return { verdict: `ERROR ${JSON.stringify(diagnostics.errors)}`, rulesKind: "all", rules: [] };
      if (decision === "allow") return { verdict: "ALLOW", rulesKind: "all", rules: [] };
      // deny: BLOCK unless every determining forbid is an ESCALATE one (no permit at all = undeclared tool = BLOCK).
      const reasons = diagnostics.reason;
      const escalateOnly = reasons.length > 0 && reasons.every((id) => verdicts.get(id) === "ESCALATE");
      return { verdict: escalateOnly ? "ESCALATE" : "BLOCK", rulesKind: "all", rules: [...reasons] };
    },
  };
}
