// `warden drill`: known-bad cases from a policy's own test file, fired through the real sidecar (HTTP) and the
// real MCP proxy in front of @modelcontextprotocol/server-filesystem; a weakened policy must fail the drill.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { runCli } from "../src/cli/main.js";
import { startHttpUpstream } from "./mcp-http-upstream.js";
import { captureIO as io } from "./cli-capture.js";

const tmp = mkdtempSync(join(tmpdir(), "warden-drill-"));
const FS_BIN = join(process.cwd(), "node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");

test("http drill: every known-bad finance action is stopped by a sidecar on loopback", async () => {
  const o = io();
  assert.equal(await runCli(["drill", "--policy", "examples/policies/finance.yaml", "--target", "http", "--json"], o), 0, o.stdout + o.stderr);
  const r = JSON.parse(o.stdout);
  assert.equal(r.fired, 6);
  assert.equal(r.through, 0);
  assert.ok(r.results.every((x: { verdict: string }) => x.verdict === "BLOCK"));
});

test("http drill: a weakened policy lets known-bad actions through and the drill exits 1", async () => {
  const weak = join(tmp, "finance-weak.yaml");
  writeFileSync(weak, readFileSync("examples/policies/finance.yaml", "utf8").replace("when: { field: args.counterparty, not_in: { list: counterparties } }", "when: { field: args.counterparty, eq: never-matches }"));
  const o = io();
  assert.equal(await runCli(["drill", "--policy", weak, "--target", "http", "--cases", resolve("examples/policies/finance.test.yaml")], o), 1);
  assert.match(o.stdout, /THROUGH\s+ALLOW\s+.*payment to an unknown counterparty is blocked/);
  assert.match(o.stdout, /got through/);
});

test("mcp drill: the filesystem policy stops every known-bad tool call before the real server", async () => {
  const o = io();
  const code = await runCli(["drill", "--policy", "examples/policies/mcp-filesystem.yaml", "--target", "mcp", "--json", "--", process.execPath, FS_BIN, tmp], o);
  assert.equal(code, 0, o.stdout + o.stderr);
  const r = JSON.parse(o.stdout);
  assert.equal(r.fired, 18);
  assert.equal(r.through, 0);
  assert.ok(r.results.some((x: { codes: string[] }) => x.codes.includes("SENSITIVE_PATH")));
});

test("mcp drill: without the sensitive-path rule, the calls reach the server and the drill fails", async () => {
  const weak = join(tmp, "fs-weak.yaml");
  const text = readFileSync("examples/policies/mcp-filesystem.yaml", "utf8");
  writeFileSync(weak, text.replace(/  - id: no-sensitive-path\n[\s\S]*?(?=\n  - id: no-sensitive-move)/, ""));
  const o = io();
  const code = await runCli(["drill", "--policy", weak, "--target", "mcp", "--cases", resolve("examples/policies/mcp-filesystem.test.yaml"), "--", process.execPath, FS_BIN, tmp], o);
  assert.equal(code, 1, o.stdout + o.stderr);
  assert.match(o.stdout, /THROUGH\s+ALLOW\s+.*reading a private SSH key is blocked/);
  assert.match(o.stdout, /STOPPED\s+BLOCK\s+SENSITIVE_PATH\S*\s+.*moving a key out of \.ssh is blocked/);
});

test("drill refuses --url and --token-file where they would be ignored (exit 2), before firing anything", async () => {
  const token = join(tmp, "token");
  writeFileSync(token, "a-token-of-at-least-16-chars\n");
  const mcp = ["drill", "--policy", "examples/policies/mcp-filesystem.yaml", "--target", "mcp"];
  const server = ["--", process.execPath, FS_BIN, tmp];
  const cases: Array<[string[], RegExp]> = [
    [[...mcp, "--url", "http://127.0.0.1:8788/mcp", ...server], /warden drill: --url is for --target http \(a running sidecar\)\. --target mcp drills a governed proxy it builds from --policy .* give the server command after `--`, or a streamable-HTTP server with --upstream-url\. A running `warden mcp` proxy cannot be drilled/],
    [[...mcp, "--url", "http://127.0.0.1:1/mcp", "--upstream-url", "http://127.0.0.1:1/mcp"], /warden drill: --url is for --target http/],
    [[...mcp, "--token-file", token, ...server], /warden drill: --token-file is the API token of a running sidecar \(--target http --url\); for a token the --upstream-url server expects, use --upstream-token-file/],
    [[...mcp, "--upstream-token-file", token, ...server], /warden drill: --upstream-token-file is the token of the --upstream-url server \(--target mcp\); give --upstream-url too/],
    [["drill", "--policy", "examples/policies/finance.yaml", "--target", "http", "--token-file", token], /warden drill: --token-file is the API token of a running sidecar: give its --url too/],
  ];
  for (const [args, want] of cases) {
    const o = io();
    assert.equal(await runCli(args, o), 2, `${args.join(" ")}: ${o.stdout}${o.stderr}`);
    assert.match(o.stderr, want, args.join(" "));
    assert.equal(o.stdout, "", "nothing was fired");
  }
});

test("mcp drill against a streamable-HTTP server that requires a bearer token (--upstream-token-file)", async () => {
  const secret = "drill-upstream-secret";
  const calls: string[] = [];
  const upstream = await startHttpUpstream("guarded", "1.0.0", (mcp) => {
    mcp.registerTool("payments.send", { inputSchema: { counterparty: z.string().optional(), amount: z.number().optional() } }, async () => (calls.push("payments.send"), { content: [{ type: "text", text: "sent" }] }));
  }, secret);
  const tokenFile = join(tmp, "upstream-token");
  writeFileSync(tokenFile, `${secret}\n`);
  try {
    const args = ["drill", "--policy", "examples/policies/finance.yaml", "--target", "mcp", "--upstream-url", upstream.url, "--json"];
    const refused = io();
    assert.equal(await runCli(args, refused), 1, refused.stderr);
    assert.match(refused.stderr, /cannot reach the MCP server/);
    const o = io();
    assert.equal(await runCli([...args, "--upstream-token-file", tokenFile], o), 0, o.stderr);
    const report = JSON.parse(o.stdout) as { fired: number; through: number };
    assert.ok(report.fired > 0);
    assert.equal(report.through, 0);
    assert.deepEqual(calls, []);
  } finally {
    await upstream.close();
  }
});
