// Seeded request generator for the decide benchmark: a realistic mix of roles, tools, counterparties, amounts.
import { mulberry32, pick, pickWeighted } from "./prng.js";
import { COUNTERPARTIES, type BenchAction } from "./scenario.js";

const ROLES = ["operator", "admin", "viewer", "auditor"] as const;
const ROLE_W = [50, 20, 25, 5];
// payments.send dominates; ~10% of calls go to tools the policy never declared.
const TOOLS = ["payments.send", "ledger.read", "ledger.update", "payments.refund", "shell.exec", "ledger.delete"] as const;
const TOOL_W = [45, 25, 20, 4, 3, 3];
// Names that look like allowlisted ones but are not (near misses, case variants, suffixes).
const OUTSIDERS = ["acme-corp-2", "Acme-Corp", "globex-inc", "initech-llc", "evil-corp", "acme", "globe", "shell-co-7", "", "unknown-vendor"];
// Amounts right at the threshold matter most: exactly 10000 must ALLOW, 10000.01 must ESCALATE.
const EDGE_AMOUNTS = [9999, 9999.99, 10000, 10000, 10000.01, 10001, 0, 0.01];

/** The i-th request stream for `seed`: `n` Action V1 objects, identical on every run. */
export function generateRequests(seed: number, n: number): BenchAction[] {
  const rand = mulberry32(seed);
  const out: BenchAction[] = [];
  const baseMs = Date.UTC(2026, 2, 2, 10, 0, 0);
  for (let i = 0; i < n; i++) {
    const tool = pickWeighted(rand, TOOLS, TOOL_W);
    const args: Record<string, unknown> = {};
    if (tool === "payments.send" || tool === "payments.refund") {
      const r = rand();
      if (r < 0.78) args["counterparty"] = pick(rand, COUNTERPARTIES);
      else if (r < 0.98) args["counterparty"] = pick(rand, OUTSIDERS);
      // else: no counterparty at all (must BLOCK: missing is not permission)
      const a = rand();
      args["amount"] =
        a < 0.3 ? pick(rand, EDGE_AMOUNTS) : a < 0.85 ? Math.round(rand() * 1_000_000) / 100 : Math.round(rand() * 5_000_000) / 100;
      args["currency"] = "USD";
    } else if (tool === "ledger.update") {
      args["entry"] = `e-${Math.floor(rand() * 100000)}`;
      args["amount"] = Math.round(rand() * 2_000_000) / 100;
    } else if (tool === "ledger.read") {
      args["account"] = `acct-${Math.floor(rand() * 1000)}`;
    } else {
      args["cmd"] = "x";
    }
    out.push({
      kind: "tool_call",
      at: new Date(baseMs + i * 250).toISOString(),
      agent: { id: `agent-${Math.floor(rand() * 40)}`, role: pickWeighted(rand, ROLES, ROLE_W) },
      tool,
      args,
    });
  }
  return out;
}
