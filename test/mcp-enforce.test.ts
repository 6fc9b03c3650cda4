// Every verdict through the governed MCP server, in process: a real SDK McpServer upstream, a real Client
// downstream, linked by the SDK's in-memory transports. Also fail-closed edges (audit down, no approvals).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { ToolListChangedNotificationSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { compilePolicy } from "../src/compile/compile.js";
import { Governor } from "../src/gateway/governor.js";
import { MemorySink } from "../src/gateway/sink.js";
import { createGovernedServer, type McpProxyOptions } from "../src/mcp/proxy.js";
import { planCall } from "../src/mcp/enforce.js";
import { planSampling } from "../src/mcp/sampling.js";
import { decide } from "../src/engine/decide.js";
import { ApprovalStore } from "../src/approvals/store.js";

const POLICY = `
id: enforce-test
version: "1"
default: BLOCK
tools: { echo: read, search: read, shell: exec, send: write, deploy: write, secret_tool: write }
rules:
  - { id: declared, match: { class: [read, exec, write] }, verdict: ALLOW }
  - id: redact-token
    match: { tool: echo }
    when: { field: args.token, exists: true }
    verdict: MODIFY
    code: TOKEN_REDACTED
    modify: [ { redact: args.token, with: "[REDACTED]" } ]
  - id: search-budget
    match: { tool: search }
    verdict: THROTTLE
    code: SEARCH_BUDGET
    message: "search budget of {limit} per {window} used"
    throttle: { limit: 2, per: 1h, key: [agent.id] }
  - id: shell-sandbox
    match: { tool: shell }
    verdict: SANDBOX
    code: SHELL_SANDBOXED
    sandbox: { filesystem: { allow: [/tmp] }, network: { deny: ["*"] } }
  - id: send-approval
    match: { tool: send }
    verdict: ESCALATE
    code: SEND_NEEDS_APPROVAL
    approval: { group: ops, timeout: 200ms }
  - { id: never-secret, match: { tool: secret_tool }, verdict: BLOCK, code: NEVER }
  - id: deploy-approval
    match: { tool: deploy }
    verdict: ESCALATE
    code: DEPLOY_NEEDS_APPROVAL
    approval: { group: ops, timeout: 60s }
  - id: redact-deploy-token
    match: { tool: deploy }
    when: { field: args.token, exists: true }
    verdict: MODIFY
    code: DEPLOY_TOKEN_REDACTED
    modify: [ { redact: args.token, with: "[REDACTED]" } ]
`;

async function setup(extra: Partial<McpProxyOptions> = {}) {
  const compiled = compilePolicy(POLICY);
  assert.ok(compiled.ok, JSON.stringify(compiled.diagnostics));
  const upstreamCalls: Array<{ tool: string; args: unknown }> = [];
  const real = new McpServer({ name: "test-upstream", version: "1.0.0" });
  for (const name of ["echo", "search", "shell", "send", "deploy", "secret_tool", "undeclared"]) {
    real.registerTool(name, { inputSchema: { token: z.string().optional(), q: z.string().optional() } }, async (args) => {
      upstreamCalls.push({ tool: name, args });
      return { content: [{ type: "text", text: JSON.stringify(args) }] };
    });
  }
  const [a, b] = InMemoryTransport.createLinkedPair();
  await real.connect(a);
  const upstream = new Client({ name: "proxy", version: "1" });
  await upstream.connect(b);
  const sink = new MemorySink();
  const governorOf = new Governor(compiled.policy, { sink });
  const governed = createGovernedServer(upstream, { governor: governorOf, agent: { id: "agent-1" }, ...extra });
  const [c, d] = InMemoryTransport.createLinkedPair();
  await governed.server.connect(c);
  const client = new Client({ name: "agent", version: "1" });
  await client.connect(d);
  const call = async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  return { client, call, upstreamCalls, sink, stats: governed.stats, governed, governor: governorOf };
}
const text = (r: CallToolResult): string => r.content.map((c) => (c.type === "text" ? c.text : "")).join("");
/** The decision a refusal carries in `_meta["warden/decision"]`. */
const meta = (r: CallToolResult): Record<string, unknown> => (r._meta?.["warden/decision"] ?? {}) as Record<string, unknown>;

test("tools/list hides tools no rule can allow (undeclared, or unconditionally blocked)", async () => {
  const { client } = await setup();
  const names = (await client.listTools()).tools.map((t) => t.name).sort();
  assert.deepEqual(names, ["deploy", "echo", "search", "send", "shell"]);
});

test("ALLOW forwards unchanged; MODIFY forwards the modified arguments", async () => {
  const { call, upstreamCalls, sink } = await setup();
  assert.equal(text(await call("echo", { q: "hi" })), '{"q":"hi"}');
  const r = await call("echo", { q: "hi", token: "sk-123" });
  assert.notEqual(r.isError, true);
  assert.deepEqual(upstreamCalls[1]?.args, { q: "hi", token: "[REDACTED]" });
  assert.doesNotMatch(text(r), /sk-123/);
  assert.equal(sink.entries.length, 2, "every decision is recorded");
  assert.equal(sink.entries[1]?.decision.verdict, "MODIFY");
});

test("THROTTLE is a tool error with the retry delay, and the server is not called", async () => {
  const { call, upstreamCalls } = await setup();
  await call("search", { q: "1" });
  await call("search", { q: "2" });
  const r = await call("search", { q: "3" });
  assert.equal(r.isError, true);
  assert.match(text(r), /Warden throttled `search`.*SEARCH_BUDGET.*Retry after \d+ ms/);
  // The policy's own refusal: its code, and no proxy refusal.
  assert.equal(meta(r).code, "SEARCH_BUDGET");
  assert.equal(meta(r).refusal, undefined);
  assert.equal(upstreamCalls.filter((c) => c.tool === "search").length, 2);
});

test("SANDBOX is refused when no executor is configured, and says so", async () => {
  const { call, upstreamCalls } = await setup();
  const r = await call("shell", { q: "ls" });
  assert.equal(r.isError, true);
  assert.match(text(r), /SHELL_SANDBOXED.*No sandbox executor is configured/);
  // The decision's code, and the proxy's own reason for not carrying it out.
  assert.equal(meta(r).code, "SHELL_SANDBOXED");
  assert.equal(meta(r).refusal, "SANDBOX_UNAVAILABLE");
  assert.equal(upstreamCalls.length, 0);
});

test("BLOCK (rule or default) is a tool error naming the reason code", async () => {
  const { call, upstreamCalls, stats } = await setup();
  assert.match(text(await call("secret_tool")), /Warden blocked `secret_tool`.*NEVER/);
  assert.match(text(await call("undeclared")), /DEFAULT_BLOCK/);
  assert.equal(upstreamCalls.length, 0);
  assert.equal(stats.stopped, 2);
});

test("ESCALATE without an approval store is refused; with one it times out to deny", async () => {
  const none = await setup();
  const unheld = await none.call("send");
  assert.match(text(unheld), /no approval store is configured/);
  assert.equal(meta(unheld).code, "SEND_NEEDS_APPROVAL");
  assert.equal(meta(unheld).refusal, "APPROVALS_UNAVAILABLE");
  const store = new ApprovalStore(mkdtempSync(join(tmpdir(), "warden-apr-")));
  const withStore = await setup({ approvals: store, approvalPollMs: 10 });
  const r = await withStore.call("send", { q: "x" });
  assert.match(text(r), /not approved within 200 ms/);
  assert.equal(meta(r).approvalStatus, "expired");
  assert.equal(meta(r).refusal, undefined);
  assert.equal(withStore.upstreamCalls.length, 0);
  assert.equal(store.list("expired").length, 1);
});

test("ESCALATE approved: the held call runs with the arguments MODIFY rules require, and the approver saw them", async () => {
  const store = new ApprovalStore(mkdtempSync(join(tmpdir(), "warden-apr-")));
  const { call, upstreamCalls, stats } = await setup({ approvals: store, approvalPollMs: 10 });
  const pending = call("deploy", { q: "x", token: "sk-live" });
  let id: string | undefined;
  while (id === undefined) {
    id = store.list("pending")[0]?.request.id;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.deepEqual(store.get(id)?.request.action.args, { q: "x", token: "[REDACTED]" });
  store.resolve(id, "approved", "dana");
  const r = await pending;
  assert.notEqual(r.isError, true, text(r));
  assert.deepEqual(upstreamCalls, [{ tool: "deploy", args: { q: "x", token: "[REDACTED]" } }]);
  assert.equal(stats.held, 1);
});

test("fail closed: a decision that cannot be recorded is a BLOCK and the server is not called", async () => {
  const { call, upstreamCalls, sink } = await setup();
  sink.failWith = new Error("audit disk unavailable");
  const r = await call("echo", { q: "hi" });
  assert.equal(r.isError, true);
  assert.match(text(r), /AUDIT_UNAVAILABLE.*audit disk unavailable/);
  assert.equal(upstreamCalls.length, 0);
});

test("the agent identity comes from the proxy configuration, not the call", async () => {
  const { call, sink } = await setup();
  await call("echo", { q: "x" });
  const action = sink.entries[0]?.action as { agent: { id: string }; kind: string; at: string };
  assert.deepEqual(action.agent, { id: "agent-1" });
  assert.equal(action.kind, "tool_call");
  assert.ok(!Number.isNaN(Date.parse(action.at)));
});

test("a policy reload tells the agent to list tools again, and the list follows the new policy", async () => {
  const { client, governed, governor } = await setup();
  let notified = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    notified++;
  });
  assert.ok((await client.listTools()).tools.some((t) => t.name === "shell"));
  const tighter = compilePolicy(POLICY.replace("shell: exec, ", ""));
  assert.ok(tighter.ok);
  governor.setPolicy(tighter.policy);
  await governed.policyChanged();
  for (let i = 0; i < 100 && notified === 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(notified, 1);
  assert.ok(!(await client.listTools()).tools.some((t) => t.name === "shell"));
});

test("the real server gets the proxy's environment, minus Warden's tokens", async () => {
  const { childEnvironment } = await import("../src/mcp/stdio.js");
  const env = childEnvironment({ PATH: "/bin", GITHUB_TOKEN: "ghp_x", WARDEN_API_TOKEN: "secret", WARDEN_MCP_TOKEN: "secret2", WARDEN_AGENT_ID: "a" });
  assert.equal(env.GITHUB_TOKEN, "ghp_x");
  assert.equal(env.WARDEN_AGENT_ID, "a");
  assert.equal(env.WARDEN_API_TOKEN, undefined);
  assert.equal(env.WARDEN_MCP_TOKEN, undefined);
});

test("a decision the proxy cannot carry out as written is refused with the proxy's own code beside the decision's", () => {
  const compiled = compilePolicy(POLICY);
  assert.ok(compiled.ok);
  const modify = decide(compiled.policy, { kind: "tool_call", at: "2026-03-02T10:00:00Z", tool: "echo", args: { token: "sk" } });
  assert.equal(modify.verdict, "MODIFY");
  const broken = { ...modify, obligations: { ...modify.obligations, modify: null } };
  const plan = planCall("echo", { token: "sk" }, broken, false);
  assert.ok(plan.kind === "refuse");
  assert.equal(plan.refusal, "MODIFY_UNAVAILABLE");
  assert.match(plan.text, /could not apply the required changes to `echo`.*TOKEN_REDACTED/);
  const escalate = decide(compiled.policy, { kind: "tool_call", at: "2026-03-02T10:00:00Z", tool: "send", args: {} });
  assert.equal(escalate.verdict, "ESCALATE");
  const reasonless = { ...escalate, reasons: [] };
  assert.equal((planCall("send", {}, reasonless, false) as { refusal?: string }).refusal, "ESCALATE_WITHOUT_REASON");
  const sampling = { messages: [], maxTokens: 10 } as unknown as Parameters<typeof planSampling>[0];
  assert.equal((planSampling(sampling, reasonless) as { refusal?: string }).refusal, "ESCALATE_WITHOUT_REASON");
  const sandboxed = decide(compiled.policy, { kind: "tool_call", at: "2026-03-02T10:00:00Z", tool: "shell", args: {} });
  assert.equal((planSampling(sampling, sandboxed) as { refusal?: string }).refusal, "SANDBOX_UNAVAILABLE");
  const blocked = decide(compiled.policy, { kind: "tool_call", at: "2026-03-02T10:00:00Z", tool: "secret_tool", args: {} });
  assert.equal((planCall("secret_tool", {}, blocked, true) as { refusal?: string }).refusal, undefined);
});
