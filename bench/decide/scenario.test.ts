// Checks the decide benchmark's own parts: the oracle on hand-picked edge cases, the generator's determinism and
// coverage, and that every peer agrees with the oracle. Warden is loaded from the built dist/ (run `npm run build`
// first). Run: node --import tsx --test bench/decide/scenario.test.ts
import { test } from "node:test";
import assert from "node:assert/strict";
import { casbinEngine } from "./casbin.js";
import { cedarEngine } from "./cedar.js";
import { checkAll, mismatch, type Engine } from "./engine.js";
import { handwrittenEngine, handwrittenFullEngine } from "./handwritten.js";
import { generateRequests } from "./requests.js";
import { COUNTERPARTIES, oracle, type BenchAction } from "./scenario.js";
import { compileOrThrow, generateLargePolicy, wardenEngine, WARDEN_3_SOURCE } from "./warden.js";

const act = (tool: string, role: string, args: Record<string, unknown> = {}): BenchAction => ({
  kind: "tool_call",
  at: "2026-03-02T10:15:00Z",
  agent: { id: "a-1", role },
  tool,
  args,
});

const EDGES: Array<[BenchAction, string, string[]]> = [
  [act("payments.send", "operator", { counterparty: "acme-corp", amount: 10000 }), "ALLOW", []],
  [act("payments.send", "operator", { counterparty: "globex", amount: 10000.01 }), "ESCALATE", ["large-payment-approval"]],
  [act("payments.send", "operator", { counterparty: "Acme-Corp", amount: 5 }), "BLOCK", ["payments-allowlist"]],
  [act("payments.send", "operator", { amount: 5 }), "BLOCK", ["payments-allowlist"]],
  [act("payments.send", "viewer", { counterparty: "evil", amount: 20000 }), "BLOCK", ["large-payment-approval", "payments-allowlist", "viewer-no-write"]],
  [act("ledger.update", "viewer", { amount: 1 }), "BLOCK", ["viewer-no-write"]],
  [act("ledger.read", "viewer"), "ALLOW", []],
  [act("ledger.delete", "admin"), "BLOCK", []],
];

async function engines(): Promise<Engine<unknown>[]> {
  const w3 = compileOrThrow(WARDEN_3_SOURCE, "finance-3.yaml");
  const w500 = compileOrThrow(generateLargePolicy(500), "generated-500.yaml");
  return [
    handwrittenEngine(),
    handwrittenFullEngine(),
    await casbinEngine(),
    cedarEngine(),
    wardenEngine("warden", w3),
    wardenEngine("warden-500", w500),
    wardenEngine("warden-linear", w3, true),
  ] as Engine<unknown>[];
}

test("the oracle gets the edge cases right", () => {
  assert.equal(COUNTERPARTIES.length, 50);
  assert.equal(new Set(COUNTERPARTIES).size, 50);
  for (const [a, verdict, rules] of EDGES) assert.deepEqual(oracle(a), { verdict, rules }, JSON.stringify(a));
});

test("the generator is deterministic and covers every case", () => {
  const a = generateRequests(7, 3000);
  assert.deepEqual(a, generateRequests(7, 3000));
  assert.notDeepEqual(a, generateRequests(8, 3000));
  const kinds = new Set(a.map((x) => `${oracle(x).verdict}:${oracle(x).rules.join("+")}`));
  for (const k of ["ALLOW:", "BLOCK:", "ESCALATE:large-payment-approval", "BLOCK:viewer-no-write", "BLOCK:payments-allowlist"]) {
    assert.ok(kinds.has(k), `missing ${k}`);
  }
  assert.ok(a.some((x) => x.tool === "payments.send" && x.args["amount"] === 10000));
  assert.ok(a.some((x) => x.tool === "payments.send" && x.args["counterparty"] === undefined));
});

test("every engine agrees with the oracle on the edge cases and 2,000 generated requests", async () => {
  const actions = [...EDGES.map(([a]) => a), ...generateRequests(99, 2000)];
  const expected = actions.map(oracle);
  for (const e of await engines()) {
    checkAll(e, actions, actions.map(e.decide), expected);
  }
});

test("a wrong answer is caught", async () => {
  const a = EDGES[1]![0];
  assert.match(mismatch(a, { verdict: "ALLOW", rulesKind: "none", rules: [] }) ?? "", /verdict ALLOW, oracle ESCALATE/);
  assert.match(mismatch(a, { verdict: "ESCALATE", rulesKind: "all", rules: [] }) ?? "", /rules/);
  const broken: Engine<string> = { name: "broken", decide: () => "ALLOW", read: (v) => ({ verdict: v, rulesKind: "none", rules: [] }) };
  assert.throws(() => checkAll(broken, [a], ["ALLOW"], [oracle(a)]), /broken disagrees with the oracle on request #0/);
});
