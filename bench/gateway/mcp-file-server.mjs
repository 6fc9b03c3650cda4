// A minimal MCP server for the proxy-overhead benchmark: the SDK's low-level Server over stdio with one tool,
// read_text_file, that returns a file's text. Next to server-filesystem it shows the proxy's cost with less of
// the server's own latency in the way.
import { readFileSync } from "node:fs";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const server = new Server({ name: "bench-file-server", version: "1" }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [{ name: "read_text_file", inputSchema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] } }],
}));
server.setRequestHandler(CallToolRequestSchema, async (req) => ({ content: [{ type: "text", text: readFileSync(String(req.params.arguments?.path), "utf8") }] }));
await server.connect(new StdioServerTransport());
