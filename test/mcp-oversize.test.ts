// A message line over the 10 MiB stdio limit, from the agent or from the server. Before, the SDK's read buffer threw,
// the transport closed, and `warden mcp` exited 0 logging only "proxy stopped". Now the line is skipped unread and,
// when what it was can be told from its top-level keys, answered: a request gets an Invalid Request error by its id,
// the answer to a forwarded call fails that call, a notification is dropped; each is logged and the session goes on.
// A line that cannot be told apart stops the proxy with the reason in its log and exit code 1.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createInterface } from "node:readline";
import { LineReadBuffer, MAX_LINE_BYTES, type OversizeLine } from "../src/mcp/line-buffer.js";

const tmp = mkdtempSync(join(tmpdir(), "warden-oversize-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const SDK = (p: string): string => JSON.stringify(pathToFileURL(join(process.cwd(), "node_modules/@modelcontextprotocol/sdk/dist/esm", p)).href);
const MAIN = pathToFileURL(join(process.cwd(), "src/cli/main.ts")).href;
const CALLED = join(tmp, "called.txt");
const FIXTURE = join(tmp, "server.mjs");
const BIG = 11 * 1024 * 1024;
writeFileSync(
  FIXTURE,
  `
import { appendFileSync } from "node:fs";
import { Server } from ${SDK("server/index.js")};
import { StdioServerTransport } from ${SDK("server/stdio.js")};
import { CallToolRequestSchema, ListToolsRequestSchema } from ${SDK("types.js")};
const s = new Server({ name: "oversize-fixture", version: "1" }, { capabilities: { tools: {}, logging: {} } });
s.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: ["small", "big", "bignote", "garbage"].map((name) => ({ name, inputSchema: { type: "object" } })) }));
s.setRequestHandler(CallToolRequestSchema, async (req) => {
  const n = req.params.name;
  appendFileSync(${JSON.stringify(CALLED)}, n + " " + JSON.stringify(req.params.arguments ?? {}).length + "\\n");
  if (n === "big") return { content: [{ type: "text", text: "x".repeat(${BIG}) }] };
  if (n === "bignote") {
    await s.notification({ method: "notifications/message", params: { level: "info", data: "y".repeat(${BIG}) } });
    return { content: [{ type: "text", text: "noted" }] };
  }
  if (n === "garbage") {
    process.stdout.write("z".repeat(${BIG}) + "\\n");
    return { content: [{ type: "text", text: "after garbage" }] };
  }
  return { content: [{ type: "text", text: "ok" }] };
});
await s.connect(new StdioServerTransport());
`,
);
const policyFile = join(tmp, "policy.yaml");
writeFileSync(policyFile, `id: oversize\nversion: "1"\ndefault: ALLOW\nrules: []\n`);
appendFileSync(CALLED, "");

type Msg = Record<string, unknown>;

/** `warden mcp` over stdio with raw JSON-RPC lines, initialized. */
async function proxy() {
  const args = ["mcp", "--policy", policyFile, "--scan-results", "off", "--approvals-dir", join(tmp, "appr"), "--", process.execPath, FIXTURE];
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", `const { runCli } = await import(${JSON.stringify(MAIN)}); process.exitCode = await runCli(${JSON.stringify(args)});`], { stdio: ["pipe", "pipe", "pipe"], cwd: process.cwd() });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const answers: Msg[] = [];
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on("line", (l) => void answers.push(JSON.parse(l) as Msg));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const write = (line: string): Promise<void> => new Promise((r) => (child.stdin.write(`${line}\n`) ? r() : child.stdin.once("drain", () => r())));
  const send = (m: unknown): Promise<void> => write(JSON.stringify(m));
  const answer = async (id: unknown): Promise<Msg> => {
    for (const end = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 20))) {
      const a = answers.find((x) => x["id"] === id && !("method" in x));
      if (a) return a;
      if (Date.now() > end) throw new Error(`no answer for id ${String(id)}; stderr: ${stderr.slice(-2000)}`);
    }
  };
  await send({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
  assert.ok("result" in (await answer(0)), stderr);
  await send({ jsonrpc: "2.0", method: "notifications/initialized" });
  const call = async (id: number, name: string, args: Msg = {}): Promise<Msg> => {
    await send({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });
    return answer(id);
  };
  const stop = async (): Promise<number | null> => {
    child.stdin.end();
    return exited;
  };
  return { child, write, send, answer, call, stderr: () => stderr, exited, stop };
}

const text = (a: Msg): string => ((a["result"] as Msg)["content"] as Array<{ text: string }>)[0]?.text ?? "";

test("an oversize request from the agent is answered with an error by its id and not run; the session goes on", async () => {
  const p = await proxy();
  try {
    const huge = JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "small", arguments: { blob: "a".repeat(BIG), id: 99 } } });
    await p.write(huge);
    const e = (await p.answer(5))["error"] as Msg;
    assert.equal(e["code"], -32600);
    assert.match(String(e["message"]), new RegExp(`^a request \`tools/call\` \\(id 5\\) of ${Buffer.byteLength(huge)} bytes, over the ${MAX_LINE_BYTES} bytes Warden reads in one line of MCP's stdio transport: it was dropped unread and nothing was run`));
    assert.equal(text(await p.call(6, "small", { q: 1 })), "ok");
    assert.deepEqual(readFileSync(CALLED, "utf8").trim().split("\n").filter((l) => l.startsWith("small")), ["small 7"], "only the small call ran");
    assert.match(p.stderr(), /"msg":"message too long".*"from":"agent".*"id":5/);
  } finally {
    assert.equal(await p.stop(), 0);
  }
});

test("an oversize answer or notification from the server fails that call or is dropped; the session goes on", async () => {
  const p = await proxy();
  try {
    const e = (await p.call(7, "big"))["error"] as Msg;
    assert.equal(e["code"], -32603);
    assert.match(String(e["message"]), /^the answer to this request was dropped unread: an answer to request "warden-\d+" of \d+ bytes, over the 10485760 bytes/);
    assert.equal(text(await p.call(8, "bignote")), "noted");
    assert.equal(text(await p.call(9, "small")), "ok");
    assert.match(p.stderr(), /"msg":"message too long".*"from":"server".*"method":"notifications\/message"/);
  } finally {
    assert.equal(await p.stop(), 0);
  }
});

test("an oversize line from the agent that cannot be told apart stops the proxy: the reason is logged and the exit code is 1", async () => {
  const p = await proxy();
  await p.write("x".repeat(BIG));
  const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r("still running"), 20_000))]);
  if (code === "still running") p.child.kill();
  assert.equal(code, 1, p.stderr());
  assert.match(p.stderr(), /proxy stopped: the agent sent a message of \d+ bytes, over the 10485760 bytes .*it cannot be told what it was \(it is not a JSON object\)/);
});

test("an oversize line from the server that cannot be told apart stops the proxy with exit code 1, the agent's call failing", async () => {
  const p = await proxy();
  await p.send({ jsonrpc: "2.0", id: 10, method: "tools/call", params: { name: "garbage", arguments: {} } });
  const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r("still running"), 20_000))]);
  if (code === "still running") p.child.kill();
  assert.equal(code, 1, p.stderr());
  assert.match(p.stderr(), /proxy stopped: the server sent a message of \d+ bytes.*\(it is not a JSON object\)/);
});

/** Feeds `text` to a fresh buffer in chunks of `size` bytes; returns the messages read and the skipped lines heard of. */
function feed(text: string, size: number): { messages: unknown[]; skipped: OversizeLine[] } {
  const skipped: OversizeLine[] = [];
  const b = new LineReadBuffer(null, (l) => void skipped.push(l));
  const messages: unknown[] = [];
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) {
    b.append(bytes.subarray(i, i + size));
    for (let m = b.readMessage(); m !== null; m = b.readMessage()) messages.push(m);
  }
  return { messages, skipped };
}

test("what an oversize line was is read from its top-level keys alone, in any chunking; anything uncertain is unknown", () => {
  const pad = "p".repeat(MAX_LINE_BYTES);
  const cases: Array<[string, Partial<OversizeLine>]> = [
    [`{"jsonrpc":"2.0","params":{"id":1,"method":"x","pad":"${pad}"},"method":"tools/call","id":"r-1"}`, { kind: "request", id: "r-1", method: "tools/call" }],
    [`{ "id" : 42 , "jsonrpc":"2.0","method" :"a\\"b","params":{"s":"${pad}\\"}"}}\r`, { kind: "request", id: 42, method: 'a"b' }],
    [`{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"${pad}"}}`, { kind: "notification", id: null, method: "notifications/message" }],
    [`{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"${pad}"}]}}`, { kind: "response", id: 3 }],
    [`{"jsonrpc":"2.0","error":{"code":1,"message":"${pad}"},"id":"w-2"}`, { kind: "response", id: "w-2" }],
    [`{"jsonrpc":"2.0","\\u0069d":1,"method":"x","params":{"p":"${pad}"}}`, { kind: null, why: "a top-level key holds an escape, so which key it is cannot be told without reading the whole line" }],
    [`{"jsonrpc":"2.0","id":1,"id":2,"method":"x","params":{"p":"${pad}"}}`, { kind: null, why: "it has `id` or `method` more than once" }],
    [`{"jsonrpc":"2.0","id":1.5,"method":"x","params":{"p":"${pad}"}}`, { kind: null, why: "its `id` is not a string or an integer" }],
    [`{"jsonrpc":"2.0","id":null,"error":{"message":"${pad}"}}`, { kind: null, why: "its `id` is not a string or an integer" }],
    [`{"jsonrpc":"2.0","id":{"a":1},"method":"x","params":{"p":"${pad}"}}`, { kind: null, why: "its `id` is not a string or an integer" }],
    [`{"jsonrpc":"2.0","id":1,"method":"x","params":{"p":"${pad}"}`, { kind: null, why: "the JSON object does not end on the line" }],
    [`{"jsonrpc":"2.0","id":1,"method":"x","params":{"p":"${pad}"}} {}`, { kind: null, why: "more follows the JSON object on the line" }],
    [`[{"jsonrpc":"2.0","id":1,"method":"x","params":{"p":"${pad}"}}]`, { kind: null, why: "it is not a JSON object" }],
    [`{"jsonrpc":"2.0","id":1,"params":{"p":"${pad}"}}`, { kind: null, why: "it is neither a request, a notification nor a response" }],
  ];
  const before = '{"jsonrpc":"2.0","id":"a","method":"ping"}\n';
  const afterLine = '{"jsonrpc":"2.0","method":"notifications/initialized"}\n';
  for (const [line, want] of cases) {
    for (const size of [65536, 1000003, 64 * 1024 * 1024]) {
      const { messages, skipped } = feed(`${before}${line}\n${afterLine}`, size);
      const what = `${line.slice(0, 60)}… in chunks of ${size}`;
      assert.equal(skipped.length, 1, what);
      const s = skipped[0] as OversizeLine;
      for (const [k, v] of Object.entries(want)) assert.deepEqual(s[k as keyof OversizeLine], v, `${what}: ${k}`);
      assert.equal(s.bytes, Buffer.byteLength(line), what);
      // the lines around it are read, in order; the answer to one of our requests becomes an error answer to it
      const expected: unknown[] = [JSON.parse(before)];
      if (s.kind === "response") expected.push({ jsonrpc: "2.0", id: s.id, error: { code: -32603, message: `the answer to this request was dropped unread: an answer to request ${JSON.stringify(s.id)} of ${s.bytes} bytes, over the ${MAX_LINE_BYTES} bytes Warden reads in one line of MCP's stdio transport` } });
      expected.push(JSON.parse(afterLine));
      assert.deepEqual(messages, expected, what);
    }
  }
  // a line of exactly the limit is read as usual
  const exact = `{"jsonrpc":"2.0","method":"n","params":{"p":"${"q".repeat(MAX_LINE_BYTES - 48)}"}}`;
  assert.equal(Buffer.byteLength(exact), MAX_LINE_BYTES);
  const read = feed(`${exact}\n`, 65536);
  assert.equal(read.skipped.length, 0);
  assert.equal(read.messages.length, 1);
});
