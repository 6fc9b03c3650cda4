// MCP proxy overhead per tools/call: the same sequential call stream straight to a server over stdio, through
// `warden mcp` (its own process, as the CLI runs it), and through the governed server embedded in the agent's
// process (warden/mcp's createGovernedServer). All paths to one server are connected at once and take turns
// call by call, so a noisy moment on this shared machine lands on every path alike instead of on one run.
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { summarize, type LatencySummary } from "../lib/stats.js";
import { processCpuUs } from "../lib/proc-cpu.js";

export interface McpPath {
  label: string;
  /** Whether it is the direct connection the others are compared with. */
  direct: boolean;
  s: LatencySummary;
  /** CPU of the proxy process per call (µs), when the proxy is a process of its own. */
  proxyCpuUs: number | null;
}

export interface McpServerUnderTest {
  name: string;
  command: string;
  args: string[];
}

const POLICY = "examples/policies/mcp-filesystem.yaml";
const BYTE_PIPE = new URL("./byte-pipe.mjs", import.meta.url).pathname;
interface Path {
  label: string;
  direct: boolean;
  client: Client;
  pid: number | undefined;
  close: () => Promise<void>;
}

async function stdioPath(label: string, direct: boolean, command: string, args: string[]): Promise<Path> {
  const transport = new StdioClientTransport({ command, args, stderr: "ignore" });
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(transport);
  return { label, direct, client, pid: transport.pid ?? undefined, close: () => client.close() };
}

/** The governed server in this process, in front of its own stdio connection to the server (scan on, like the CLI). */
async function inProcessPath(server: McpServerUnderTest): Promise<Path> {
  const mcp = await import("../../dist/mcp/public.js");
  const { Governor, loadPolicyFile } = await import("../../dist/index.js");
  const loaded = loadPolicyFile(POLICY);
  if (!loaded.ok) throw new Error(`${POLICY} does not compile`);
  const upstream = await mcp.connectUpstream({ command: server.command, args: server.args });
  const governed = mcp.createGovernedServer(upstream, { governor: new Governor(loaded.policy), agent: { id: "bench" }, scanner: mcp.packScanner(["injection"]) });
  const [agentSide, serverSide] = InMemoryTransport.createLinkedPair();
  await governed.server.connect(serverSide);
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(agentSide);
  return {
    label: "warden/mcp in the agent's process (scan on)",
    direct: false,
    client,
    pid: undefined,
    close: async () => {
      await client.close();
      await upstream.close();
    },
  };
}

/** `calls` measured calls per path after `warmup`, reading `file`; paths take turns in a rotating order. */
export async function measureMcpOverhead(server: McpServerUnderTest, file: string, calls: number, warmup: number, say: (m: string) => void): Promise<McpPath[]> {
  // `warden mcp` and the floor run as the CLI runs by default, without the benchmark's semi-space flag: for this
  // process it costs CPU (by hand, 2,000 calls: 395 µs per call without it, 465 with it, scan on; the nursery then
  // streams through 16 MiB and pushes the scanner's tables out of cache between calls).
  const cli = (scan: boolean): string[] => ["bin/warden.js", "mcp", "--policy", POLICY, "--agent-id", "bench", ...(scan ? [] : ["--scan-results", "off"]), "--log-level", "error", "--", server.command, ...server.args];
  const paths: Path[] = [
    await stdioPath(`direct to ${server.name}`, true, server.command, server.args),
    await stdioPath("floor: a Node process copying bytes (no proxy logic)", false, process.execPath, [BYTE_PIPE, server.command, ...server.args]),
    await stdioPath("warden mcp process (scan on)", false, process.execPath, cli(true)),
    await stdioPath("warden mcp process (scan off)", false, process.execPath, cli(false)),
    await inProcessPath(server),
  ];
  const lat = paths.map(() => new Float64Array(calls));
  const args = { path: join(file) };
  let cpu0: number[] = [];
  try {
    for (let i = 0; i < warmup + calls; i++) {
      if (i === warmup) cpu0 = paths.map((p) => processCpuUs(p.pid));
      for (let j = 0; j < paths.length; j++) {
        const k = (i + j) % paths.length;
        const p = paths[k]!;
        const t0 = process.hrtime.bigint();
        const r = (await p.client.callTool({ name: "read_text_file", arguments: args })) as CallToolResult;
        const dt = Number(process.hrtime.bigint() - t0);
        if (r.isError) throw new Error(`${p.label}: the call failed: ${JSON.stringify(r.content).slice(0, 300)}`);
        if (i >= warmup) lat[k]![i - warmup] = dt;
      }
    }
    return paths.map((p, k) => {
      const cpu = (processCpuUs(p.pid) - (cpu0[k] ?? NaN)) / calls;
      const s = summarize(lat[k]!);
      say(`mcp ${server.name} / ${p.label}: p50 ${(s.p50 / 1000).toFixed(0)} µs p99 ${(s.p99 / 1000).toFixed(0)} µs`);
      return { label: p.label, direct: p.direct, s, proxyCpuUs: p.direct || Number.isNaN(cpu) ? null : cpu };
    });
  } finally {
    for (const p of paths) await p.close().catch(() => {});
  }
}
