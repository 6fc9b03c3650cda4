// The fast tools/call path (src/mcp/fast-calls.ts) against the SDK's path: the same answers for the same calls,
// and the protocol's edges — cancellation, timeouts, error answers, invalid results, a server that hangs up,
// ids 1 and "1" in flight together. The agent and the real server are raw JSON-RPC peers on in-memory
// transports, scripted by each test, so ids and every message on the wire can be checked.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { compilePolicy } from "../src/compile/compile.js";
import { Governor } from "../src/gateway/governor.js";
import { createGovernedServer } from "../src/mcp/proxy.js";
import { ApprovalStore } from "../src/approvals/store.js";

const POLICY = `
id: fast-calls-test
version: "1"
default: BLOCK
tools: { echo: read, wipe: write, deploy: write }
rules:
  - { id: reads, match: { class: read }, verdict: ALLOW }
  - { id: deploys, match: { tool: deploy }, verdict: ALLOW }
  - { id: deploy-approval, match: { tool: deploy }, verdict: ESCALATE, code: NEEDS_APPROVAL, approval: { group: ops, timeout: 60s } }
  - { id: no-wipe, match: { tool: wipe }, verdict: BLOCK, code: NO_WIPE }
`;

type Msg = Record<string, unknown>;

/** Every setup's transports, closed when the file's tests are done (nothing may keep the process alive). */
const open: Array<() => Promise<unknown>> = [];
after(async () => {
  await Promise.allSettled(open.map((close) => close()));
});
type Answer = (call: Msg) => Msg | null | Promise<Msg | null>;

/** A scripted real server: answers initialize and tools/list itself, tools/call with `answer` (null: never). */
async function setup(answer: Answer, options: { fastCalls?: boolean; upstreamTimeoutMs?: number; approvals?: ApprovalStore } = {}) {
  const compiled = compilePolicy(POLICY);
  assert.ok(compiled.ok);
  const seen: Msg[] = [];
  const [serverSide, proxyUp] = InMemoryTransport.createLinkedPair();
  serverSide.onmessage = (raw) => {
    const m = raw as Msg;
    seen.push(m);
    const reply = (result: Msg): void => void serverSide.send({ jsonrpc: "2.0", id: m["id"], result } as JSONRPCMessage);
    if (m["method"] === "initialize") reply({ protocolVersion: (m["params"] as Msg)["protocolVersion"], capabilities: { tools: {} }, serverInfo: { name: "scripted", version: "1" } });
    else if (m["method"] === "tools/list") reply({ tools: [{ name: "echo", inputSchema: { type: "object" } }] });
    else if (m["method"] === "tools/call") {
      void Promise.resolve(answer(m)).then((a) => {
        if (a !== null) void serverSide.send({ jsonrpc: "2.0", id: m["id"], ...a } as JSONRPCMessage);
      });
    }
  };
  await serverSide.start();
  const upstream = new Client({ name: "proxy", version: "1" });
  await upstream.connect(proxyUp);
  const errors: Error[] = [];
  const governed = createGovernedServer(upstream, { governor: new Governor(compiled.policy), agent: { id: "a" }, ...options });
  governed.server.onerror = (e) => void errors.push(e);
  const [proxyDown, agentSide] = InMemoryTransport.createLinkedPair();
  await governed.server.connect(proxyDown);
  const answers = new Map<string, Msg>();
  const waiters = new Map<string, (m: Msg) => void>();
  const key = (id: unknown): string => `${typeof id}:${String(id)}`;
  agentSide.onmessage = (raw) => {
    const m = raw as Msg;
    if (!("id" in m) || "method" in m) return;
    const k = key(m["id"]);
    answers.set(k, m);
    waiters.get(k)?.(m);
  };
  await agentSide.start();
  open.push(() => agentSide.close(), () => governed.server.close(), () => upstream.close(), () => serverSide.close());
  const send = (m: Msg): Promise<void> => agentSide.send({ jsonrpc: "2.0", ...m } as JSONRPCMessage);
  const answerTo = (id: unknown): Promise<Msg> => {
    const got = answers.get(key(id));
    return got ? Promise.resolve(got) : new Promise((r) => waiters.set(key(id), r));
  };
  await send({ id: "init", method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "agent", version: "1" } } });
  await answerTo("init");
  await send({ method: "notifications/initialized" });
  const call = async (id: string | number, name: string, args: Msg = {}, meta?: Msg): Promise<Msg> => {
    await send({ id, method: "tools/call", params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } });
    return answerTo(id);
  };
  const calls = (): Msg[] => seen.filter((m) => m["method"] === "tools/call");
  return { send, call, answers, answerTo, seen, calls, errors, serverSide, key, governed };
}

const echo: Answer = (m) => ({ result: { content: [{ type: "text", text: JSON.stringify((m["params"] as Msg)["arguments"]) }] } });
const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Waits for `cond`, failing (rather than spinning on) after 5 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 5000; !cond(); await tick(5)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}
const strip = (m: Msg): Msg => ({ ...m, id: null });

test("a plain call takes the fast path; a call with a progress token, and fastCalls: false, take the SDK's; the answers are the same", async () => {
  const fast = await setup(echo);
  const sdk = await setup(echo, { fastCalls: false });
  for (const [name, args] of [["echo", { q: "hi" }], ["wipe", { all: true }], ["undeclared", {}]] as const) {
    const a = await fast.call(`f-${name}`, name, args);
    const b = await sdk.call(`s-${name}`, name, args);
    assert.deepEqual(strip(a), strip(b), name);
  }
  // upstream saw only the allowed call, under the fast path's own id, and under the SDK client's numeric one
  assert.deepEqual(fast.calls().map((m) => m["id"]), ["warden-1"]);
  assert.equal(typeof sdk.calls()[0]?.["id"], "number");
  const withProgress = await fast.call("p", "echo", { q: 1 }, { progressToken: "tok" });
  assert.deepEqual((withProgress["result"] as Msg)["content"], [{ type: "text", text: '{"q":1}' }]);
  const forwarded = fast.calls()[1] as Msg;
  assert.equal(typeof forwarded["id"], "number", "the SDK's client sent it");
  assert.match(String(((forwarded["params"] as Msg)["_meta"] as Msg)["progressToken"]), /^warden-progress-/);
  assert.deepEqual([...fast.errors, ...sdk.errors], []);
});

test("a JSON-RPC error from the server reaches the agent as through the SDK's path; an invalid result is an error", async () => {
  const failing: Answer = () => ({ error: { code: -32050, message: "disk on fire", data: { disk: "sda" } } });
  const fast = await setup(failing);
  const sdk = await setup(failing, { fastCalls: false });
  assert.deepEqual(strip(await fast.call(1, "echo")), strip(await sdk.call(1, "echo")));
  // as the server sent it: an McpError's `MCP error <code>:` prefix would be added again by the agent's SDK
  assert.deepEqual((await fast.call(2, "echo"))["error"], { code: -32050, message: "disk on fire", data: { disk: "sda" } });

  for (const [result, why] of [
    [{ content: "text" }, /`content` is not an array/],
    [{ content: [{ type: "text", text: 5 }] }, /content\[0\] is text without a string `text`/],
    [{ content: [{ text: "x" }] }, /content\[0\] has no type/],
    [{ content: [], isError: "yes" }, /`isError` is not a boolean/],
    [[1, 2], /not an object/],
  ] as const) {
    const t = await setup(() => ({ result: result as unknown as Msg }));
    const a = await t.call(1, "echo");
    const e = a["error"] as Msg;
    assert.equal(e["code"], -32603, JSON.stringify(result));
    assert.match(String(e["message"]), why);
    // the SDK's path refuses it too, in its own words (a result that is not an object it does not answer at all:
    // it drops the message as of unknown type and the call waits for its timeout)
    if (Array.isArray(result)) continue;
    const s = await setup(() => ({ result: result as unknown as Msg }), { fastCalls: false });
    assert.equal(((await s.call(1, "echo"))["error"] as Msg)["code"], -32603, JSON.stringify(result));
  }
  // a result without content gets the empty list the schema defaults to
  const bare = await setup(() => ({ result: {} }));
  assert.deepEqual((await bare.call(1, "echo"))["result"], { content: [] });
});

test("a cancelled call gets no answer, the server is told, and its late answer is dropped quietly", async () => {
  let release: (() => void) | null = null;
  // the first call is held until released; later ones are answered at once
  const t = await setup((m) => (release === null ? new Promise((r) => (release = () => r(echo(m) as Msg))) : echo(m)));
  await t.send({ id: 7, method: "tools/call", params: { name: "echo", arguments: {} } });
  await until(() => t.calls().length > 0, "the call to reach the server");
  await t.send({ method: "notifications/cancelled", params: { requestId: 7, reason: "user pressed stop" } });
  await tick();
  const cancel = t.seen.find((m) => m["method"] === "notifications/cancelled");
  assert.deepEqual(cancel?.["params"], { requestId: "warden-1", reason: "user pressed stop" });
  (release as unknown as () => void)();
  await tick(50);
  assert.equal(t.answers.has(t.key(7)), false, "no answer to a cancelled request");
  assert.deepEqual(t.errors, [], "the late answer is not an unknown-id error");
  // the proxy still serves
  assert.deepEqual(((await t.call(8, "echo", { x: 1 }))["result"] as Msg)["content"], [{ type: "text", text: '{"x":1}' }]);
});

test("a server that never answers times out with the SDK's error, and is told to stop", async () => {
  const t = await setup(() => null, { upstreamTimeoutMs: 80 });
  const a = await t.call(1, "echo");
  assert.deepEqual(a["error"], { code: -32001, message: "Request timed out", data: { timeout: 80 } });
  const cancel = t.seen.find((m) => m["method"] === "notifications/cancelled");
  assert.equal((cancel?.["params"] as Msg)["requestId"], "warden-1");
});

test("a server that hangs up fails the calls in flight; ids 1 and \"1\" in flight together are answered apart", async () => {
  const held: Array<() => void> = [];
  const t = await setup((m) => new Promise((r) => held.push(() => r(echo(m) as Msg))));
  const p1 = t.call(1, "echo", { n: "number" });
  const p2 = t.call("1", "echo", { n: "string" });
  await until(() => held.length >= 2, "both calls to reach the server");
  for (const h of held.splice(0)) h();
  const [a1, a2] = await Promise.all([p1, p2]);
  assert.equal(a1["id"], 1);
  assert.equal(a2["id"], "1");
  assert.deepEqual(((a1["result"] as Msg)["content"] as Msg[])[0]?.["text"], '{"n":"number"}');
  assert.deepEqual(((a2["result"] as Msg)["content"] as Msg[])[0]?.["text"], '{"n":"string"}');

  const pending = t.call(3, "echo");
  await until(() => held.length >= 1, "the call to reach the server");
  await t.serverSide.close();
  const e = (await pending)["error"] as Msg;
  assert.equal(e["code"], -32000);
  assert.match(String(e["message"]), /Connection closed/);
});

test("a call held for approval and then cancelled by the agent stops waiting (recorded as cancelled) and gets no answer", async () => {
  const approvals = new ApprovalStore(mkdtempSync(join(tmpdir(), "warden-fast-apr-")));
  const t = await setup(echo, { approvals });
  await t.send({ id: 9, method: "tools/call", params: { name: "deploy", arguments: { to: "prod" } } });
  await until(() => approvals.list("pending").length > 0, "the approval request");
  await t.send({ method: "notifications/cancelled", params: { requestId: 9 } });
  await until(() => approvals.list("pending").length === 0, "the wait to end");
  const [rec] = approvals.list();
  assert.equal(rec?.resolution?.by, "warden:cancelled");
  await tick(30);
  assert.equal(t.answers.has(t.key(9)), false);
  assert.deepEqual(t.calls(), [], "never forwarded");
});
