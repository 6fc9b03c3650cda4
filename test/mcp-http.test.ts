// Streamable-HTTP mode: the SDK's real Client over HTTP → the governed proxy → a real SDK McpServer served
// over streamable HTTP. Sessions are separate, budgets are shared, auth is enforced, and `warden mcp
// --upstream-url` runs as a process.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { compilePolicy } from "../src/compile/compile.js";
import { Governor } from "../src/gateway/governor.js";
import { runHttpProxy, type RunningHttpProxy } from "../src/mcp/http.js";
import { startHttpUpstream, type HttpUpstream } from "./mcp-http-upstream.js";
import { startWardenHttpCli } from "./mcp-cli.js";

const POLICY = `
id: http-test
version: "1"
default: BLOCK
tools: { echo: read, lookup: read, wipe: write }
rules:
  - { id: reads, match: { class: read }, verdict: ALLOW }
  - id: lookup-budget
    match: { tool: lookup }
    verdict: THROTTLE
    code: LOOKUP_BUDGET
    throttle: { limit: 2, per: 1h, key: [agent.id] }
  - { id: no-wipe, match: { tool: wipe }, verdict: BLOCK, code: NO_WIPE, message: "wiping is never allowed" }
`;

const upstreamCalls: string[] = [];
let upstream: HttpUpstream;
let upstreamUrl: string;

before(async () => {
  upstream = await startHttpUpstream("http-upstream", "2.0.0", (mcp) => {
    for (const name of ["echo", "lookup", "wipe"]) {
      mcp.registerTool(name, { inputSchema: { q: z.string().optional() } }, async (args) => {
        upstreamCalls.push(name);
        return { content: [{ type: "text", text: `${name}:${args.q ?? ""}` }] };
      });
    }
  });
  upstreamUrl = upstream.url;
});

after(async () => {
  await upstream.close();
});

async function proxy(token: string | null = null): Promise<RunningHttpProxy> {
  const c = compilePolicy(POLICY);
  assert.ok(c.ok);
  return runHttpProxy({ upstreamUrl, governor: new Governor(c.policy), agent: { id: "http-agent" }, token });
}

async function connect(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: "agent", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : undefined));
  return client;
}
const text = (r: unknown): string => (r as CallToolResult).content.map((c) => (c.type === "text" ? c.text : "")).join("");

test("over streamable HTTP: allowed calls reach the server, blocked ones do not, tools are filtered", async () => {
  const p = await proxy();
  const client = await connect(p.url);
  try {
    assert.equal(client.getServerVersion()?.name, "http-upstream");
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), ["echo", "lookup"]);
    assert.equal(text(await client.callTool({ name: "echo", arguments: { q: "hi" } })), "echo:hi");
    const blocked = (await client.callTool({ name: "wipe", arguments: {} })) as CallToolResult;
    assert.equal(blocked.isError, true);
    assert.match(text(blocked), /NO_WIPE: wiping is never allowed/);
    assert.ok(!upstreamCalls.includes("wipe"));
    assert.equal(p.sessions(), 1);
  } finally {
    await client.close();
    await p.close();
  }
});

test("two agent sessions share one set of budgets", async () => {
  const p = await proxy();
  const a = await connect(p.url);
  const b = await connect(p.url);
  try {
    assert.equal(p.sessions(), 2);
    assert.equal(text(await a.callTool({ name: "lookup", arguments: { q: "1" } })), "lookup:1");
    assert.equal(text(await b.callTool({ name: "lookup", arguments: { q: "2" } })), "lookup:2");
    const third = (await a.callTool({ name: "lookup", arguments: { q: "3" } })) as CallToolResult;
    assert.equal(third.isError, true);
    assert.match(text(third), /LOOKUP_BUDGET.*Retry after \d+ ms/);
    assert.equal(p.stats().forwarded, 2);
  } finally {
    await a.close();
    await b.close();
    await p.close();
  }
});

test("the bearer token is required when configured; requests without a session must initialize", async () => {
  const token = "mcp-proxy-token-0123456789";
  const p = await proxy(token);
  try {
    await assert.rejects(connect(p.url), /401|UNAUTHORIZED/);
    const ok = await connect(p.url, token);
    assert.equal(text(await ok.callTool({ name: "echo", arguments: { q: "t" } })), "echo:t");
    await ok.close();
    const stray = await fetch(p.url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
    assert.equal(stray.status, 400);
    assert.match(await stray.text(), /NO_SESSION/);
    const broken = await fetch(p.url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{not json" });
    assert.equal(broken.status, 400);
    assert.match(await broken.text(), /INVALID_JSON/);
    const notUtf8 = await fetch(p.url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) });
    assert.equal(notUtf8.status, 400);
    assert.match(await notUtf8.text(), /INVALID_UTF8/);
  } finally {
    await p.close();
  }
});

test("`warden mcp --upstream-url` runs as a process and governs calls", async () => {
  const policyFile = join(mkdtempSync(join(tmpdir(), "warden-mcp-http-")), "policy.yaml");
  writeFileSync(policyFile, POLICY);
  const cli = await startWardenHttpCli(["mcp", "--policy", policyFile, "--upstream-url", upstreamUrl, "--listen", "127.0.0.1:0", "--agent-id", "cli-agent", "--json", "--log-level", "warn"], { ...process.env, WARDEN_MCP_TOKEN: "" });
  try {
    assert.match(cli.stderr(), /UNAUTHENTICATED/);
    const client = await connect(cli.url);
    assert.match(text(await client.callTool({ name: "wipe", arguments: {} })), /NO_WIPE/);
    assert.equal(text(await client.callTool({ name: "echo", arguments: { q: "cli" } })), "echo:cli");
    await client.close();
    // SIGHUP reloads the policy (as for serve) instead of ending the process without closing its audit sink.
    writeFileSync(policyFile, POLICY.replace("version: \"1\"", "version: \"2\"").replace("code: NO_WIPE,", "code: NO_WIPE_V2,"));
    cli.signal("SIGHUP");
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(cli.running(), true, cli.stderr());
    const again = await connect(cli.url);
    assert.equal(text(await again.callTool({ name: "echo", arguments: { q: "after" } })), "echo:after");
    assert.match(text(await again.callTool({ name: "wipe", arguments: {} })), /NO_WIPE_V2/);
    await again.close();
  } finally {
    assert.equal(await cli.stop(), 0, cli.stderr());
  }
});

test("`warden drill --target mcp --upstream-url` fires known-bad calls at a streamable-HTTP server through the proxy", async () => {
  const { runCli } = await import("../src/cli/main.js");
  const dir = mkdtempSync(join(tmpdir(), "warden-mcp-http-drill-"));
  writeFileSync(join(dir, "p.yaml"), POLICY);
  writeFileSync(join(dir, "p.test.yaml"), `policy: p.yaml
cases:
  - { name: wipe is blocked, action: { kind: tool_call, tool: wipe, agent: { id: d }, args: {} }, expect: { verdict: BLOCK, codes: [NO_WIPE] } }
  - { name: undeclared is blocked, action: { kind: tool_call, tool: echo2, agent: { id: d }, args: {} }, expect: { verdict: BLOCK, codes: [DEFAULT_BLOCK] } }
  - { name: echo is fine, action: { kind: tool_call, tool: echo, agent: { id: d }, args: {} }, expect: { verdict: ALLOW } }
`);
  const before = upstreamCalls.length;
  const o = { stdout: "", stderr: "", out(t: string) { o.stdout += t; }, err(t: string) { o.stderr += t; }, readStdin: async () => "", cwd: process.cwd(), env: {} as Record<string, string> };
  assert.equal(await runCli(["drill", "--policy", join(dir, "p.yaml"), "--target", "mcp", "--upstream-url", upstreamUrl, "--json"], o), 0, o.stdout + o.stderr);
  const r = JSON.parse(o.stdout);
  assert.equal(r.fired, 2);
  assert.equal(r.through, 0);
  assert.equal(upstreamCalls.length, before, "no known-bad call reached the server");
});

test("`warden mcp --upstream-url` sends the upstream server's bearer token (--upstream-token-file or WARDEN_UPSTREAM_TOKEN)", async () => {
  const secret = "upstream-secret-token";
  const guarded = await startHttpUpstream("guarded-upstream", "1.0.0", (mcp) => {
    mcp.registerTool("echo", { inputSchema: { q: z.string().optional() } }, async (args) => ({ content: [{ type: "text", text: `echo:${args.q ?? ""}` }] }));
  }, secret);
  const dir = mkdtempSync(join(tmpdir(), "warden-mcp-upstream-token-"));
  const policyFile = join(dir, "policy.yaml");
  writeFileSync(policyFile, POLICY);
  writeFileSync(join(dir, "token"), `${secret}\n`);
  writeFileSync(join(dir, "wrong"), "not-the-token\n");
  const base = ["mcp", "--policy", policyFile, "--upstream-url", guarded.url, "--listen", "127.0.0.1:0", "--json", "--log-level", "warn"];
  try {
    for (const [extra, env] of [[["--upstream-token-file", join(dir, "token")], {}], [[], { WARDEN_UPSTREAM_TOKEN: secret }]] as const) {
      const cli = await startWardenHttpCli([...base, ...extra], { ...process.env, WARDEN_MCP_TOKEN: "", ...env });
      try {
        const client = await connect(cli.url);
        assert.equal(text(await client.callTool({ name: "echo", arguments: { q: "authorized" } })), "echo:authorized");
        await client.close();
      } finally {
        assert.equal(await cli.stop(), 0, cli.stderr());
      }
    }
    // A wrong token: the upstream refuses, and the agent is told the server cannot be reached (never a pass-through).
    const cli = await startWardenHttpCli([...base, "--upstream-token-file", join(dir, "wrong")], { ...process.env, WARDEN_MCP_TOKEN: "", WARDEN_UPSTREAM_TOKEN: "" });
    try {
      await assert.rejects(connect(cli.url), /UPSTREAM_UNAVAILABLE|401|unauthorized/i);
      assert.ok(!cli.stderr().includes("not-the-token"), "the token is never logged");
    } finally {
      await cli.stop();
    }
  } finally {
    await guarded.close();
  }
});
