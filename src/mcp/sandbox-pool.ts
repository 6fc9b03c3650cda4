// The MCP proxy's sandbox executor: a SANDBOX'd tools/call runs on a second instance of the real server,
// started inside an OS sandbox derived from the decision's profile. One instance per distinct profile,
// started on first use, reused, closed with the proxy. Anything that goes wrong refuses the call.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { DEFAULT_INHERITED_ENV_VARS, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { CallToolResultSchema, type CallToolRequest, type CallToolResult, type ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { accessSync, constants } from "node:fs";
import type { SandboxLauncher } from "../sandbox/bwrap.js";
import { planKey, planSandbox, type PlanFs } from "../sandbox/plan.js";
import type { SandboxProfile } from "../types.js";
import { WARDEN_VERSION } from "../version.js";
import { childEnvironment, type UpstreamCommand } from "./stdio.js";

/** Why a sandboxed call could not run; the proxy turns it into a refusal with this code. */
export class SandboxError extends Error {
  constructor(
    readonly code: "SANDBOX_UNSUPPORTED" | "SANDBOX_FAILED",
    message: string,
  ) {
    super(message);
  }
}

export interface SandboxExecutor {
  readonly name: string;
  /** Runs one tools/call in the sandbox for `profile`; throws SandboxError when it cannot. */
  callTool(profile: SandboxProfile, params: CallToolRequest["params"], options: RequestOptions): Promise<CallToolResult>;
  /** Capabilities and wiring for new instances (the proxy forwards their requests to the agent). */
  configure(setup: { capabilities?: ClientCapabilities; onInstance?: (client: Client) => void }): void;
  close(): Promise<void>;
}

export interface SandboxPoolOptions {
  launcher: SandboxLauncher;
  /** The same server command the proxy runs unsandboxed. */
  upstream: UpstreamCommand;
  /** Where the variables named by a profile's `env.allow` come from (default: the proxy's child environment). */
  sourceEnv?: Record<string, string | undefined>;
  /** Bound on starting an instance (spawn + MCP initialize), default 30 s. */
  startTimeoutMs?: number;
  log?: (event: Record<string, unknown>) => void;
  /** Where instances' stderr goes besides the failure report (default: the proxy's stderr). */
  stderr?: (chunk: string) => void;
  fs?: PlanFs;
}

/** The command as an absolute host path, found with the proxy's PATH: inside, PATH is whatever the profile says. */
export function resolveCommand(command: string, cwd: string, path: string | undefined): string {
  if (command.includes("/")) return isAbsolute(command) ? command : resolve(cwd, command);
  for (const dir of (path ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return command;
}

interface Instance {
  client: Promise<Client>;
}

export function createSandboxPool(options: SandboxPoolOptions): SandboxExecutor {
  const log = options.log ?? (() => {});
  const writeErr = options.stderr ?? ((c: string) => void process.stderr.write(c));
  const cwd = options.upstream.cwd ?? process.cwd();
  const source = options.sourceEnv ?? { ...childEnvironment(), ...(options.upstream.env ?? {}) };
  const command = resolveCommand(options.upstream.command, cwd, source.PATH ?? process.env.PATH);
  const instances = new Map<string, Instance>();
  let capabilities: ClientCapabilities = {};
  let onInstance: ((client: Client) => void) | undefined;
  let closed = false;

  const start = (key: string, plan: Parameters<SandboxLauncher["wrap"]>[0]): Instance => {
    const launch = options.launcher.wrap(plan, command, options.upstream.args, { cwd, inheritedEnv: DEFAULT_INHERITED_ENV_VARS });
    const transport = new StdioClientTransport({ command: launch.command, args: launch.args, env: launch.env, cwd, stderr: "pipe" });
    const stderr: string[] = [];
    transport.stderr?.on("data", (c: Buffer) => {
      const s = c.toString();
      stderr.push(s);
      if (stderr.length > 20) stderr.shift();
      writeErr(s);
    });
    const client = new Client({ name: "warden-mcp-proxy", version: WARDEN_VERSION }, { capabilities });
    onInstance?.(client);
    client.onclose = () => {
      if (instances.get(key)?.client === ready) instances.delete(key);
      log({ msg: "sandbox instance stopped", sandbox: options.launcher.name });
    };
    const ready: Promise<Client> = client.connect(transport, { timeout: options.startTimeoutMs ?? 30_000 }).then(
      () => {
        log({ msg: "sandbox instance started", sandbox: options.launcher.name, network: plan.network, mounts: plan.mounts, env: Object.keys(plan.env), skipped: plan.skipped });
        return client;
      },
      async (e: unknown) => {
        if (instances.get(key)?.client === ready) instances.delete(key);
        await client.close().catch(() => {});
        const said = stderr.join("").trim().split("\n").slice(-3).join(" | ").slice(0, 400);
        throw new SandboxError("SANDBOX_FAILED", `the ${options.launcher.name} sandbox for \`${options.upstream.command}\` could not start (${(e as Error).message})${said ? `; it said: ${said}` : ""}`);
      },
    );
    const inst: Instance = { client: ready };
    instances.set(key, inst);
    return inst;
  };

  return {
    name: options.launcher.name,
    configure(setup) {
      if (setup.capabilities) capabilities = setup.capabilities;
      if (setup.onInstance) onInstance = setup.onInstance;
    },
    async callTool(profile, params, requestOptions) {
      if (closed) throw new SandboxError("SANDBOX_FAILED", "the proxy is shutting down");
      const r = planSandbox(profile, source, options.fs);
      if (!r.ok) throw new SandboxError("SANDBOX_UNSUPPORTED", r.error);
      const key = planKey(r.plan);
      const inst = instances.get(key) ?? start(key, r.plan);
      const client = await inst.client;
      return (await client.request({ method: "tools/call", params }, CallToolResultSchema, requestOptions)) as CallToolResult;
    },
    async close() {
      closed = true;
      const all = [...instances.values()];
      instances.clear();
      await Promise.all(all.map(async (i) => (await i.client.catch(() => null))?.close().catch(() => {})));
    },
  };
}
