// Drill target `mcp`: fires known-bad tool calls through the governed proxy at a real MCP server and checks
// that each one was refused and never forwarded.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { CompiledPolicy } from "../compile/build.js";
import { judge, type DrillCase, type DrillOutcome } from "../gateway/drill-http.js";
import { Governor } from "../gateway/governor.js";
import { MemorySink } from "../gateway/sink.js";
import type { Decision } from "../types.js";
import { createGovernedServer } from "./proxy.js";
import { connectUpstream, type UpstreamCommand } from "./stdio.js";

/** The real server: a stdio command, or the URL of a streamable-HTTP server. */
export type DrillUpstream = UpstreamCommand | { url: string; headers?: Record<string, string> | null };

async function connect(target: DrillUpstream): Promise<Client> {
  if ("command" in target) return connectUpstream(target);
  const client = new Client({ name: "warden-drill", version: "1" }, { capabilities: {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(target.url), target.headers ? { requestInit: { headers: target.headers } } : undefined));
  return client;
}

export async function drillMcp(policy: CompiledPolicy, cases: DrillCase[], target: DrillUpstream): Promise<DrillOutcome[]> {
  const upstream = await connect(target);
  const out: DrillOutcome[] = [];
  try {
    for (const c of cases) {
      // One governed server per case: fresh throttle state and the case's own agent identity.
      const sink = new MemorySink();
      const { server, stats } = createGovernedServer(upstream, { governor: new Governor(policy, { sink }), ...(c.action.agent ? { agent: c.action.agent } : {}), approvals: null });
      const [a, b] = InMemoryTransport.createLinkedPair();
      await server.connect(a);
      const agent = new Client({ name: "warden-drill", version: "1" });
      await agent.connect(b);
      try {
        const r = (await agent.callTool({ name: c.action.tool as string, arguments: c.action.args ?? {} })) as CallToolResult;
        const d: Decision | null = sink.entries[0]?.decision ?? null;
        const text = r.content.map((x) => (x.type === "text" ? x.text : "")).join(" ").slice(0, 300);
        out.push(judge(c, d, stats.forwarded > 0 || r.isError !== true, text));
      } catch (e) {
        out.push({ name: c.name, stopped: false, verdict: "error", codes: [], missingCodes: c.expectCodes, detail: `call failed: ${(e as Error).message}`, policy: null });
      } finally {
        await agent.close().catch(() => {});
        await server.close().catch(() => {});
      }
    }
  } finally {
    await upstream.close().catch(() => {});
  }
  return out;
}
