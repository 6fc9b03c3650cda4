// The proxy's stdio read buffer (src/mcp/line-buffer.ts): it is really swapped into the SDK's stdio
// transports (an SDK upgrade that moves the field fails here), it frames lines as the SDK does (CRLF, split
// chunks, several messages per chunk), and it refuses what is not a JSON-RPC message without losing the
// messages that follow.
import { test } from "node:test";
import assert from "node:assert/strict";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { PassThrough } from "node:stream";
import { jsonRpcProblem, LineReadBuffer, MAX_LINE_BYTES, useLineReadBuffer } from "../src/mcp/line-buffer.js";

test("both SDK stdio transports take the line buffer, and the server side delivers through it", async () => {
  const client = new StdioClientTransport({ command: "true" });
  assert.equal(useLineReadBuffer(client), true);
  assert.ok((client as unknown as { _readBuffer: unknown })._readBuffer instanceof LineReadBuffer);
  const stdin = new PassThrough();
  const server = new StdioServerTransport(stdin, new PassThrough());
  assert.equal(useLineReadBuffer(server), true);
  const got: unknown[] = [];
  const errors: string[] = [];
  server.onmessage = (m) => void got.push(m);
  server.onerror = (e) => void errors.push(e.message);
  await server.start();
  stdin.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\r\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n{"jsonrpc":"2.0","id":2,"res');
  stdin.write('ult":{}}\nnot json\n{"jsonrpc":"1.0","id":3,"method":"x"}\n{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"é"}}\n');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(got, [
    { jsonrpc: "2.0", id: 1, method: "ping" },
    { jsonrpc: "2.0", method: "notifications/initialized" },
    { jsonrpc: "2.0", id: 2, result: {} },
    { jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "é" } },
  ]);
  assert.equal(errors.length, 2);
  assert.match(errors[1] as string, /`jsonrpc` is not "2.0"/);
  await server.close();
  assert.equal(useLineReadBuffer({}), false, "a transport without the SDK's buffer is left alone");
});

test("what is and is not a JSON-RPC 2.0 message", () => {
  const ok = [
    { jsonrpc: "2.0", id: "a", method: "m" },
    { jsonrpc: "2.0", id: 0, method: "m", params: {} },
    { jsonrpc: "2.0", method: "n" },
    { jsonrpc: "2.0", id: 1, result: { x: 1 } },
    { jsonrpc: "2.0", id: 1, error: { code: -32600, message: "bad" } },
    { jsonrpc: "2.0", error: { code: -32700, message: "parse error" } },
  ];
  for (const m of ok) assert.equal(jsonRpcProblem(m), null, JSON.stringify(m));
  const bad = [
    null, [], "x",
    { id: 1, method: "m" },
    { jsonrpc: "2.0", method: 5 },
    { jsonrpc: "2.0", id: null, method: "m" },
    { jsonrpc: "2.0", id: 1.5, method: "m" },
    { jsonrpc: "2.0", method: "m", params: [1] },
    { jsonrpc: "2.0", id: 1, result: [1] },
    { jsonrpc: "2.0", result: {} },
    { jsonrpc: "2.0", id: 1, error: { code: "x", message: "m" } },
    { jsonrpc: "2.0", id: 1 },
  ];
  for (const m of bad) assert.notEqual(jsonRpcProblem(m), null, JSON.stringify(m));
});

test("a line over the size limit is skipped to its end, never kept, and reading goes on after it (test/mcp-oversize.test.ts: what is answered)", () => {
  const b = new LineReadBuffer();
  b.append(Buffer.alloc(6 * 1024 * 1024, 0x20));
  b.append(Buffer.alloc(5 * 1024 * 1024, 0x20)); // never throws (the SDK's transports closed when it did)
  b.append(Buffer.alloc(5 * 1024 * 1024, 0x20));
  assert.equal((b as unknown as { queue: unknown[] }).queue.length, 0, "nothing of the line is kept");
  b.append(Buffer.from('\n{"jsonrpc":"2.0","method":"n"}\n'));
  // without a listener for skipped lines, the skipped one is reported as an error in its place, as a bad line is
  assert.throws(() => b.readMessage(), /a line was skipped unread: a message of 16777216 bytes, over the 10485760 bytes/);
  assert.deepEqual(b.readMessage(), { jsonrpc: "2.0", method: "n" });
  assert.equal(b.readMessage(), null);
});

// A review found the oversize path queued each line with its own Buffer.concat, copying a nearly 10 MiB partial
// line again per line: 3,000 empty lines after it took 10.8 s. Counted here as copies, not timed.
test("lines after a nearly full partial line are queued with a bounded number of copies, and all read back", () => {
  const buf = new LineReadBuffer();
  const big = Buffer.alloc(MAX_LINE_BYTES - 300, 0x20);
  buf.append(Buffer.concat([Buffer.from('{"jsonrpc":"2.0","method":"notifications/big","params":{"pad":"'), big.subarray(100)]));
  const lines = Array.from({ length: 3000 }, (_, i) => `{"jsonrpc":"2.0","method":"notifications/n","params":{"i":${i}}}\n`).join("");
  const concat = Buffer.concat;
  let copies = 0;
  Buffer.concat = ((list: readonly Uint8Array[], n?: number) => {
    copies++;
    return concat(list, n);
  }) as typeof Buffer.concat;
  try {
    buf.append(Buffer.from(`"}}\n${lines}`));
  } finally {
    Buffer.concat = concat;
  }
  assert.ok(copies <= 4, `${copies} Buffer.concat calls for one chunk of 3,001 lines`);
  const first = buf.readMessage() as { method: string };
  assert.equal(first.method, "notifications/big");
  let n = 0;
  for (let m = buf.readMessage(); m !== null; m = buf.readMessage()) n++;
  assert.equal(n, 3000);
});

// A review measured a legal 10 MiB line arriving in 4 KiB chunks at 7 s of CPU: every chunk re-copied the partial
// line. Counted as bytes copied, not timed.
test("a long line arriving in small chunks is copied once, not once per chunk", () => {
  const buf = new LineReadBuffer();
  const line = Buffer.from(`{"jsonrpc":"2.0","method":"notifications/long","params":{"pad":"${"y".repeat(4 << 20)}"}}\n`);
  const concat = Buffer.concat;
  let copied = 0;
  Buffer.concat = ((list: readonly Uint8Array[], n?: number) => {
    const out = concat(list, n);
    copied += out.length;
    return out;
  }) as typeof Buffer.concat;
  try {
    for (let i = 0; i < line.length; i += 4096) buf.append(line.subarray(i, i + 4096));
  } finally {
    Buffer.concat = concat;
  }
  assert.ok(copied <= 2 * line.length, `${copied} bytes copied for a line of ${line.length}`);
  assert.equal((buf.readMessage() as { method: string }).method, "notifications/long");
  assert.equal(buf.readMessage(), null);
});
