// Runs the governed proxy over stdio: spawns the real MCP server as a child and serves the agent on our stdin/stdout.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport, getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import type { Readable, Writable } from "node:stream";
import { WARDEN_VERSION } from "../version.js";
import { FirstMessageTransport, forwardedCapabilities, initializeCapabilities } from "./handshake.js";
import { useLineReadBuffer, type LineHooks } from "./line-buffer.js";
import { createGovernedServer, type GovernedServer, type McpProxyOptions } from "./proxy.js";

export interface UpstreamCommand {
  command: string;
  args: string[];
  cwd?: string;
  /** Extra environment for the child, on top of the proxy's own (servers need their API keys). */
  env?: Record<string, string>;
}

/** The proxy's environment for the child, minus Warden's own secrets (the SDK default would drop the server's keys). */
export function childEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = { ...getDefaultEnvironment() };
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !/^WARDEN_.*TOKEN$/.test(k)) out[k] = v;
  return out;
}

/**
 * Spawns and connects to the real server (stderr passes through so its logs stay visible), offering it `capabilities`.
 * `lines` hears of lines from the server too long to read (line-buffer.ts); by default one that cannot be answered closes the connection.
 */
export async function connectUpstream(cmd: UpstreamCommand, capabilities: ClientCapabilities = {}, lines: LineHooks = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: cmd.command,
    args: cmd.args,
    env: { ...childEnvironment(), ...(cmd.env ?? {}) },
    ...(cmd.cwd ? { cwd: cmd.cwd } : {}),
    stderr: "inherit",
  });
  // a line that cannot be answered leaves the connection unusable: closed (pending requests fail), after telling the owner
  useLineReadBuffer(transport, {
    peer: "server",
    ...lines,
    fatal: (e) => {
      lines.fatal?.(e);
      void transport.close().catch(() => {});
    },
  });
  const client = new Client({ name: "warden-mcp-proxy", version: WARDEN_VERSION }, { capabilities });
  await client.connect(transport);
  return client;
}

export interface RunningProxy extends GovernedServer {
  upstream: Client;
  /** Resolves when either side hangs up, or the proxy stops on a failure. */
  closed: Promise<void>;
  /** Why the proxy stopped, when it was not a hang-up or close(): a line from either side it could neither read nor answer. */
  failure(): Error | null;
  close(): Promise<void>;
}

/**
 * Reads the agent's initialize first, then starts the real server offering it the agent's client capabilities
 * (so sampling, roots and elicitation can pass through), then answers the agent as the governed server.
 * Resolves once the agent has initialized; rejects if the agent hangs up first or the server cannot start.
 */
export async function runStdioProxy(cmd: UpstreamCommand, options: McpProxyOptions, io: { stdin?: Readable; stdout?: Writable } = {}): Promise<RunningProxy> {
  const stdin = io.stdin ?? process.stdin;
  const stdio = new StdioServerTransport(stdin, io.stdout);
  let failure: Error | null = null;
  // until the proxy is set up, stopping is closing the agent's side (then the whole proxy, below)
  let close: () => Promise<void> = () => stdio.close().catch(() => {});
  const fatal = (e: Error): void => {
    failure ??= e;
    void close();
  };
  useLineReadBuffer(stdio, { peer: "agent", fatal, ...(options.log ? { log: options.log } : {}) });
  const agentSide = new FirstMessageTransport(stdio);
  const endOfInput = new Promise<null>((r) => {
    stdin.once("end", () => r(null));
    stdin.once("close", () => r(null));
  });
  const first = await Promise.race([agentSide.open(), endOfInput]);
  if (first === null) {
    await agentSide.close().catch(() => {});
    throw failure ?? new Error("the agent hung up before initializing");
  }
  const capabilities = forwardedCapabilities(initializeCapabilities(first) ?? undefined);
  let upstream: Client;
  try {
    upstream = await connectUpstream(cmd, capabilities, { fatal, ...(options.log ? { log: options.log } : {}) });
  } catch (e) {
    await agentSide.close().catch(() => {});
    throw failure ?? e;
  }
  options.sandbox?.configure({ capabilities });
  const governed = createGovernedServer(upstream, options);
  let done!: () => void;
  const closed = new Promise<void>((r) => (done = r));
  let closing = false;
  close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    await governed.server.close().catch(() => {});
    await upstream.close().catch(() => {});
    done();
  };
  upstream.onclose = () => void close();
  governed.server.onclose = () => void close();
  // The SDK's stdio transport does not notice the agent hanging up; we do, and stop the child with us.
  void endOfInput.then(() => close());
  await governed.server.connect(agentSide);
  return { ...governed, upstream, closed, close, failure: () => failure };
}
