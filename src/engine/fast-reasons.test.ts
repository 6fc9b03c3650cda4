// The planned path's renderers and number text give exactly what the general renderer and String() give.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { compilePolicy } from "../compile/compile.js";
import { numberText } from "../compile/fields.js";
import { E } from "../compile/leaf.js";
import type { Action } from "../types.js";
import { indeterminateRenderer, trueRenderer } from "./fast-reasons.js";
import { renderReason } from "./reasons.js";

test("numberText is String() for every number (amounts take a fast path)", () => {
  const amount = fc.integer({ min: -1_600_000_000_000_000, max: 1_600_000_000_000_000 }).map((c) => c / 100);
  fc.assert(fc.property(fc.oneof(amount, fc.double(), fc.integer()), (v) => numberText(v) === String(v)), { numRuns: 200_000 });
  for (const v of [0, -0, 0.01, -0.01, 0.5, -0.5, 1e-7, 7999999999999.99, -7999999999999.99, 8e12 + 0.5, 1e21, NaN, Infinity, 10000.01, 1.005, 2.675]) {
    assert.equal(numberText(v), String(v), String(v));
  }
});

const FINANCE = readFileSync("bench/decide/finance-3.yaml", "utf8");
// The same policy with fields marked sensitive: the renderers mask them exactly as renderReason() does.
const FINANCE_SENSITIVE = FINANCE.replace(/^rules:/m, "sensitive: [args.counterparty, args.amount]\nrules:");

for (const [name, source] of [["", FINANCE], [" (sensitive fields)", FINANCE_SENSITIVE]] as const) test(`the renderers give renderReason()'s reasons, whether the value is new, seen once or cached${name}`, () => {
  assert.notEqual(FINANCE_SENSITIVE, FINANCE);
  const policy = compilePolicy(source, { file: "finance-3.yaml" });
  assert.ok(policy.ok);
  const ir = policy.policy.ir;
  const value = fc.oneof(fc.constantFrom("acme-corp", "evil", "", "viewer", "USD"), fc.string(), fc.double(), fc.integer({ min: 0, max: 3_000_000 }).map((c) => c / 100), fc.constant(undefined), fc.array(fc.integer(), { maxLength: 2 }));
  const action = fc.record({ role: value, counterparty: value, amount: value, currency: value, tool: fc.constantFrom("payments.send", "ledger.update") }).map(
    (x): Action => {
      const args: Record<string, unknown> = {};
      for (const k of ["counterparty", "amount", "currency"] as const) if (x[k] !== undefined) args[k] = x[k];
      return { kind: "tool_call", tool: x.tool, agent: x.role === undefined ? {} : { role: x.role as string }, args };
    },
  );
  for (const rule of policy.policy.rules) {
    const t = trueRenderer(rule, ir);
    const e = indeterminateRenderer(rule, ir);
    fc.assert(
      fc.property(action, (a) => {
        // Three times: first sighting, second (stored), third (from the cache).
        for (let i = 0; i < 3; i++) {
          assert.deepEqual(t.render(a), renderReason(rule, ir, a, 1));
          if (rule.ir.verdict !== "ALLOW") assert.deepEqual(e.render(a), renderReason(rule, ir, a, E));
        }
      }),
      { numRuns: 300 },
    );
  }
});
