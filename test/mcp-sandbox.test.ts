// SANDBOX in the MCP proxy: the plan a profile becomes, and end to end with bubblewrap — the real
// @modelcontextprotocol/server-filesystem behind `warden mcp --sandbox bwrap` (stdio and HTTP modes), driven by the SDK's Client, and
// a small real SDK server that reports its environment and tries the network from inside.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { z } from "zod";
import { startWardenHttpCli, wardenCliTransport } from "./mcp-cli.js";
import { startHttpUpstream } from "./mcp-http-upstream.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { compilePolicy } from "../src/compile/compile.js";
import { Governor } from "../src/gateway/governor.js";
import { MemorySink } from "../src/gateway/sink.js";
import { createGovernedServer } from "../src/mcp/proxy.js";
import { createSandboxPool, type SandboxExecutor } from "../src/mcp/sandbox-pool.js";
import { connectUpstream } from "../src/mcp/stdio.js";
import { bwrapLauncher } from "../src/sandbox/bwrap.js";
import { planSandbox, type PlanFs } from "../src/sandbox/plan.js";
import type { SandboxProfile } from "../src/types.js";

const tmp = mkdtempSync(join(tmpdir(), "warden-sbx-"));
const FS_BIN = join(process.cwd(), "node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
const text = (r: CallToolResult): string => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
const meta = (r: CallToolResult): { verdict: string; code: string; sandbox?: { error: string } } => (r._meta as Record<string, never>)["warden/decision"] as never;

// ---- the plan (pure given the file-system lookups) ----

const profile = (p: { allow?: string[]; readOnly?: string[]; deny?: string[]; net?: { allow?: string[]; deny?: string[] }; env?: { allow?: string[]; set?: Record<string, string> } }): SandboxProfile => ({
  filesystem: { allow: p.allow ?? [], readOnly: p.readOnly ?? [], deny: p.deny ?? [] },
  network: { allow: p.net?.allow ?? [], deny: p.net?.deny ?? [] },
  env: { allow: p.env?.allow ?? [], set: p.env?.set ?? {} },
});
const fakeFs: PlanFs = { real: (p) => (p.includes("missing") ? null : p), isDir: (p) => !p.endsWith(".txt") };

test("plan: restrictive wins over whole subtrees, parents mount first, missing paths are skipped", () => {
  const r = planSandbox(profile({ allow: ["/w", "/w/ro/out", "/s/pub", "/missing"], readOnly: ["/w/ro"], deny: ["/s", "/w/key.txt"] }), {}, fakeFs);
  assert.ok(r.ok);
  assert.deepEqual(r.plan.mounts.map((m) => [m.mode, m.path, m.dir]), [
    ["hide", "/s", true],
    ["rw", "/w", true],
    ["hide", "/w/key.txt", false],
    ["ro", "/w/ro", true],
  ]);
  assert.deepEqual(r.plan.skipped, ["/missing"]);
});

test("plan: the network is cut unless everything is allowed; host lists are refused, not guessed", () => {
  const net = (allow: string[], deny: string[] = []) => planSandbox(profile({ net: { allow, deny } }), {}, fakeFs);
  assert.equal((net([]) as { plan: { network: string } }).plan.network, "none");
  assert.equal((net(["*"], ["*"]) as { plan: { network: string } }).plan.network, "none");
  assert.equal((net(["*"]) as { plan: { network: string } }).plan.network, "host");
  const hosts = net(["pypi.org"]);
  assert.ok(!hosts.ok);
  assert.match(hosts.error, /cannot enforce/);
});

test("plan: the environment is exactly the profile's; bad paths are refused", () => {
  const r = planSandbox(profile({ env: { allow: ["PATH", "UNSET_HERE"], set: { CI: "1" } } }), { PATH: "/usr/bin", SECRET: "x" }, fakeFs);
  assert.ok(r.ok);
  assert.deepEqual(r.plan.env, { PATH: "/usr/bin", CI: "1" });
  for (const bad of ["relative/dir", "/w/*", ""]) assert.ok(!planSandbox(profile({ deny: [bad] }), {}, fakeFs).ok, bad);
});

// ---- end to end with bubblewrap ----

let bwrapBroken: string | null = "not probed";
const e2e = (name: string, fn: () => Promise<void>): void => {
  test(name, async (t) => {
    if (bwrapBroken !== null) return t.skip(`bubblewrap does not work here (apt-get install bubblewrap): ${bwrapBroken}`);
    await fn();
  });
};

const root = join(tmp, "root");
const FS_POLICY = `
id: fs-sandbox
version: "1"
default: BLOCK
tools: { list_directory: read, read_text_file: read, write_file: write }
rules:
  - { id: declared, match: { class: [read, write] }, verdict: ALLOW }
  - id: writes-sandboxed
    match: { tool: write_file }
    verdict: SANDBOX
    code: WRITE_SANDBOXED
    message: "writes run in a sandbox that can only write ${root}/out"
    sandbox:
      filesystem: { allow: [${root}/out], deny: [${root}/secret, ${root}/secret-note.txt] }
      network: { deny: ["*"] }
  - id: secret-reads-sandboxed
    match: { tool: read_text_file }
    when: { field: args.path, contains: secret }
    verdict: SANDBOX
    code: SECRET_SANDBOXED
    sandbox:
      filesystem: { allow: [${root}/out], deny: [${root}/secret, ${root}/secret-note.txt] }
      network: { deny: ["*"] }
`;

async function startCli(extra: string[]): Promise<{ client: Client; stderr: () => string }> {
  const policyFile = join(tmp, "fs-sandbox.yaml");
  writeFileSync(policyFile, FS_POLICY);
  const args = ["mcp", "--policy", policyFile, "--scan-results", "off", ...extra, "--", process.execPath, FS_BIN, root];
  const { transport, stderr: err } = wardenCliTransport(args);
  const client = new Client({ name: "warden-e2e", version: "1" });
  await client.connect(transport);
  return { client, stderr: err };
}

let sandboxed: { client: Client; stderr: () => string } | null = null;
before(async () => {
  bwrapBroken = await bwrapLauncher().probe().catch((e: Error) => e.message);
  mkdirSync(join(root, "out"), { recursive: true });
  mkdirSync(join(root, "secret"), { recursive: true });
  writeFileSync(join(root, "secret", "token.txt"), "sk-live-sandbox-secret\n");
  writeFileSync(join(root, "secret-note.txt"), "sk-live-note-secret\n");
  if (bwrapBroken === null) sandboxed = await startCli(["--sandbox", "bwrap"]);
});
after(async () => {
  await sandboxed?.client.close();
});

e2e("server-filesystem: a SANDBOX'd write inside the allowed path lands on the host", async () => {
  const { client } = sandboxed!;
  const r = (await client.callTool({ name: "write_file", arguments: { path: join(root, "out", "ok.txt"), content: "written in the sandbox" } })) as CallToolResult;
  assert.notEqual(r.isError, true, text(r));
  assert.equal(readFileSync(join(root, "out", "ok.txt"), "utf8"), "written in the sandbox");
});

e2e("server-filesystem: a write outside the allowed paths fails inside the sandbox, though the server itself would do it", async () => {
  const { client } = sandboxed!;
  const target = join(root, "escaped.txt");
  const r = (await client.callTool({ name: "write_file", arguments: { path: target, content: "should not land" } })) as CallToolResult;
  assert.equal(r.isError, true, text(r));
  assert.match(text(r), /read-only file system|EROFS/i);
  assert.ok(!existsSync(target), "nothing was written on the host");
  // The same server, unsandboxed, writes there: it is the sandbox that stopped it.
  const direct = await connectUpstream({ command: process.execPath, args: [FS_BIN, root] });
  try {
    const ok = (await direct.callTool({ name: "write_file", arguments: { path: join(root, "outside.txt"), content: "unsandboxed" } })) as CallToolResult;
    assert.notEqual(ok.isError, true, text(ok));
    assert.equal(readFileSync(join(root, "outside.txt"), "utf8"), "unsandboxed");
  } finally {
    await direct.close();
  }
});

e2e("server-filesystem: denied paths (a directory, a file) are unreadable inside; the same profile reuses one instance", async () => {
  const { client, stderr } = sandboxed!;
  const r = (await client.callTool({ name: "read_text_file", arguments: { path: join(root, "secret", "token.txt") } })) as CallToolResult;
  assert.equal(r.isError, true, text(r));
  assert.doesNotMatch(text(r), /sk-live-sandbox-secret/);
  const file = (await client.callTool({ name: "read_text_file", arguments: { path: join(root, "secret-note.txt") } })) as CallToolResult;
  assert.equal(file.isError, true, text(file));
  assert.match(text(file), /EACCES|permission denied/i, "a denied file cannot be opened");
  assert.doesNotMatch(text(file), /sk-live-note-secret/);
  // Unsandboxed reads still work (ALLOW goes to the ordinary instance).
  const plain = (await client.callTool({ name: "list_directory", arguments: { path: root } })) as CallToolResult;
  assert.match(text(plain), /secret/);
  assert.equal(stderr().match(/sandbox instance started/g)?.length, 1, "both SANDBOX rules share one profile, so one instance");
});

e2e("without --sandbox the same call is refused and says how to enable it", async () => {
  const plain = await startCli([]);
  try {
    const target = join(root, "out", "refused.txt");
    const r = (await plain.client.callTool({ name: "write_file", arguments: { path: target, content: "x" } })) as CallToolResult;
    assert.equal(r.isError, true);
    assert.match(text(r), /WRITE_SANDBOXED.*No sandbox executor is configured.*--sandbox bwrap/s);
    assert.equal(meta(r).verdict, "SANDBOX");
    assert.ok(!existsSync(target));
  } finally {
    await plain.client.close();
  }
});

e2e("HTTP mode: SANDBOX'd calls run on the local server command under bwrap, with instances per agent session", async () => {
  const remoteCalls: string[] = [];
  const remote = await startHttpUpstream("remote-fs", "1", (mcp) => {
    for (const name of ["list_directory", "read_text_file", "write_file"]) {
      mcp.registerTool(name, { inputSchema: { path: z.string(), content: z.string().optional() } }, async (a) => {
        remoteCalls.push(name);
        return { content: [{ type: "text", text: `remote ${name} ${a.path}` }] };
      });
    }
  });
  const policyFile = join(tmp, "fs-sandbox-http.yaml");
  writeFileSync(policyFile, FS_POLICY);
  const cli = await startWardenHttpCli(["mcp", "--policy", policyFile, "--scan-results", "off", "--upstream-url", remote.url, "--listen", "127.0.0.1:0", "--json", "--sandbox", "bwrap", "--", process.execPath, FS_BIN, root], { ...process.env, WARDEN_MCP_TOKEN: "" });
  const session = async () => {
    const transport = new StreamableHTTPClientTransport(new URL(cli.url));
    const client = new Client({ name: "http-agent", version: "1" });
    await client.connect(transport);
    const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
    return { call, end: async () => { await transport.terminateSession(); await client.close(); } };
  };
  const started = () => cli.stderr().match(/sandbox instance started/g)?.length ?? 0;
  try {
    const a = await session();
    assert.equal(text(await a.call("list_directory", { path: root })), `remote list_directory ${root}`, "ALLOW goes to the remote server");
    const ok = await a.call("write_file", { path: join(root, "out", "http-a.txt"), content: "via the HTTP proxy" });
    assert.notEqual(ok.isError, true, text(ok));
    assert.equal(readFileSync(join(root, "out", "http-a.txt"), "utf8"), "via the HTTP proxy");
    const target = join(root, "http-escaped.txt");
    const bad = await a.call("write_file", { path: target, content: "should not land" });
    assert.equal(bad.isError, true, text(bad));
    assert.match(text(bad), /read-only file system|EROFS/i);
    assert.ok(!existsSync(target));
    assert.deepEqual(remoteCalls, ["list_directory"], "SANDBOX'd calls never reach the remote server");
    assert.equal(started(), 1);

    const b = await session();
    const okB = await b.call("write_file", { path: join(root, "out", "http-b.txt"), content: "second agent" });
    assert.notEqual(okB.isError, true, text(okB));
    assert.equal(started(), 2, "the second agent session gets its own sandboxed instance");
    await a.end();
    await b.end();
    const until = Date.now() + 10_000;
    while ((cli.stderr().match(/sandbox instance stopped/g)?.length ?? 0) < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    assert.equal(cli.stderr().match(/sandbox instance stopped/g)?.length, 2, "ending a session stops its sandboxed instances");
  } finally {
    assert.equal(await cli.stop(), 0, cli.stderr());
    await remote.close();
  }
});

test("HTTP mode: --sandbox without the local server command, or a command without --sandbox, is a usage error", async () => {
  const { runCli } = await import("../src/cli/main.js");
  const policyFile = join(tmp, "fs-sandbox-usage.yaml");
  writeFileSync(policyFile, FS_POLICY);
  const run = async (extra: string[]) => {
    const o = { stdout: "", stderr: "", out(t: string) { o.stdout += t; }, err(t: string) { o.stderr += t; }, readStdin: async () => "", cwd: process.cwd(), env: {} as Record<string, string> };
    const code = await runCli(["mcp", "--policy", policyFile, "--upstream-url", "http://127.0.0.1:9/mcp", ...extra], o);
    return { code, err: o.stderr };
  };
  const noCommand = await run(["--sandbox", "bwrap"]);
  assert.equal(noCommand.code, 2);
  assert.match(noCommand.err, /--sandbox with --upstream-url needs the local stdio form of the server after `--`/);
  const noSandbox = await run(["--", process.execPath, FS_BIN, root]);
  assert.equal(noSandbox.code, 2);
  assert.match(noSandbox.err, /a command after `--` is the server that SANDBOX'd calls run on in a sandbox, so it needs --sandbox bwrap/);
});

// A real SDK server (low-level Server, JSON schemas) that reports what it sees from where it runs.
const FIXTURE = `
import { Server } from ${JSON.stringify(pathToFileURL(join(process.cwd(), "node_modules/@modelcontextprotocol/sdk/dist/esm/server/index.js")).href)};
import { StdioServerTransport } from ${JSON.stringify(pathToFileURL(join(process.cwd(), "node_modules/@modelcontextprotocol/sdk/dist/esm/server/stdio.js")).href)};
import { CallToolRequestSchema, ListToolsRequestSchema } from ${JSON.stringify(pathToFileURL(join(process.cwd(), "node_modules/@modelcontextprotocol/sdk/dist/esm/types.js")).href)};
import net from "node:net";
const s = new Server({ name: "fixture", version: "1" }, { capabilities: { tools: {} } });
const out = (text) => ({ content: [{ type: "text", text }] });
s.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: ["env", "connect", "env_sandboxed", "connect_sandboxed"].map((name) => ({ name, inputSchema: { type: "object" } })) }));
s.setRequestHandler(CallToolRequestSchema, async (req) => {
  const name = req.params.name.replace("_sandboxed", "");
  if (name === "env") return out(JSON.stringify(process.env));
  return new Promise((resolve) => {
    const c = net.connect(req.params.arguments.port, "127.0.0.1");
    c.setTimeout(3000, () => { c.destroy(); resolve(out("error TIMEOUT")); });
    c.on("connect", () => { c.destroy(); resolve(out("connected")); });
    c.on("error", (e) => resolve(out("error " + e.code)));
  });
});
await s.connect(new StdioServerTransport());
`;

async function fixtureProxy(executor: SandboxExecutor, sandboxYaml: string) {
  const file = join(tmp, "fixture.mjs");
  writeFileSync(file, FIXTURE);
  const compiled = compilePolicy(`
id: fixture
version: "1"
default: ALLOW
rules:
  - id: sandboxed
    match: { tool: [env_sandboxed, connect_sandboxed] }
    verdict: SANDBOX
    code: RUN_SANDBOXED
    sandbox: ${sandboxYaml}
`);
  assert.ok(compiled.ok, JSON.stringify(compiled.diagnostics));
  const upstream = await connectUpstream({ command: process.execPath, args: [file] });
  const sink = new MemorySink();
  const governed = createGovernedServer(upstream, { governor: new Governor(compiled.policy, { sink }), sandbox: executor });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await governed.server.connect(a);
  const client = new Client({ name: "agent", version: "1" });
  await client.connect(b);
  const call = async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  const close = async () => {
    await client.close();
    await executor.close();
    await upstream.close();
  };
  return { call, close, sink, stats: governed.stats };
}
const fixtureCmd = () => ({ command: process.execPath, args: [join(tmp, "fixture.mjs")] });

e2e("the sandboxed environment is exactly the profile's, and the network is cut", async () => {
  const listener: NetServer = createServer((s) => s.end());
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  const port = (listener.address() as { port: number }).port;
  const pool = createSandboxPool({ launcher: bwrapLauncher(), upstream: fixtureCmd(), sourceEnv: { LANG: "C.UTF-8", AWS_SECRET_ACCESS_KEY: "nope" }, stderr: () => {} });
  const p = await fixtureProxy(pool, `{ network: { deny: ["*"] }, env: { allow: [LANG, HOME], set: { CI: "1" } } }`);
  try {
    assert.deepEqual(JSON.parse(text(await p.call("env_sandboxed"))), { LANG: "C.UTF-8", CI: "1" });
    assert.notDeepEqual(JSON.parse(text(await p.call("env"))), { LANG: "C.UTF-8", CI: "1" }, "the unsandboxed instance has the proxy's environment");
    assert.equal(text(await p.call("connect", { port })), "connected", "outside, the host's loopback listener answers");
    assert.match(text(await p.call("connect_sandboxed", { port })), /^error (ECONNREFUSED|ENETUNREACH|TIMEOUT)$/, "inside, the host is unreachable");
    assert.equal(p.stats.sandboxed, 2);
    assert.deepEqual(p.sink.entries.map((e) => e.decision.verdict), ["SANDBOX", "ALLOW", "ALLOW", "SANDBOX"], "every decision is recorded");
  } finally {
    await p.close();
    listener.close();
  }
});

e2e("fail closed: a launcher that cannot start, or a profile it cannot enforce, refuses the call", async () => {
  const broken = createSandboxPool({ launcher: bwrapLauncher("/nonexistent/bwrap"), upstream: fixtureCmd(), stderr: () => {} });
  const p = await fixtureProxy(broken, `{ network: { deny: ["*"] } }`);
  try {
    const r = await p.call("env_sandboxed");
    assert.equal(r.isError, true);
    assert.match(text(r), /RUN_SANDBOXED.*SANDBOX_FAILED: the bwrap sandbox .* could not start.*so the call is refused/s);
    assert.equal(meta(r).sandbox?.error, "SANDBOX_FAILED");
  } finally {
    await p.close();
  }
  const hosts = await fixtureProxy(createSandboxPool({ launcher: bwrapLauncher(), upstream: fixtureCmd(), stderr: () => {} }), `{ network: { allow: [pypi.org] } }`);
  try {
    const r = await hosts.call("connect_sandboxed", { port: 1 });
    assert.equal(r.isError, true);
    assert.match(text(r), /SANDBOX_UNSUPPORTED: network: allow \["pypi.org"\]/);
  } finally {
    await hosts.close();
  }
});
