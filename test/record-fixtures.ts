// Shared fixtures for the record/audit/replay tests: a real compiled policy with throttles, a keyring in
// a temp dir, and a deterministic stream of random actions.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compilePolicy } from "../src/compile/compile.js";
import type { CompiledPolicy } from "../src/compile/build.js";
import { generateKeyFiles, type KeyFiles } from "../src/keys/keyfile.js";
import { mulberry32 } from "../bench/decide/prng.js";

export const POLICY_YAML = `
id: payments-audit
version: "7"
default: BLOCK
mode: enforce
sensitive: [args.ssn]
lists:
  counterparties: [acme-corp, globex, initech]
tools:
  payments.send: write
  ledger.read: read
  search.web: read
rules:
  - id: declared-tools
    match: { class: [read, write] }
    verdict: ALLOW
  - id: payments-allowlist
    match: { tool: payments.send }
    when: { field: args.counterparty, not_in: { list: counterparties } }
    verdict: BLOCK
    code: COUNTERPARTY_NOT_ALLOWLISTED
    message: "counterparty \`{args.counterparty}\` is not in list \`counterparties\`"
  - id: large-payment-approval
    match: { tool: payments.send }
    when: { field: args.amount, gt: 10000 }
    verdict: ESCALATE
    code: AMOUNT_NEEDS_APPROVAL
    message: "payment of {args.amount} needs approval"
    approval: { group: finance-approvers, timeout: 15min, on_timeout: deny }
  - id: search-budget
    match: { tool: search.web }
    verdict: THROTTLE
    code: SEARCH_BUDGET
    message: "search budget exhausted"
    throttle: { limit: 3, per: 1min, key: [agent.id] }
  - id: ledger-rate
    match: { tool: ledger.read }
    verdict: THROTTLE
    code: LEDGER_RATE
    message: "ledger rate"
    throttle: { limit: 2, per: 10s, window: gcra, burst: 2, key: [agent.id] }
`;

export function compileFixturePolicy(source = POLICY_YAML): CompiledPolicy {
  const r = compilePolicy(source, { file: "fixture.yaml" });
  if (!r.ok) throw new Error(`fixture policy does not compile: ${JSON.stringify(r.diagnostics)}`);
  return r.policy;
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `warden-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function fixtureKeys(dir: string): KeyFiles {
  return generateKeyFiles(join(dir, "keys"), new Date("2026-03-01T00:00:00Z"));
}

/** A small deterministic PRNG (mulberry32, shared with the decide benchmark) so failures reproduce. */
export const rng = mulberry32;

const TOOLS = ["payments.send", "ledger.read", "search.web", "search.web", "shell.exec"];
const PARTIES = ["acme-corp", "globex", "initech", "evil-co", "umbrella"];

/** `n` random actions over a few agents, time advancing 0–4 s per step (so throttles both fire and reset). */
export function randomActions(n: number, seed = 1): Array<Record<string, unknown>> {
  const r = rng(seed);
  let t = Date.parse("2026-03-02T10:00:00Z");
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < n; i++) {
    t += Math.floor(r() * 4_000);
    const tool = TOOLS[Math.floor(r() * TOOLS.length)] as string;
    const agent = `agent-${Math.floor(r() * 4)}`;
    const args: Record<string, unknown> =
      tool === "payments.send"
        ? { amount: Math.round(r() * 2_000_000) / 100, currency: "USD", counterparty: PARTIES[Math.floor(r() * PARTIES.length)], ssn: `${100 + i % 800}-12-${1000 + (i % 9000)}` }
        : tool === "search.web"
          ? { q: `query ${i} ü€😀` }
          : { account: `acct-${i % 17}` };
    out.push({ kind: "tool_call", at: new Date(t).toISOString(), agent: { id: agent, role: "operator" }, tool, args, context: { session: `s-${i % 5}` } });
  }
  return out;
}
