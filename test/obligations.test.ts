// Obligation details a reviewer found wrong: clamp with one bound, sandbox merges of nested paths and wildcard
// hosts, calendar weeks, and a gcra burst of 0.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicy } from "../src/compile/compile.js";
import type { CompiledPolicy } from "../src/compile/build.js";
import { decide } from "../src/engine/decide.js";
import { MemoryThrottleStore } from "../src/engine/throttle-store.js";
import { loadPolicyFile } from "../src/node/load.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

function compileOk(src: unknown): CompiledPolicy {
  const r = compilePolicy(JSON.stringify(src), { file: "t.json" });
  assert.ok(r.ok, JSON.stringify(r.diagnostics));
  return r.policy;
}

const clampPolicy = (bounds: Record<string, number>) =>
  compileOk({ id: "c", version: "1", default: "ALLOW", rules: [{ id: "cap", verdict: "MODIFY", code: "CAP", modify: [{ clamp: "args.n", ...bounds }] }] });
const clamped = (p: CompiledPolicy, n: unknown): unknown => (decide(p, { kind: "tool_call", tool: "x", args: { n } }).obligations.modify?.action.args as Record<string, unknown>)["n"];

test("clamp with only `min` raises a number below it (and a decimal string); only `max` lowers; both bound", () => {
  const min = clampPolicy({ min: 10 });
  assert.equal(clamped(min, 5), 10);
  assert.equal(clamped(min, -1), 10);
  assert.equal(clamped(min, 12.5), 12.5);
  assert.equal(clamped(min, "5"), 10);
  const max = clampPolicy({ max: 100 });
  assert.equal(clamped(max, 500), 100);
  assert.equal(clamped(max, -500), -500);
  const both = clampPolicy({ min: 1, max: 3 });
  assert.deepEqual([0, 1, 2, 3, 4].map((n) => clamped(both, n)), [1, 1, 2, 3, 3]);
});

test("merged sandbox profiles keep what every profile allows: the deeper path, the named host under a wildcard", () => {
  const p = compileOk({ id: "sb", version: "1", default: "ALLOW", rules: [
    { id: "broad", verdict: "SANDBOX", code: "BROAD", sandbox: { filesystem: { allow: ["/workspace", "/tmp"] }, network: { allow: ["*"] }, env: { allow: ["*"] } } },
    { id: "narrow", verdict: "SANDBOX", code: "NARROW", sandbox: { filesystem: { allow: ["/workspace/sub", "/workspace-other", "/opt"] }, network: { allow: ["Example.com"] }, env: { allow: ["PATH"] } } },
    { id: "hosts", verdict: "SANDBOX", code: "HOSTS", sandbox: { filesystem: { allow: ["/workspace/sub/deeper", "/workspace/sub/x"] }, network: { allow: ["*.example.com", "example.com"] }, env: { allow: ["PATH", "HOME"] } } },
  ] });
  const sb = decide(p, { kind: "tool_call", tool: "x" }).obligations.sandbox;
  assert.ok(sb);
  // /workspace-other is not under /workspace; /opt is allowed by one profile only
  assert.deepEqual([...sb.filesystem.allow].sort(), ["/workspace/sub/deeper", "/workspace/sub/x"]);
  assert.deepEqual(sb.network.allow, ["Example.com"]);
  assert.deepEqual(sb.env.allow, ["PATH"]);

  const two = compileOk({ id: "sb2", version: "1", default: "ALLOW", rules: [
    { id: "a", verdict: "SANDBOX", code: "A", sandbox: { filesystem: { allow: ["/workspace/"] }, network: { allow: ["*.example.com"] } } },
    { id: "b", verdict: "SANDBOX", code: "B", sandbox: { filesystem: { allow: ["/workspace/sub", "/elsewhere"] }, network: { allow: ["api.example.com", "example.org"] } } },
  ] });
  const sb2 = decide(two, { kind: "tool_call", tool: "x" }).obligations.sandbox;
  assert.ok(sb2);
  assert.deepEqual(sb2.filesystem.allow, ["/workspace/sub"]);
  assert.deepEqual(sb2.network.allow, ["api.example.com"]);
});

test("a calendar week starts on Monday 00:00 UTC; a calendar day at midnight UTC", () => {
  const p = compileOk({ id: "w", version: "1", default: "ALLOW", rules: [
    { id: "weekly", verdict: "THROTTLE", code: "WEEKLY", throttle: { limit: 1, per: "1w", window: "calendar", key: ["agent.id"] } },
  ] });
  const store = new MemoryThrottleStore();
  const at = (iso: string) => {
    const d = decide(p, { kind: "tool_call", tool: "x", at: iso, agent: { id: "a" } }, { throttle: store });
    store.commit(d);
    return d;
  };
  assert.equal(at("2026-03-02T09:00:00Z").verdict, "ALLOW"); // Monday
  const wed = at("2026-03-04T09:00:00Z");
  assert.equal(wed.verdict, "THROTTLE");
  // until next Monday 00:00Z, not Thursday (the epoch's weekday)
  assert.equal(wed.obligations.retryAfterMs, Date.parse("2026-03-09T00:00:00Z") - Date.parse("2026-03-04T09:00:00Z"));
  assert.equal(at("2026-03-05T00:00:01Z").verdict, "THROTTLE"); // Thursday: same week
  assert.equal(at("2026-03-08T23:59:59Z").verdict, "THROTTLE"); // Sunday
  assert.equal(at("2026-03-09T00:00:00Z").verdict, "ALLOW"); // next Monday

  const daily = compileOk({ id: "d", version: "1", default: "ALLOW", rules: [
    { id: "daily", verdict: "THROTTLE", code: "DAILY", throttle: { limit: 1, per: "1d", window: "calendar", key: ["agent.id"] } },
  ] });
  const s2 = new MemoryThrottleStore();
  const first = decide(daily, { kind: "tool_call", tool: "x", at: "2026-03-04T23:00:00Z", agent: { id: "a" } }, { throttle: s2 });
  s2.commit(first);
  const again = decide(daily, { kind: "tool_call", tool: "x", at: "2026-03-04T23:30:00Z", agent: { id: "a" } }, { throttle: s2 });
  assert.equal(again.verdict, "THROTTLE");
  assert.equal(again.obligations.retryAfterMs, 30 * 60_000);
});

test("a gcra burst of 0 is refused, as its message says (a whole number >= 1)", () => {
  const r = compilePolicy(JSON.stringify({ id: "g", version: "1", default: "ALLOW", rules: [
    { id: "rate", verdict: "THROTTLE", code: "RATE", throttle: { limit: 10, per: "1s", window: "gcra", burst: 0 } },
  ] }), { file: "g.json" });
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.diagnostics.some((d) => d.code === "INVALID_VALUE" && /burst.*>= 1/.test(d.message)), JSON.stringify(!r.ok && r.diagnostics));
});

const FINANCE_CHILD = (parent: string) => `
id: child
version: "1"
extends: [${parent}]
rules:
  - id: normalize-payment
    match: { tool: payments.send }
    verdict: MODIFY
    code: NORMALIZED
    modify: [ { replace: args.counterparty, value: evil-corp } ]
`;

test("a MODIFY cannot walk around a BLOCK: restrictive rules are asked again about the changed copy", () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-modify-child-"));
  const parent = resolve("examples/policies/finance.yaml");
  writeFileSync(join(dir, "child.yaml"), FINANCE_CHILD(JSON.stringify(parent)));
  writeFileSync(join(dir, "child-ok.yaml"), FINANCE_CHILD(JSON.stringify(parent)).replace("value: evil-corp", "value: acme-corp"));
  const r = loadPolicyFile(join(dir, "child.yaml"));
  assert.ok(r.ok, JSON.stringify(r.diagnostics));
  const pay = (counterparty: string) => ({ kind: "tool_call", at: "2026-03-02T10:00:00Z", tool: "payments.send", agent: { id: "a", role: "operator" }, args: { amount: 100, currency: "USD", counterparty } });
  const d = decide(r.policy, pay("acme-corp"));
  assert.equal(d.verdict, "BLOCK", JSON.stringify(d.reasons));
  assert.ok(d.reasons.some((x) => x.code === "COUNTERPARTY_NOT_ALLOWLISTED" && x.verdict === "BLOCK"), JSON.stringify(d.reasons));
  assert.ok(d.reasons.some((x) => x.code === "NORMALIZED"));
  // The same child changing the counterparty to an allow-listed one stays a MODIFY.
  const ok = loadPolicyFile(join(dir, "child-ok.yaml"));
  assert.ok(ok.ok);
  const m = decide(ok.policy, pay("globex"));
  assert.equal(m.verdict, "MODIFY", JSON.stringify(m.reasons));
  assert.equal((m.obligations.modify?.action.args as Record<string, unknown>)["counterparty"], "acme-corp");
});

test("a rule that fires on the changed copy brings its obligations (ESCALATE's approval); budgets are not counted twice", () => {
  const p = compileOk({ id: "m", version: "1", default: "ALLOW", rules: [
    { id: "widen", verdict: "MODIFY", code: "WIDEN", modify: [{ replace: "args.scope", value: "all" }] },
    { id: "all-needs-approval", when: { field: "args.scope", eq: "all" }, verdict: "ESCALATE", code: "ALL_SCOPE", approval: { group: "admins", timeout: "1h" } },
    { id: "budget", verdict: "THROTTLE", code: "BUDGET", throttle: { limit: 1, per: "1h", key: ["agent.id"] } },
  ] });
  const store = new MemoryThrottleStore();
  const d = decide(p, { kind: "tool_call", tool: "x", at: "2026-03-02T10:00:00Z", agent: { id: "a" }, args: { scope: "mine" } }, { throttle: store });
  assert.equal(d.verdict, "ESCALATE", JSON.stringify(d.reasons));
  assert.equal(d.obligations.approval?.group, "admins");
  assert.equal((d.obligations.modify?.action.args as Record<string, unknown>)["scope"], "all");
  assert.equal(Object.values(d.state.throttle).length, 1);
  assert.equal(Object.values(d.state.throttle)[0]?.count, 1);
});

test("a MODIFY may change the call's content only, never its identity (kind, at, tool, model, agent)", () => {
  for (const field of ["tool", "kind", "at", "model", "agent.id", "agent.role", "agent.labels.team"]) {
    const r = compilePolicy(JSON.stringify({ id: "m", version: "1", default: "ALLOW", rules: [{ id: "swap", verdict: "MODIFY", code: "SWAP", modify: [{ replace: field, value: "x" }] }] }), { file: "m.json" });
    assert.equal(r.ok, false, field);
    assert.ok(!r.ok && r.diagnostics.some((x) => x.code === "INVALID_VALUE" && x.message.includes("cannot change") && x.span?.path === "rules.0.modify.0.replace"), `${field}: ${JSON.stringify(!r.ok && r.diagnostics)}`);
  }
  for (const field of ["args.x", "args", "text", "context.ticket", "result.body"]) {
    const r = compilePolicy(JSON.stringify({ id: "m", version: "1", default: "ALLOW", rules: [{ id: "ok", verdict: "MODIFY", code: "OK", modify: [{ redact: field }] }] }), { file: "m.json" });
    assert.ok(r.ok, `${field}: ${JSON.stringify(!r.ok && r.diagnostics)}`);
  }
});

test("a sandbox path with a `.` or `..` segment is refused: compared as text it passed as narrower than its parent", () => {
  for (const [key, p] of [["allow", "/workspace/../etc"], ["read_only", "/opt/./x"], ["deny", "../secrets"]] as const) {
    const r = compilePolicy(JSON.stringify({ id: "s", version: "1", default: "BLOCK", rules: [{ id: "box", verdict: "SANDBOX", code: "BOX", sandbox: { filesystem: { [key]: [p] } } }] }), { file: "t.json" });
    assert.equal(r.ok, false, `${key}: ${p} compiled`);
    const d = r.diagnostics.find((x) => x.code === "INVALID_VALUE");
    assert.ok(d, JSON.stringify(r.diagnostics));
    assert.match(d.message, /has a `\.` or `\.\.` segment/);
    assert.equal(d.span?.path, `rules.0.sandbox.filesystem.${key}.0`);
  }
  compileOk({ id: "s", version: "1", default: "BLOCK", rules: [{ id: "box", verdict: "SANDBOX", code: "BOX", sandbox: { filesystem: { allow: ["/workspace/..data", "/a.b/c.."] } } }] });
});
