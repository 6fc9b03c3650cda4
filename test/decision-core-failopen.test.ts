// Fail-open defects a reviewer reproduced in the decision core: a child rule id sharing a parent's throttle counter,
// one future-dated call sweeping every budget, a GCRA burst one call short, a second parent's ALLOW overruling the
// first's default BLOCK, a MODIFY rewriting an allowed call into one no rule allows, a child taking over a parent's
// approval, and the DEFAULT_ALLOW message.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compilePolicy } from "../src/compile/compile.js";
import type { CompiledPolicy } from "../src/compile/build.js";
import { decide } from "../src/engine/decide.js";
import { MemoryThrottleStore } from "../src/engine/throttle-store.js";
import type { Action } from "../src/types.js";

function compileOk(src: unknown, parents: Record<string, unknown> = {}): CompiledPolicy {
  const r = compilePolicy(JSON.stringify(src), { file: "child.json", readFile: (f) => JSON.stringify(parents[f]) });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostics));
  return r.policy;
}

function refusal(src: unknown, parents: Record<string, unknown>): string {
  const r = compilePolicy(JSON.stringify(src), { file: "child.json", readFile: (f) => JSON.stringify(parents[f]) });
  assert.equal(r.ok, false, "compiled");
  const errors = r.ok ? [] : r.diagnostics.filter((d) => d.severity === "error");
  assert.ok(errors.length > 0 && errors.every((d) => d.code === "WEAKENS_PARENT"), JSON.stringify(errors));
  return errors.map((d) => d.message).join("\n");
}

const T0 = Date.parse("2026-03-02T10:00:00Z");
const call = (atMs: number, agent: string, tool = "search", args: Record<string, unknown> = {}): Action => ({
  kind: "tool_call",
  at: new Date(atMs).toISOString(),
  agent: { id: agent, role: "r" },
  tool,
  args,
});

const research = {
  id: "research",
  version: "1",
  default: "BLOCK",
  tools: { search: "read" },
  rules: [
    { id: "read-tools", match: { class: "read" }, verdict: "ALLOW" },
    { id: "search-budget", match: { tool: "search" }, verdict: "THROTTLE", code: "SEARCH_BUDGET", throttle: { limit: 600, per: "1h", key: ["agent.id"] } },
  ],
};

// 1. Throttle keys: the rule id is escaped like the key values.
test("a child rule id `search-budget:agent-7` (key: []) has its own counter, not the parent's budget of agent agent-7", () => {
  for (const window of ["sliding", "gcra"] as const) {
    const child = compileOk(
      {
        id: "child",
        version: "1",
        extends: ["research.json"],
        rules: [{ id: "search-budget:agent-7", match: { tool: "search" }, verdict: "THROTTLE", code: "BURST", throttle: { limit: 1_000_000, per: "1s", key: [], window, ...(window === "gcra" ? { burst: 1_000_000 } : {}) } }],
      },
      { "research.json": research },
    );
    const store = new MemoryThrottleStore();
    const verdicts: Record<string, number> = {};
    for (let i = 0; i < 700; i++) {
      const d = decide(child, call(T0 + i, "agent-7"), { throttle: store });
      assert.equal(Object.keys(d.state.throttle).length, 2, `two budgets, two keys: ${Object.keys(d.state.throttle).join(", ")}`);
      store.commit(d);
      verdicts[d.verdict] = (verdicts[d.verdict] ?? 0) + 1;
    }
    assert.deepEqual(verdicts, { ALLOW: 600, THROTTLE: 100 }, window);
  }
  // An ordinary id keeps the key recorded states hold.
  const d = decide(compileOk(research), call(T0, "fin:agent%7"));
  assert.deepEqual(Object.keys(d.state.throttle), ["search-budget:fin%3Aagent%257"]);
});

// 2. One future-dated commit does not age every budget out.
test("MemoryThrottleStore's sweep ignores an outlier time: a budget filled an hour ago still holds after a 2099 call", () => {
  const p = compileOk(research);
  const store = new MemoryThrottleStore();
  const go = (a: Action): string => {
    const d = decide(p, a, { throttle: store });
    store.commit(d);
    return d.verdict;
  };
  for (let i = 0; i < 600; i++) go(call(T0 + i, "victim"));
  assert.equal(go(call(T0 + 1000, "victim")), "THROTTLE");
  // Other agents' traffic, then one commit dated 2099: the 10,000th counted commit, where a sweep falls.
  for (let k = 0; k < 9_399; k++) go(call(T0 + 2, `filler-${k}`));
  go(call(Date.parse("2099-01-01T00:00:00Z"), "skewed"));
  for (let i = 0; i < 5; i++) assert.equal(go(call(T0 + 2000 + i, "victim")), "THROTTLE", `victim call ${601 + i} in the same hour`);
  // Memory stays bounded: keys idle for two windows before the median commit time go at the next sweep.
  for (let k = 0; k < 10_000; k++) assert.equal(go(call(T0 + 3 * 3_600_000, `later-${k % 100}`)), "ALLOW");
  assert.ok(store.size <= 101, `store kept ${store.size} keys`);
});

// 10. GCRA: burst calls at one instant all pass; the rate never exceeds limit per per.
test("a GCRA budget absorbs exactly `burst` calls at one instant, for any limit, period and burst", () => {
  const periods = ["1s", "1min", "1h", "7s", "1d", "1w", "250ms"];
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 200 }), fc.constantFrom(...periods), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 400_000_000 }), (limit, per, burst, offset) => {
      const p = compileOk({ id: "g", version: "1", default: "ALLOW", rules: [{ id: "b", verdict: "THROTTLE", code: "T", throttle: { limit, per, key: [], window: "gcra", burst } }] });
      const store = new MemoryThrottleStore();
      const at = T0 + offset;
      for (let i = 0; i < burst; i++) {
        const d = decide(p, call(at, "a"), { throttle: store });
        assert.equal(d.verdict, "ALLOW", `call ${i + 1} of ${burst} (${limit}/${per})`);
        store.commit(d);
      }
      assert.equal(decide(p, call(at, "a"), { throttle: store }).verdict, "THROTTLE");
    }),
    { numRuns: 300 },
  );
  // Never more than burst + elapsed × limit / per allowed calls, calls in time order at any whole-ms times.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 10 }), fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 120 }), (limit, perMs, burst, gaps) => {
      const p = compileOk({ id: "g", version: "1", default: "ALLOW", rules: [{ id: "b", verdict: "THROTTLE", code: "T", throttle: { limit, per: `${perMs}ms`, key: [], window: "gcra", burst } }] });
      const store = new MemoryThrottleStore();
      let at = T0;
      let allowed = 0;
      for (const g of gaps) {
        at += g;
        const d = decide(p, call(at, "a"), { throttle: store });
        store.commit(d);
        if (d.verdict === "ALLOW") allowed++;
        assert.ok((allowed - burst) * perMs <= (at - T0) * limit, `${allowed} allowed in ${at - T0} ms at ${limit}/${perMs}ms burst ${burst}`);
      }
    }),
    { numRuns: 300 },
  );
});

const parentA = {
  id: "base",
  version: "1",
  default: "BLOCK",
  tools: { "payments.send": "write", "fs.read": "read" },
  rules: [
    { id: "reads", match: { tool: "fs.read" }, when: { field: "args.path", starts_with: "/workspace/" }, verdict: "ALLOW" },
    { id: "pay-ok", match: { tool: "payments.send" }, verdict: "ALLOW" },
    { id: "big-payment", match: { tool: "payments.send" }, when: { field: "args.amount", gt: 10000 }, verdict: "ESCALATE", code: "NEEDS_CFO", approval: { group: "cfo", timeout: "1h" } },
  ],
};
const parentB = { id: "convenience", version: "1", default: "ALLOW", rules: [{ id: "anything", match: { tool: "*" }, verdict: "ALLOW" }] };
const parents = { "a.json": parentA, "b.json": parentB };

// 3. Two parents: one's ALLOW rules cannot overrule the other's default BLOCK.
test("extends [default-BLOCK parent, parent with a catch-all ALLOW] is refused, naming both parents", () => {
  for (const order of [["a.json", "b.json"], ["b.json", "a.json"]]) {
    const msg = refusal({ id: "child", version: "1", extends: order }, parents);
    assert.match(msg, /rule `anything` of parent policy `convenience` would ALLOW .*parent policy `base` blocks them by default/);
  }
  // A second parent allowing only tools it declares is fine; an undeclared tool stays blocked.
  const declared = { id: "ops", version: "1", default: "ALLOW", tools: { deploy: "exec" }, rules: [{ id: "deploy-ok", match: { tool: "deploy" }, verdict: "ALLOW" }] };
  const p = compileOk({ id: "child", version: "1", extends: ["a.json", "ops.json"] }, { ...parents, "ops.json": declared });
  assert.equal(decide(p, call(T0, "a", "rm_rf", { path: "/" })).verdict, "BLOCK");
  assert.equal(decide(p, call(T0, "a", "deploy")).verdict, "ALLOW");
  // A common ancestor's own rules are not the other parent's.
  const diamondB = { id: "b2", version: "1", extends: ["a.json"], rules: [] };
  assert.ok(compilePolicy(JSON.stringify({ id: "child", version: "1", extends: ["a.json", "b2.json"] }), { file: "child.json", readFile: (f) => JSON.stringify({ ...parents, "b2.json": diamondB }[f]) }).ok);
});

// 4. A MODIFY cannot turn an allowed call into one no rule allows.
test("a child MODIFY rewriting an allowed /workspace read into /etc/shadow is BLOCKed MODIFY_NOT_ALLOWED", () => {
  const child = compileOk(
    { id: "child3", version: "1", extends: ["a.json"], rules: [{ id: "rewrite-path", match: { tool: "fs.read" }, verdict: "MODIFY", code: "NORMALIZE_PATH", modify: [{ replace: "args.path", value: "/etc/shadow" }] }] },
    parents,
  );
  const d = decide(child, call(T0, "a", "fs.read", { path: "/workspace/a.txt" }));
  assert.equal(d.verdict, "BLOCK");
  assert.equal(d.reasons[0]?.code, "MODIFY_NOT_ALLOWED");
  assert.equal(d.reasons[0]?.rule, "rewrite-path");
  assert.equal(d.reasons[0]?.field, "args.path");
  // A change that stays allowed is a MODIFY as before.
  const ok = compileOk(
    { id: "child4", version: "1", extends: ["a.json"], rules: [{ id: "rewrite-path", match: { tool: "fs.read" }, verdict: "MODIFY", code: "NORMALIZE_PATH", modify: [{ replace: "args.path", value: "/workspace/b.txt" }] }] },
    parents,
  );
  assert.equal(decide(ok, call(T0, "a", "fs.read", { path: "/workspace/a.txt" })).verdict, "MODIFY");
  // Under default ALLOW nothing changes.
  const open = compileOk({ id: "o", version: "1", default: "ALLOW", rules: [{ id: "ok", match: { tool: "x" }, when: { field: "args.n", lt: 5 }, verdict: "ALLOW" }, { id: "m", verdict: "MODIFY", code: "M", modify: [{ replace: "args.n", value: 9 }] }] });
  assert.equal(decide(open, call(T0, "a", "x", { n: 1 })).verdict, "MODIFY");
});

// 6. A child cannot take over a parent's approval.
test("a child ESCALATE rule outranking the parent's is refused; at the same priority the parent's approval wins", () => {
  const intern = (priority: number) => ({
    id: "child2",
    version: "1",
    extends: ["a.json"],
    rules: [{ id: "intern-review", priority, match: { tool: "payments.send" }, when: { field: "args.amount", gt: 0 }, verdict: "ESCALATE", code: "INTERN_REVIEW", approval: { group: "interns", timeout: "1min" } }],
  });
  assert.match(refusal(intern(10), parents), /ESCALATE rule `intern-review` \(priority 10\) outranks ESCALATE rule `big-payment` of parent policy `base`/);
  const p = compileOk(intern(0), parents);
  assert.deepEqual(decide(p, call(T0, "a", "payments.send", { amount: 50000 })).obligations.approval, { rule: "big-payment", group: "cfo", timeoutMs: 3_600_000, onTimeout: "deny" });
  // Alone, the child's rule escalates to its own group.
  assert.equal(decide(p, call(T0, "a", "payments.send", { amount: 50 })).obligations.approval?.group, "interns");
  // Deeper chains: a middle layer is held to the grandparent's tier too.
  const middle = { ...intern(0), id: "mid" };
  assert.match(refusal({ id: "leaf", version: "1", extends: ["mid.json"], rules: [{ id: "x", priority: 1, match: { tool: "payments.send" }, verdict: "ESCALATE", code: "X", approval: { group: "x" } }] }, { ...parents, "mid.json": middle }), /outranks ESCALATE rule `(big-payment|intern-review)`/);
});

// 6, with a MODIFY: a parent ESCALATE rule that fires only on the changed copy still decides the approval.
test("a parent's ESCALATE rule fired by a child's MODIFY keeps its approval ahead of the child's", () => {
  const child = compileOk(
    {
      id: "c",
      version: "1",
      extends: ["a.json"],
      rules: [
        { id: "review", match: { tool: "payments.send" }, verdict: "ESCALATE", code: "REVIEW", approval: { group: "interns" } },
        { id: "bump", match: { tool: "payments.send" }, verdict: "MODIFY", code: "BUMP", modify: [{ replace: "args.amount", value: 20000 }] },
      ],
    },
    parents,
  );
  const d = decide(child, call(T0, "a", "payments.send", { amount: 5 }));
  assert.equal(d.verdict, "ESCALATE");
  assert.equal(d.obligations.approval?.group, "cfo");
});

test("DEFAULT_ALLOW does not say no rule matched when a restrictive rule did", () => {
  const p = compileOk({ id: "p", version: "1", default: "ALLOW", rules: [{ id: "no", match: { tool: "x" }, verdict: "BLOCK", code: "NO" }] });
  const d = decide(p, call(T0, "a", "x"));
  const dflt = d.reasons.find((r) => r.code === "DEFAULT_ALLOW");
  assert.ok(dflt);
  assert.doesNotMatch(dflt.message, /no rule matched/);
  assert.match(dflt.message, /no ALLOW rule/);
});
