// Casbin peer: the scenario as a Casbin model + policy (casbin-model.conf, casbin-policy.csv), asked with enforceExSync.
import { readFileSync } from "node:fs";
import { newEnforcer, newModelFromString, StringAdapter, type Enforcer } from "casbin";
import type { Engine } from "./engine.js";
import { RULE, type BenchAction } from "./scenario.js";

export const CASBIN_MODEL = readFileSync(new URL("./casbin-model.conf", import.meta.url), "utf8");
export const CASBIN_POLICY = readFileSync(new URL("./casbin-policy.csv", import.meta.url), "utf8");

/** Row index in casbin-policy.csv -> scenario rule id (the allow row decides ALLOW and names no rule). */
const ROW_RULE: Record<string, string> = {
  "viewer|write|always": RULE.viewerNoWrite,
  "*|payments.send|counterparty_not_allowlisted": RULE.allowlist,
  "*|payments.send|amount_over_limit": RULE.largeAmount,
};

export async function createCasbinEnforcer(): Promise<Enforcer> {
  return newEnforcer(newModelFromString(CASBIN_MODEL), new StringAdapter(CASBIN_POLICY));
}

type CasbinRaw = [boolean, string[]];

/**
 * enforceExSync is Casbin's fastest synchronous API that also says which row decided; that row's last
 * column carries the 3-way verdict (Casbin itself only knows allow/deny; ESCALATE is a deny row with a
 * distinct verdict column). No row matching (undeclared tool) is Casbin's default deny -> BLOCK.
 */
export async function casbinEngine(): Promise<Engine<CasbinRaw>> {
  const e = await createCasbinEnforcer();
  return {
    name: "Casbin 5.51.1",
    decide: (a: BenchAction) => e.enforceExSync(a.agent.role, a.tool, a.args["counterparty"], a.args["amount"]) as CasbinRaw,
    read: ([allowed, row]) => {
      const verdict = allowed ? "ALLOW" : (row[4] ?? "BLOCK");
      const rule = row.length > 0 ? ROW_RULE[`${row[0]}|${row[1]}|${row[2]}`] : undefined;
      return { verdict, rulesKind: "first", rules: rule === undefined ? [] : [rule] };
    },
  };
}
