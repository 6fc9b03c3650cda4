// A held (ESCALATE'd) action's sensitive fields never reach the approval store in clear: the approver sees
// `[sensitive]` and the pointers masked, while the approved call still runs with the real values (MCP proxy and guard()).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { heldView } from "../src/approvals/held-view.js";
import { APPROVALS_FILE, ApprovalStore } from "../src/approvals/store.js";
import { runCli } from "../src/cli/main.js";
import { compilePolicy } from "../src/compile/compile.js";
import { Governor } from "../src/gateway/governor.js";
import { buildGateway } from "../src/gateway/server.js";
import { guard } from "../src/guard/guard.js";
import { parseSensitiveHeader, SENSITIVE_HEADER, sensitiveHeader } from "../src/guard/sidecar-client.js";
import { createGovernedServer } from "../src/mcp/proxy.js";
import { captureIO as io } from "./cli-capture.js";

const POLICY = `
id: held-pii
version: "1"
default: BLOCK
sensitive: [args.ssn, args.cards.*.number]
tools: { pay: payment }
rules:
  - { id: payments, match: { class: payment }, verdict: ALLOW }
  - id: pay-needs-approval
    match: { tool: pay }
    verdict: ESCALATE
    code: PAY_NEEDS_APPROVAL
    message: "payment for {args.ssn} needs a human"
    approval: { group: finance, timeout: 60s }
`;
const SSN = "078-05-1120";
const CARD = "4111111111111111";

function compiled() {
  const c = compilePolicy(POLICY);
  assert.ok(c.ok, JSON.stringify(c.diagnostics));
  return c.policy;
}

/** Waits for the one pending request, checks what the store holds, approves it. */
async function approveTheOnlyRequest(dir: string): Promise<void> {
  const store = new ApprovalStore(dir);
  let pending = store.list("pending");
  for (let i = 0; i < 500 && pending.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
    pending = store.list("pending");
  }
  const req = pending[0]?.request;
  assert.ok(req, "no pending approval request");
  const bytes = readFileSync(join(dir, APPROVALS_FILE), "utf8");
  assert.ok(!bytes.includes(SSN) && !bytes.includes(CARD), `the approval store holds a sensitive value in clear:\n${bytes}`);
  assert.deepEqual(req.action.args, { amount: 12, ssn: "[sensitive]", cards: [{ number: "[sensitive]", exp: "12/29" }] });
  assert.deepEqual(req.masked, ["/args/cards/0/number", "/args/ssn"]);
  assert.doesNotMatch(req.message, /078/);
  // The console says which fields it does not show.
  const o = io();
  assert.equal(await runCli(["approvals", "list", "--dir", dir], o), 0);
  assert.match(o.stdout, /sensitive, not shown: \/args\/cards\/0\/number \/args\/ssn/);
  store.resolve(req.id, "approved", "carol");
}

const ARGS = { amount: 12, ssn: SSN, cards: [{ number: CARD, exp: "12/29" }] };

test("heldView masks every location of a sensitive path, copies only when needed, never touches the original", () => {
  const view = { tool: "pay", args: structuredClone(ARGS) };
  const shown = heldView(view, ["args.ssn", "args.cards.*.number", "args.cards"]);
  assert.deepEqual(shown.view.args, { amount: 12, ssn: "[sensitive]", cards: "[sensitive]" });
  assert.deepEqual(shown.masked, ["/args/cards", "/args/cards/0/number", "/args/ssn"]);
  assert.deepEqual(view.args, ARGS);
  // What JSON leaves out (a callback among guard()'s arguments) is left out of the view too, without an error.
  const withCallback = heldView({ tool: "pay", args: { ssn: SSN, onDone: () => 1 } }, ["args.ssn"]);
  assert.deepEqual(withCallback.view.args, { ssn: "[sensitive]" });
  const plain = { tool: "pay", args: { amount: 1 } };
  assert.equal(heldView(plain, ["args.ssn"]).view, plain);
  assert.deepEqual(heldView(plain, ["args.ssn"]).masked, []);
});

test("MCP proxy: the approval store shows [sensitive]; the approved call reaches the server with the real values", async () => {
  const seen: unknown[] = [];
  const real = new McpServer({ name: "pay-server", version: "1.0.0" });
  real.registerTool("pay", { inputSchema: { amount: z.number(), ssn: z.string(), cards: z.array(z.object({ number: z.string(), exp: z.string() })) } }, async (args) => {
    seen.push(args);
    return { content: [{ type: "text", text: "paid" }] };
  });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await real.connect(a);
  const upstream = new Client({ name: "proxy", version: "1" });
  await upstream.connect(b);
  const dir = mkdtempSync(join(tmpdir(), "warden-held-pii-"));
  const governed = createGovernedServer(upstream, { governor: new Governor(compiled()), agent: { id: "agent-1" }, approvals: new ApprovalStore(dir), approvalPollMs: 10 });
  const [c, d] = InMemoryTransport.createLinkedPair();
  await governed.server.connect(c);
  const client = new Client({ name: "agent", version: "1" });
  await client.connect(d);
  try {
    const result = client.callTool({ name: "pay", arguments: structuredClone(ARGS) }) as Promise<CallToolResult>;
    await approveTheOnlyRequest(dir);
    const r = await result;
    assert.notEqual(r.isError, true, JSON.stringify(r));
    assert.deepEqual(seen, [ARGS]);
  } finally {
    await client.close();
  }
});

test("guard() in process: the approval store shows [sensitive]; the approved tool gets the real values", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-held-pii-guard-"));
  const got: unknown[] = [];
  const pay = guard(async (args: typeof ARGS) => (got.push(args), "paid"), { name: "pay", policy: compiled(), approvals: new ApprovalStore(dir), approvalPollMs: 10 });
  const pending = pay(structuredClone(ARGS));
  await approveTheOnlyRequest(dir);
  assert.equal(await pending, "paid");
  assert.deepEqual(got, [ARGS]);
});

test("guard() with a sidecar masks the sidecar policy's sensitive fields, named by the warden-sensitive header", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-held-pii-sidecar-"));
  const { app } = buildGateway({ governor: new Governor(compiled()), apiToken: "held-pii-token-0123456789abcdef" });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    // The header is sent with an ESCALATE only.
    const headers = { authorization: "Bearer held-pii-token-0123456789abcdef", "content-type": "application/json" };
    const held = await fetch(`${url}/v1/decide`, { method: "POST", headers, body: JSON.stringify({ kind: "tool_call", tool: "pay", args: ARGS }) });
    assert.equal(((await held.json()) as { verdict: string }).verdict, "ESCALATE");
    assert.equal(held.headers.get(SENSITIVE_HEADER), "args.cards.*.number,args.ssn");
    const blocked = await fetch(`${url}/v1/decide`, { method: "POST", headers, body: JSON.stringify({ kind: "tool_call", tool: "other", args: ARGS }) });
    assert.equal(((await blocked.json()) as { verdict: string }).verdict, "BLOCK");
    assert.equal(blocked.headers.get(SENSITIVE_HEADER), null);

    const got: unknown[] = [];
    const options = { name: "pay", sidecarUrl: url, token: "held-pii-token-0123456789abcdef", approvals: new ApprovalStore(dir), approvalPollMs: 10 };
    const pay = guard(async (args: typeof ARGS) => (got.push(args), "paid"), options);
    const pending = pay(structuredClone(ARGS));
    await approveTheOnlyRequest(dir);
    assert.equal(await pending, "paid");
    assert.deepEqual(got, [ARGS]);
    assert.throws(() => guard(async () => 1, { ...options, sensitive: ["args..ssn"] }), /options\.sensitive: sensitive field `args\.\.ssn` is not a dotted path/);
    assert.throws(() => guard(async () => 1, { ...options, sensitive: ["agent.id"] }), /cannot be sensitive/);
  } finally {
    await app.close();
  }
});


test("guard() with a sidecar also masks the fields given in options.sensitive", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-held-pii-extra-"));
  const { app } = buildGateway({ governor: new Governor(compiled()), apiToken: "held-pii-token-0123456789abcdef" });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    const pay = guard(async () => "paid", { name: "pay", sidecarUrl: url, token: "held-pii-token-0123456789abcdef", approvals: new ApprovalStore(dir), approvalPollMs: 10, sensitive: ["args.memo"] });
    const pending = pay({ amount: 12, memo: "rent for flat 4" });
    const store = new ApprovalStore(dir);
    let req = store.list("pending")[0]?.request;
    for (let i = 0; i < 500 && !req; i++) {
      await new Promise((r) => setTimeout(r, 10));
      req = store.list("pending")[0]?.request;
    }
    assert.ok(req, "no pending approval request");
    assert.deepEqual(req.action.args, { amount: 12, memo: "[sensitive]" });
    assert.deepEqual(req.masked, ["/args/memo"]);
    store.resolve(req.id, "denied", "carol");
    await assert.rejects(pending, /approval .* denied/);
  } finally {
    await app.close();
  }
});

test("the warden-sensitive header round-trips any field path, commas and non-ASCII keys included", () => {
  const paths = ["args.ssn", "args.cards.*.number", "args.a,b", "args.straße", "context.%weird"];
  const value = sensitiveHeader(paths);
  assert.match(value, /^[\x21-\x7e]*$/, "a header value must be visible ASCII");
  assert.deepEqual(parseSensitiveHeader(value), paths);
  assert.deepEqual(parseSensitiveHeader(null), []);
  assert.deepEqual(parseSensitiveHeader("args.%E0%A4%A"), ["args.%E0%A4%A"]);
});
