// An approval outcome is recorded through the same sink as the ESCALATE decision, bound to the sink's receipt;
// when it cannot be recorded an approved call does not run. In process: the MCP proxy (SDK server upstream,
// in-memory transports) and guard() with a governor.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { CreateMessageRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { ApprovalStore } from "../src/approvals/store.js";
import { compilePolicy } from "../src/compile/compile.js";
import { Governor } from "../src/gateway/governor.js";
import type { DecisionSink, SinkReceipt } from "../src/gateway/sink.js";
import { guard, WardenBlockedError } from "../src/guard/index.js";
import { createGovernedServer } from "../src/mcp/proxy.js";
import type { Decision } from "../src/types.js";

const POLICY = `
id: outcome-test
version: "1"
default: BLOCK
tools: { deploy: write, ask: read }
rules:
  - { id: declared, match: { class: [write, read] }, verdict: ALLOW }
  - { id: models, match: { kind: model_call }, verdict: ALLOW }
  - id: model-approval
    match: { kind: model_call }
    verdict: ESCALATE
    code: MODEL_NEEDS_APPROVAL
    approval: { group: ops, timeout: 60s }
  - id: deploy-approval
    match: { tool: deploy }
    verdict: ESCALATE
    code: DEPLOY_NEEDS_APPROVAL
    approval: { group: ops, timeout: 60s }
`;

/** A sink that names its records like a log would, and can be made to fail. */
class ReceiptSink implements DecisionSink {
  readonly entries: Array<{ action: any; decision: Decision }> = [];
  failWith: Error | null = null;
  async append(action: unknown, decision: Decision): Promise<SinkReceipt> {
    if (this.failWith) throw this.failWith;
    this.entries.push({ action, decision });
    return { record: `memlog:${this.entries.length - 1}`, inputHash: `sha256:${String(this.entries.length - 1).padStart(64, "0")}` };
  }
  state() {
    return { kind: "receipts", ok: this.failWith === null };
  }
  async close(): Promise<void> {}
}

function policy() {
  const compiled = compilePolicy(POLICY);
  assert.ok(compiled.ok, JSON.stringify(compiled.diagnostics));
  return compiled.policy;
}

/**
 * `real` behind the governed proxy (all in memory), with a receipt sink and an approval store. `sampling`
 * declares the capability on both clients; `setup` runs on the agent's client before it connects.
 */
async function governedAround(real: McpServer, sampling = false, setup: (client: Client) => void = () => {}) {
  const options = sampling ? { capabilities: { sampling: {} } } : undefined;
  const [a, b] = InMemoryTransport.createLinkedPair();
  await real.connect(a);
  const upstream = new Client({ name: "proxy", version: "1" }, options);
  await upstream.connect(b);
  const sink = new ReceiptSink();
  const store = new ApprovalStore(mkdtempSync(join(tmpdir(), "warden-outcome-")));
  const governed = createGovernedServer(upstream, { governor: new Governor(policy(), { sink }), agent: { id: "agent-1" }, approvals: store, approvalPollMs: 5 });
  const [c, d] = InMemoryTransport.createLinkedPair();
  await governed.server.connect(c);
  const client = new Client({ name: "agent", version: "1" }, options);
  setup(client);
  await client.connect(d);
  return { client, sink, store };
}

async function proxy() {
  const calls: unknown[] = [];
  const real = new McpServer({ name: "upstream", version: "1.0.0" });
  real.registerTool("deploy", { inputSchema: { env: z.string().optional() } }, async (args) => {
    calls.push(args);
    return { content: [{ type: "text", text: "deployed" }] };
  });
  const { client, sink, store } = await governedAround(real);
  const call = async () => (await client.callTool({ name: "deploy", arguments: { env: "prod" } })) as CallToolResult;
  return { call, calls, sink, store };
}

async function pending(store: ApprovalStore): Promise<string> {
  for (let i = 0; i < 1000; i++) {
    const id = store.list("pending")[0]?.request.id;
    if (id !== undefined) return id;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("no call was held for approval");
}

const text = (r: CallToolResult): string => r.content.map((c) => (c.type === "text" ? c.text : "")).join("");

test("MCP: the outcome record follows the ESCALATE record in the same sink, bound to its receipt", async () => {
  const { call, calls, sink, store } = await proxy();
  const running = call();
  store.resolve(await pending(store), "approved", "dana", "ship it");
  const r = await running;
  assert.notEqual(r.isError, true, text(r));
  assert.equal(calls.length, 1);
  assert.equal(sink.entries.length, 2);
  assert.equal(sink.entries[0]?.decision.verdict, "ESCALATE");
  const { action, decision } = sink.entries[1]!;
  assert.equal(decision.verdict, "ALLOW");
  assert.equal(decision.reasons[0]?.code, "APPROVAL_GRANTED");
  assert.deepEqual(action.args.decision, { record: "memlog:0", inputHash: `sha256:${"0".repeat(64)}` });
  assert.deepEqual(action.agent, { id: "dana" });
  assert.equal(action.args.note, "ship it");
});

test("MCP: an approval that cannot be recorded does not run the call (fail closed)", async () => {
  const { call, calls, sink, store } = await proxy();
  const running = call();
  const id = await pending(store);
  sink.failWith = new Error("audit disk full");
  store.resolve(id, "approved", "dana");
  const r = await running;
  assert.equal(r.isError, true);
  assert.match(text(r), new RegExp(`approval ${id} and it was approved by dana, but the approval could not be recorded in the audit log \\(audit disk full\\), so the call is refused\\. The tool was not called\\.`));
  assert.equal((r._meta as any)["warden/decision"].approvalError, "AUDIT_UNAVAILABLE");
  assert.equal(calls.length, 0, "the server never saw the call");
});

test("MCP: a denial is recorded even though the call is refused anyway", async () => {
  const { call, calls, sink, store } = await proxy();
  const running = call();
  store.resolve(await pending(store), "denied", "erin");
  assert.equal((await running).isError, true);
  assert.equal(calls.length, 0);
  assert.equal(sink.entries[1]?.decision.reasons[0]?.code, "APPROVAL_DENIED");
});

test("guard(): the outcome is recorded through the governor's sink, and an unrecorded approval throws instead of running", async () => {
  const sink = new ReceiptSink();
  const store = new ApprovalStore(mkdtempSync(join(tmpdir(), "warden-outcome-")));
  let ran = 0;
  const deploy = guard(async (_args: { env: string }) => ++ran, { name: "deploy", governor: new Governor(policy(), { sink }), approvals: store, approvalPollMs: 5, agent: { id: "bot" } });

  const ok = deploy({ env: "prod" });
  store.resolve(await pending(store), "approved", "alice");
  assert.equal(await ok, 1);
  assert.equal(sink.entries[1]?.decision.reasons[0]?.code, "APPROVAL_GRANTED");
  assert.deepEqual(sink.entries[1]?.action.args.decision, { record: "memlog:0", inputHash: `sha256:${"0".repeat(64)}` });

  const denied = deploy({ env: "prod" });
  store.resolve(await pending(store), "denied", "bob");
  await assert.rejects(denied, (e: unknown) => e instanceof WardenBlockedError && /denied/.test(e.message));
  assert.equal(sink.entries[3]?.decision.reasons[0]?.code, "APPROVAL_DENIED");
  assert.equal(sink.entries[3]?.action.args.decision.record, "memlog:2");

  const lost = deploy({ env: "prod" });
  const id = await pending(store);
  sink.failWith = new Error("sink down");
  store.resolve(id, "approved", "alice");
  await assert.rejects(lost, (e: unknown) => e instanceof WardenBlockedError && e.code === "AUDIT_UNAVAILABLE" && /approved but could not be recorded \(sink down\)/.test(e.message));
  assert.equal(ran, 1, "only the recorded approval ran the tool");
});

test("MCP sampling: a held sampling request's outcome is recorded for `sampling/createMessage`, bound to its model_call record", async () => {
  const real = new McpServer({ name: "upstream", version: "1.0.0" });
  real.registerTool("ask", { inputSchema: {} }, async () => {
    const r = await real.server.createMessage({ messages: [{ role: "user", content: { type: "text", text: "hi" } }], maxTokens: 5 });
    return { content: [{ type: "text", text: r.content.type === "text" ? r.content.text : "?" }] };
  });
  let asked = 0;
  const { client, sink, store } = await governedAround(real, true, (agent) =>
    agent.setRequestHandler(CreateMessageRequestSchema, async () => {
      asked++;
      return { role: "assistant", model: "m", content: { type: "text", text: "hello" } };
    }),
  );
  const running = client.callTool({ name: "ask", arguments: {} }) as Promise<CallToolResult>;
  store.resolve(await pending(store), "approved", "frank");
  const r = await running;
  assert.equal(text(r), "hello");
  assert.equal(asked, 1);
  const kinds = sink.entries.map((e) => `${e.action.kind}:${e.decision.verdict}`);
  assert.deepEqual(kinds, ["tool_call:ALLOW", "model_call:ESCALATE", "approval:ALLOW"]);
  const approval = sink.entries[2]!.action;
  assert.equal(approval.tool, "sampling/createMessage");
  assert.equal(approval.args.decision.record, "memlog:1");
});
