// guard(): in-process and sidecar decisions enforced around a plain async function, and every fail-closed edge.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compilePolicy } from "../src/compile/compile.js";
import { CompiledPolicy } from "../src/compile/build.js";
import { Governor } from "../src/gateway/governor.js";
import { buildGateway } from "../src/gateway/server.js";
import { MemorySink } from "../src/gateway/sink.js";
import { ApprovalStore } from "../src/approvals/store.js";
import { guard, WardenBlockedError, WardenThrottledError } from "../src/guard/index.js";

const POLICY = `
id: guard-test
version: "1"
default: BLOCK
tools: { sendPayment: write, search: read, lookup: read }
lists: { payees: [acme, globex] }
rules:
  - { id: declared, match: { class: [read, write] }, verdict: ALLOW }
  - id: payee-allowlist
    match: { tool: sendPayment }
    when: { field: args.payee, not_in: { list: payees } }
    verdict: BLOCK
    code: PAYEE_NOT_ALLOWED
    message: "payee \`{args.payee}\` is not allowlisted"
  - id: big-payment
    match: { tool: sendPayment }
    when: { field: args.amount, gt: 1000 }
    verdict: ESCALATE
    code: NEEDS_APPROVAL
    approval: { group: finance, timeout: 2s }
  - id: clamp-search
    match: { tool: search }
    when: { field: args.limit, gt: 10 }
    verdict: MODIFY
    code: LIMIT_CLAMPED
    modify: [ { clamp: args.limit, max: 10 } ]
  - id: lookup-budget
    match: { tool: lookup }
    verdict: THROTTLE
    code: LOOKUP_BUDGET
    throttle: { limit: 1, per: 1h, key: [agent.id] }
`;
const compiled = compilePolicy(POLICY);
assert.ok(compiled.ok, JSON.stringify(compiled.diagnostics));
const policy = compiled.policy;

function tools() {
  const calls: unknown[] = [];
  return {
    calls,
    sendPayment: async (args: { payee: string; amount: number }) => {
      calls.push(args);
      return `sent ${args.amount} to ${args.payee}`;
    },
    search: async (args: { q: string; limit: number }) => {
      calls.push(args);
      return `searched ${args.q} x${args.limit}`;
    },
  };
}

test("in process: ALLOW runs, BLOCK throws with the reason code, MODIFY runs with changed args", async () => {
  const t = tools();
  const pay = guard(t.sendPayment, { policy, agent: { id: "a1" } });
  assert.equal(await pay({ payee: "acme", amount: 5 }), "sent 5 to acme");
  await assert.rejects(pay({ payee: "mallory", amount: 5 }), (e: unknown) => e instanceof WardenBlockedError && e.code === "PAYEE_NOT_ALLOWED" && /mallory/.test(e.message) && e.decision?.verdict === "BLOCK");
  const search = guard(t.search, { policy });
  assert.equal(await search({ q: "x", limit: 500 }), "searched x x10");
  assert.deepEqual(t.calls, [{ payee: "acme", amount: 5 }, { q: "x", limit: 10 }]);
});

test("in process: THROTTLE throws WardenThrottledError with the retry delay; budgets are shared per policy", async () => {
  const lookup = async function lookup(args: { id: string }) {
    return args.id;
  };
  const g1 = guard(lookup, { policy, agent: { id: "t-1" } });
  const g2 = guard(lookup, { policy, agent: { id: "t-1" } });
  assert.equal(await g1({ id: "1" }), "1");
  await assert.rejects(g2({ id: "2" }), (e: unknown) => e instanceof WardenThrottledError && e.retryAfterMs > 0 && e.code === "LOOKUP_BUDGET");
});

test("in process: ESCALATE throws without an approval store, waits for one with it", async () => {
  const t = tools();
  await assert.rejects(guard(t.sendPayment, { policy })({ payee: "acme", amount: 5000 }), (e: unknown) => e instanceof WardenBlockedError && e.verdict === "ESCALATE" && /no approval store/.test(e.message));
  const store = new ApprovalStore(mkdtempSync(join(tmpdir(), "warden-guard-")));
  const pay = guard(t.sendPayment, { policy, approvals: store, approvalPollMs: 10 });
  const pending = pay({ payee: "globex", amount: 5000 });
  let id: string | undefined;
  while (id === undefined) {
    id = store.list("pending")[0]?.request.id;
    await new Promise((r) => setTimeout(r, 10));
  }
  store.resolve(id, "approved", "carol");
  assert.equal(await pending, "sent 5000 to globex");
});

test("the tool runs on what was decided: a caller changing its arguments afterwards changes nothing", async () => {
  // ALLOW: the caller swaps the payee for one the allowlist refuses right after the call, without awaiting
  const t = tools();
  const pay = guard(t.sendPayment, { policy });
  const args = { payee: "acme", amount: 50 };
  const allowed = pay(args);
  args.payee = "mallory";
  args.amount = 9_999_999;
  assert.equal(await allowed, "sent 50 to acme");
  // ESCALATE: the caller changes the held call before it is approved; the approver saw 5000 to globex
  const store = new ApprovalStore(mkdtempSync(join(tmpdir(), "warden-guard-")));
  const held = { payee: "globex", amount: 5000, memo: { note: "q3" } };
  const pending = guard(t.sendPayment, { policy, approvals: store, approvalPollMs: 10 })(held);
  let id: string | undefined;
  while (id === undefined) {
    id = store.list("pending")[0]?.request.id;
    await new Promise((r) => setTimeout(r, 10));
  }
  held.payee = "mallory";
  held.amount = 9_999_999;
  held.memo.note = "changed";
  assert.match(JSON.stringify(store.list("pending")[0]?.request), /globex/);
  store.resolve(id, "approved", "carol");
  assert.equal(await pending, "sent 5000 to globex");
  assert.deepEqual(t.calls, [{ payee: "acme", amount: 50 }, { payee: "globex", amount: 5000, memo: { note: "q3" } }]);
  // a cycle is copied as a cycle; a Date is copied
  const seen: unknown[] = [];
  const probe = guard(async function search(a: Record<string, unknown>) {
    seen.push(a);
    return "ok";
  }, { policy });
  const when = new Date(0);
  const cyclic: Record<string, unknown> = { q: "x", limit: 1, when };
  cyclic["self"] = cyclic;
  assert.equal(await probe(cyclic), "ok");
  const got = seen[0] as Record<string, unknown>;
  assert.notEqual(got, cyclic);
  assert.equal(got["self"], got);
  assert.notEqual(got["when"], when);
  assert.equal((got["when"] as Date).getTime(), 0);
  // a class instance is not data: kept as it is it could change after the decision, so it is refused
  const instance = new (class Money {
    cents = 5;
  })();
  await assert.rejects(probe({ q: "y", limit: 1, instance }), (e: unknown) => e instanceof WardenBlockedError && e.code === "INVALID_ACTION" && /`args\.instance` is a Money/.test(e.message));
  assert.equal(seen.length, 1);
});

test("a Proxy that answers its prototype differently per read is not run live after deciding on something else", async () => {
  const t = tools();
  const target = { payee: "acme", amount: 100 };
  let reads = 0;
  const proxy = new Proxy(target, { getPrototypeOf: () => (reads++ === 0 ? Date.prototype : Object.prototype) });
  const pay = guard(t.sendPayment, { policy });
  const call = pay(proxy);
  target.payee = "mallory";
  target.amount = 9_999_999;
  // whatever the Proxy answers, the tool either does not run or runs on the values decided at the call
  await call.then(
    () => assert.deepEqual(t.calls, [{ payee: "acme", amount: 100 }]),
    (e: unknown) => assert.ok(e instanceof WardenBlockedError, String(e)),
  );
  assert.ok(!JSON.stringify(t.calls).includes("mallory"), JSON.stringify(t.calls));
  // nested, where the later checks used to ask the Proxy again (it said Map to the copy, a plain object to them)
  const nested = { payee: "acme", amount: 100 };
  let n = 0;
  const inner = new Proxy(nested, { getPrototypeOf: () => (n++ < 2 ? Map.prototype : Object.prototype) });
  const payNested = guard(async (a: { p: { payee: string; amount: number } }) => void t.calls.push({ ...a.p }), { name: "sendPayment", policy });
  const pending = payNested({ p: inner });
  nested.payee = "mallory";
  nested.amount = 9_999_999;
  await assert.rejects(pending, (e: unknown) => e instanceof WardenBlockedError && e.code === "INVALID_ACTION" && /`args\.p` is a Map, not JSON data/.test(e.message));
  assert.ok(!JSON.stringify(t.calls).includes("mallory"), JSON.stringify(t.calls));
});

test("arguments too deep to copy are refused before deciding", async () => {
  const t = tools();
  let deep: Record<string, unknown> = { payee: "acme", amount: 1 };
  for (let i = 0; i < 1100; i++) deep = { payee: "acme", amount: 1, inner: deep };
  await assert.rejects(guard(t.sendPayment, { policy })(deep as { payee: string; amount: number }), (e: unknown) => e instanceof WardenBlockedError && e.code === "INVALID_ACTION" && /deeper than 1000/.test(e.message));
  assert.equal(t.calls.length, 0);
});

test("fail closed: an engine error is a BLOCK and the tool never runs", async () => {
  const t = tools();
  // A policy object whose internals are broken: decide() must turn the fault into RUNTIME_ERROR.
  const broken = Object.create(CompiledPolicy.prototype) as CompiledPolicy;
  Object.defineProperty(broken, "info", { value: { id: "broken", version: "0", hash: "x" } });
  const pay = guard(t.sendPayment, { policy: broken });
  await assert.rejects(pay({ payee: "acme", amount: 1 }), (e: unknown) => e instanceof WardenBlockedError && e.code === "RUNTIME_ERROR");
  const sink = new MemorySink();
  sink.failWith = new Error("audit down");
  await assert.rejects(guard(t.sendPayment, { governor: new Governor(policy, { sink }) })({ payee: "acme", amount: 1 }), (e: unknown) => e instanceof WardenBlockedError && e.code === "AUDIT_UNAVAILABLE");
  assert.equal(t.calls.length, 0);
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test("sidecar: decisions come from a real `warden serve` gateway over loopback HTTP, with the bearer token", async () => {
  const token = "guard-test-token-0123456789";
  const { app } = buildGateway({ governor: new Governor(policy), apiToken: token });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    const t = tools();
    const pay = guard(t.sendPayment, { sidecarUrl: url, token, agent: { id: "a1" } });
    assert.equal(await pay({ payee: "acme", amount: 5 }), "sent 5 to acme");
    await assert.rejects(pay({ payee: "mallory", amount: 5 }), (e: unknown) => e instanceof WardenBlockedError && e.code === "PAYEE_NOT_ALLOWED");
    const search = guard(t.search, { sidecarUrl: url, token });
    assert.equal(await search({ q: "y", limit: 99 }), "searched y x10");
    // a wrong token is a refusal, never the fallback
    const wrong = guard(t.sendPayment, { sidecarUrl: url, token: "nope", fallback: "ALLOW" });
    await assert.rejects(wrong({ payee: "acme", amount: 5 }), (e: unknown) => e instanceof WardenBlockedError && e.code === "SIDECAR_UNAUTHORIZED");
    assert.equal(t.calls.length, 2);
  } finally {
    await app.close();
  }
});

test("sidecar unreachable: default fallback BLOCK throws; a declared ALLOW fallback runs the tool", async () => {
  const server = createServer();
  const url = await listen(server);
  await new Promise((r) => server.close(r)); // nothing listens there any more
  const t = tools();
  await assert.rejects(guard(t.sendPayment, { sidecarUrl: url })({ payee: "acme", amount: 5 }), (e: unknown) => e instanceof WardenBlockedError && e.code === "SIDECAR_UNREACHABLE" && /ECONNREFUSED/.test(e.message));
  assert.equal(t.calls.length, 0);
  const notes: string[] = [];
  const open = guard(t.sendPayment, { sidecarUrl: url, fallback: "ALLOW", onDecision: (_d, _a, note) => notes.push(note ?? "") });
  assert.equal(await open({ payee: "acme", amount: 5 }), "sent 5 to acme");
  assert.match(notes[0] ?? "", /fallback ALLOW/);
});

test("sidecar misbehaving: a 500, a non-decision body, and a hang all fall back to BLOCK", async () => {
  let mode = "500";
  const server = createServer((req, res) => {
    if (mode === "hang") return; // never answers
    if (mode === "500") return void res.writeHead(500, { "content-type": "application/json" }).end('{"error":{"code":"INTERNAL_ERROR","message":"boom"}}');
    res.writeHead(200, { "content-type": "application/json" }).end('{"verdict":"ALLOW"}'); // not a Decision
  });
  const url = await listen(server);
  try {
    const t = tools();
    const pay = guard(t.sendPayment, { sidecarUrl: url, timeoutMs: 300 });
    for (const m of ["500", "garbage", "hang"]) {
      mode = m;
      await assert.rejects(pay({ payee: "acme", amount: 5 }), (e: unknown) => e instanceof WardenBlockedError && e.code === "SIDECAR_UNREACHABLE", m);
    }
    assert.equal(t.calls.length, 0);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test("guard() refuses ambiguous configuration", () => {
  const t = tools();
  assert.throws(() => guard(t.sendPayment, {}), /exactly one/);
  assert.throws(() => guard(t.sendPayment, { policy, sidecarUrl: "http://x" }), /exactly one/);
  assert.throws(() => guard(async () => 1, { policy }), /name/);
});

// With a recording governor the decision must be about what the record can hold: an `undefined` property is left
// out (as JSON would), not a reason to refuse the call; what JSON cannot carry at all is refused.
test("guard() with a recording governor: undefined properties are left out of the recorded action; the tool gets its input as given (a copy)", async () => {
  const sink = new MemorySink();
  const got: unknown[] = [];
  const pay = guard(async (a: { payee: string; amount: number; memo?: string | undefined; meta?: { note?: string | undefined } }) => (got.push(a), "paid"), { name: "sendPayment", governor: new Governor(policy, { sink }) });
  const input = { payee: "acme", amount: 1, memo: undefined, meta: { note: undefined } };
  assert.equal(await pay(input), "paid");
  // a private copy (see "the tool runs on what was decided"), with the caller's undefined properties as given
  assert.notEqual(got[0], input);
  assert.deepEqual(got[0], input);
  assert.ok(Object.hasOwn(got[0] as object, "memo") && Object.hasOwn((got[0] as { meta: object }).meta, "note"));
  assert.deepEqual(sink.entries[0]?.action, { kind: "tool_call", at: (sink.entries[0]?.action as { at: string }).at, tool: "sendPayment", args: { payee: "acme", amount: 1, meta: {} } });
  assert.equal(sink.entries[0]?.decision.verdict, "ALLOW");
  await assert.rejects(pay({ payee: "acme", amount: Number.NaN }), (e: unknown) => e instanceof WardenBlockedError && e.code === "INVALID_ACTION");
  assert.equal(got.length, 1);
});
