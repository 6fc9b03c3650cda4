// A stand-in agent for the README quick start: the MCP SDK's own Client calls the filesystem server through
// `warden mcp`. Usage: node examples/mcp/agent.mjs <folder served> <audit dir> <keyring>
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [folder, audit, keys] = process.argv.slice(2);
if (!folder || !audit || !keys) {
  console.error("usage: node examples/mcp/agent.mjs <folder> <audit dir> <keyring>");
  process.exit(2);
}
const warden = new URL("../../bin/warden.js", import.meta.url).pathname;
const policy = new URL("../policies/mcp-filesystem.yaml", import.meta.url).pathname;
const client = new Client({ name: "quickstart-agent", version: "1.0.0" });
await client.connect(
  new StdioClientTransport({
    command: process.execPath,
    args: [warden, "mcp", "--policy", policy, "--agent-id", "quickstart-agent", "--audit", audit, "--keys", keys, "--log-level", "warn", "--", "npx", "mcp-server-filesystem", folder],
    stderr: "inherit",
  }),
);
const tools = (await client.listTools()).tools.map((t) => t.name);
console.log(`tools offered: ${tools.join(", ")}`);
for (const path of [`${folder}/notes.txt`, `${folder}/.env`]) {
  const r = await client.callTool({ name: "read_text_file", arguments: { path } });
  const text = r.content.map((c) => (c.type === "text" ? c.text : "")).join("").trim();
  console.log(`read_text_file ${path}: ${r.isError ? "REFUSED" : "ok"}\n  ${text}`);
}
await client.close();
