// The proxy's HTTP mode at its front door: an initialize the transport refuses opens no upstream session (or
// closes the one it opened), and requests addressed by a foreign Host or sent from a foreign web Origin (DNS
// rebinding, cross-site pages) are refused with 403 before anything else. A real SDK McpServer upstream over
// streamable HTTP; raw HTTP requests (node:http, which lets a test set Host) and the real SDK Client.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { compilePolicy } from "../src/compile/compile.js";
import { Governor } from "../src/gateway/governor.js";
import { runHttpProxy, type HttpProxyOptions, type RunningHttpProxy } from "../src/mcp/http.js";
import { startHttpUpstream, type HttpUpstream } from "./mcp-http-upstream.js";
import { startWardenHttpCli } from "./mcp-cli.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const POLICY = `id: hosts\nversion: "1"\ndefault: ALLOW\nrules: []\n`;

let upstream: HttpUpstream;
const calls: string[] = [];
/** Upstream sessions the proxy holds open: each live upstream session keeps one GET (its SSE stream) open. */
let openStreams = 0;
let initializes = 0;

before(async () => {
  upstream = await startHttpUpstream("hosts-upstream", "1.0.0", (mcp) => {
    mcp.registerTool("echo", { inputSchema: { q: z.string().optional() } }, async (args) => {
      calls.push(args.q ?? "");
      return { content: [{ type: "text", text: `echo:${args.q ?? ""}` }] };
    });
  });
  upstream.server.on("request", (req, res) => {
    if (req.method === "GET") {
      openStreams++;
      res.once("close", () => void openStreams--);
    }
    if (req.method === "POST" && req.headers["mcp-session-id"] === undefined) initializes++;
  });
});

after(async () => {
  await upstream.close();
});

async function proxy(extra: Partial<HttpProxyOptions> = {}): Promise<RunningHttpProxy> {
  const c = compilePolicy(POLICY);
  assert.ok(c.ok);
  return runHttpProxy({ upstreamUrl: upstream.url, governor: new Governor(c.policy), ...extra });
}

const INIT = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };
const SDK_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

/** One raw HTTP request; the body of the answer is read up to 64 KiB (an SSE answer ends when its request is answered). */
function raw(url: string, headers: Record<string, string>, body: unknown, method = "POST"): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => {
        text += c.toString();
        if (text.length > 65536) res.destroy();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const errorOf = (text: string): { code: number; message: string } => (JSON.parse(text) as { error: { code: number; message: string } }).error;

async function settle(cond: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 5000; !cond(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) assert.fail(`timed out waiting for ${what} (open upstream streams: ${openStreams})`);
}

test("initializes the transport refuses (415, 406, not JSON-RPC) leave no upstream session open", async () => {
  const p = await proxy();
  const before = initializes;
  try {
    for (let i = 0; i < 5; i++) {
      const a = await raw(p.url, { ...SDK_HEADERS, "content-type": "text/plain" }, INIT);
      assert.equal(a.status, 415);
      assert.match(errorOf(a.text).message, /^UNSUPPORTED_MEDIA_TYPE: .*Content-Type: application\/json/);
      const b = await raw(p.url, { ...SDK_HEADERS, accept: "application/json" }, INIT);
      assert.equal(b.status, 406);
      assert.match(errorOf(b.text).message, /^NOT_ACCEPTABLE: .*text\/event-stream/);
    }
    // refused by the SDK's transport only after the upstream session was opened: an initialize without jsonrpc/id
    for (let i = 0; i < 5; i++) {
      const c = await raw(p.url, SDK_HEADERS, { method: INIT.method, params: INIT.params });
      assert.equal(c.status, 400, c.text);
    }
    assert.equal(initializes - before, 5, "the 415s and 406s never reached the upstream server");
    await settle(() => openStreams === 0, "the refused sessions' upstream sessions to close");
    assert.equal(p.sessions(), 0);
    // the measure is sound: a real session holds one upstream stream open
    const client = new Client({ name: "agent", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(p.url)));
    try {
      await settle(() => openStreams === 1, "the live session's upstream stream");
      assert.equal(((await client.callTool({ name: "echo", arguments: { q: "hi" } })) as CallToolResult).content[0]?.type, "text");
    } finally {
      await client.close();
    }
  } finally {
    await p.close();
  }
  await settle(() => openStreams === 0, "the proxy's sessions to close");
});

test("without a token: a foreign Host (DNS rebinding) or a foreign Origin gets 403 before any session; loopback names and allowed ones pass", async () => {
  const p = await proxy();
  const port = new URL(p.url).port;
  const before = initializes;
  try {
    const rebinding = await raw(p.url, { ...SDK_HEADERS, host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` }, INIT);
    assert.equal(rebinding.status, 403);
    const e = errorOf(rebinding.text);
    assert.equal(e.code, -32000);
    assert.match(e.message, new RegExp(`^FORBIDDEN_HOST: refused a request addressed to host \`attacker\\.example:${port}\`: this server answers only to localhost, 127\\.0\\.0\\.1, \\[::1\\].*--allowed-hosts attacker\\.example`));
    const origin = await raw(p.url, { ...SDK_HEADERS, origin: "http://attacker.example" }, INIT);
    assert.equal(origin.status, 403);
    assert.match(errorOf(origin.text).message, /^FORBIDDEN_ORIGIN: refused a request from web origin `http:\/\/attacker\.example`.*--allowed-origins http:\/\/attacker\.example/);
    // a request with a session id, or a tools/call, is refused the same way: nothing behind the check is reached
    const call = await raw(p.url, { ...SDK_HEADERS, host: `attacker.example:${port}`, "mcp-session-id": "x" }, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo", arguments: {} } });
    assert.equal(call.status, 403);
    for (const bad of ["null", "file://", "not a url"]) assert.equal((await raw(p.url, { ...SDK_HEADERS, origin: bad }, INIT)).status, 403, bad);
    assert.equal(initializes, before, "no upstream session was opened for a refused request");
    assert.equal(p.sessions(), 0);

    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `LOCALHOST:${port}`]) {
      const ok = await raw(p.url, { ...SDK_HEADERS, host, origin: "http://localhost:6274" }, INIT);
      assert.equal(ok.status, 200, `${host}: ${ok.text}`);
    }
  } finally {
    await p.close();
  }
  // named hosts and origins are allowed when given
  const named = await proxy({ allowedHosts: ["mcp.example"], allowedOrigins: ["https://app.example"] });
  try {
    const port = new URL(named.url).port;
    assert.equal((await raw(named.url, { ...SDK_HEADERS, host: `mcp.example:${port}`, origin: "https://app.example" }, INIT)).status, 200);
    assert.equal((await raw(named.url, { ...SDK_HEADERS, host: `mcp.example:${port}`, origin: `http://mcp.example:${port}` }, INIT)).status, 200);
    assert.equal((await raw(named.url, { ...SDK_HEADERS, host: `other.example:${port}` }, INIT)).status, 403);
    assert.equal((await raw(named.url, { ...SDK_HEADERS, origin: "https://evil.example" }, INIT)).status, 403);
  } finally {
    await named.close();
  }
});

test("with a token the Host is not checked unless --allowed-hosts is given (a reverse proxy's name); a foreign Origin still is", async () => {
  const token = "proxy-token-0123456789";
  const p = await proxy({ token });
  try {
    const auth = { ...SDK_HEADERS, authorization: `Bearer ${token}` };
    assert.equal((await raw(p.url, { ...auth, host: "mcp.internal.example" }, INIT)).status, 200);
    assert.equal((await raw(p.url, { ...auth, origin: "https://evil.example" }, INIT)).status, 403);
  } finally {
    await p.close();
  }
});

test("`warden mcp --upstream-url` refuses a rebinding request, takes --allowed-hosts, and refuses a bad entry with a usage error", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-mcp-hosts-"));
  writeFileSync(join(dir, "p.yaml"), POLICY);
  const cli = await startWardenHttpCli(["mcp", "--policy", join(dir, "p.yaml"), "--upstream-url", upstream.url, "--listen", "127.0.0.1:0", "--json", "--approvals-dir", join(dir, "appr"), "--allowed-hosts", "mcp.example,gw.example:8443"]);
  try {
    const port = new URL(cli.url).port;
    const refused = await raw(cli.url, { ...SDK_HEADERS, host: `attacker.example:${port}` }, INIT);
    assert.equal(refused.status, 403);
    assert.match(errorOf(refused.text).message, /^FORBIDDEN_HOST: .*answers only to localhost, 127\.0\.0\.1, \[::1\], mcp\.example, gw\.example:8443/);
    assert.equal((await raw(cli.url, { ...SDK_HEADERS, host: `mcp.example:${port}` }, INIT)).status, 200);
    assert.equal((await raw(cli.url, { ...SDK_HEADERS, host: "gw.example:8443" }, INIT)).status, 200);
    assert.match(cli.stderr(), /"msg":"request refused".*"code":"FORBIDDEN_HOST"/);
  } finally {
    assert.equal(await cli.stop(), 0);
  }
  await assert.rejects(
    startWardenHttpCli(["mcp", "--policy", join(dir, "p.yaml"), "--upstream-url", upstream.url, "--listen", "127.0.0.1:0", "--json", "--allowed-hosts", "http://mcp.example/"]),
    /--allowed-hosts: `http:\/\/mcp\.example\/` is not a host name, an address or NAME:PORT/,
  );
});
