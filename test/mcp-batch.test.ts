// A JSON-RPC batch (a JSON array on one line) sent to `warden mcp` over stdio gets an answer: an Invalid Request
// error for each request in it, by id (one error with id null when there is none to answer), and nothing in it
// runs. Before, the line was refused in silence and the agent waited for answers forever. MCP's stdio transport
// (SDK 1.32) reads no batches, and protocol 2025-06-18 removed them.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createInterface } from "node:readline";
import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { BATCH_REFUSED, LineReadBuffer } from "../src/mcp/line-buffer.js";

const tmp = mkdtempSync(join(tmpdir(), "warden-batch-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const SDK = (p: string): string => JSON.stringify(pathToFileURL(join(process.cwd(), "node_modules/@modelcontextprotocol/sdk/dist/esm", p)).href);
const MAIN = pathToFileURL(join(process.cwd(), "src/cli/main.ts")).href;
const CALLED = join(tmp, "called.txt");
const FIXTURE = join(tmp, "server.mjs");
writeFileSync(
  FIXTURE,
  `
import { appendFileSync } from "node:fs";
import { Server } from ${SDK("server/index.js")};
import { StdioServerTransport } from ${SDK("server/stdio.js")};
import { CallToolRequestSchema, ListToolsRequestSchema } from ${SDK("types.js")};
const s = new Server({ name: "batch-fixture", version: "1" }, { capabilities: { tools: {} } });
s.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: "lookup", inputSchema: { type: "object" } }] }));
s.setRequestHandler(CallToolRequestSchema, async (req) => {
  appendFileSync(${JSON.stringify(CALLED)}, req.params.name + "\\n");
  return { content: [{ type: "text", text: "ran" }] };
});
await s.connect(new StdioServerTransport());
`,
);
const policyFile = join(tmp, "policy.yaml");
writeFileSync(policyFile, `id: batch\nversion: "1"\ndefault: BLOCK\ntools: { lookup: read }\nrules:\n  - { id: reads, match: { class: read }, verdict: ALLOW }\n`);
appendFileSync(CALLED, "");

test("stdio: each request of a batch is answered with an Invalid Request error, and none of it runs", async () => {
  const args = ["mcp", "--policy", policyFile, "--scan-results", "off", "--", process.execPath, FIXTURE];
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", `const { runCli } = await import(${JSON.stringify(MAIN)}); process.exitCode = await runCli(${JSON.stringify(args)});`], { stdio: ["pipe", "pipe", "pipe"], cwd: process.cwd() });
  child.stderr.resume();
  const answers: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stdout }).on("line", (l) => void answers.push(JSON.parse(l) as Record<string, unknown>));
  const send = (m: unknown): void => void child.stdin.write(`${JSON.stringify(m)}\n`);
  const answer = async (id: unknown): Promise<Record<string, unknown>> => {
    const end = Date.now() + 20_000;
    for (;;) {
      const a = answers.find((x) => x["id"] === id && !("method" in x));
      if (a) return a;
      if (Date.now() > end) throw new Error(`no answer for id ${String(id)}; got ${JSON.stringify(answers)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    send({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
    assert.ok("result" in (await answer(0)));
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send([
      { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "lookup", arguments: {} } },
      { jsonrpc: "2.0", id: "x", method: "tools/list" },
      { jsonrpc: "2.0", method: "notifications/roots/list_changed" },
    ]);
    for (const id of [7, "x"]) assert.deepEqual(await answer(id), { jsonrpc: "2.0", id, error: { code: ErrorCode.InvalidRequest, message: BATCH_REFUSED } });
    send([]);
    assert.deepEqual(await answer(null), { jsonrpc: "2.0", id: null, error: { code: ErrorCode.InvalidRequest, message: BATCH_REFUSED } });
    // the proxy goes on: the same call sent alone runs
    send({ jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "lookup", arguments: {} } });
    assert.deepEqual((await answer(8))["result"], { content: [{ type: "text", text: "ran" }] });
    assert.equal(readFileSync(CALLED, "utf8"), "lookup\n", "only the call sent alone ran");
  } finally {
    child.stdin.end();
    if (child.exitCode === null) await new Promise((r) => child.once("exit", r));
  }
});

test("the line buffer hands a batch to its owner and reads on; without an owner a batch is refused as before", () => {
  const batches: unknown[][] = [];
  const b = new LineReadBuffer((e) => void batches.push(e));
  b.append(Buffer.from('[{"jsonrpc":"2.0","id":1,"method":"ping"}]\n[]\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n'));
  assert.deepEqual(b.readMessage(), { jsonrpc: "2.0", id: 2, method: "ping" });
  assert.deepEqual(batches, [[{ jsonrpc: "2.0", id: 1, method: "ping" }], []]);
  assert.equal(b.readMessage(), null);
  const plain = new LineReadBuffer();
  plain.append(Buffer.from("[]\n"));
  assert.throws(() => plain.readMessage(), /not a JSON object/);
});
