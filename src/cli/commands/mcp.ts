// `warden mcp --policy P … -- <command> [args…]` (stdio) or `--upstream-url URL` (streamable HTTP): a governed MCP proxy.
import { resolve } from "node:path";
import { pino, type Logger } from "pino";
import { ApprovalStore } from "../../approvals/store.js";
import { Governor } from "../../gateway/governor.js";
import { watchPolicy } from "../../gateway/reload.js";
import { packScanner } from "../../mcp/scan-results.js";
import { createSandboxPool, type SandboxExecutor } from "../../mcp/sandbox-pool.js";
import { bwrapLauncher } from "../../sandbox/bwrap.js";
import { runStdioProxy, type UpstreamCommand } from "../../mcp/stdio.js";
import { runHttpProxy, type HttpProxyOptions } from "../../mcp/http.js";
import type { Action } from "../../types.js";
import { MAX_DELAY_MS, flag, numberFlag, parseArgs, parseWholeNumber, requireFlag, shown, wholeNumberForm, type ParsedArgs } from "../args.js";
import { logLevel } from "../log-level.js";
import { ExitError, type CliIO, type Command } from "../io.js";
import { requirePolicy } from "../policy-input.js";
import { approvalsDir } from "./approvals.js";
import { keyringFlag, openSink, readToken } from "./serve.js";
import { waitForStop } from "../signals.js";
import { makeDirs } from "../dirs.js";
import { upstreamHeaders } from "../upstream-token.js";
import { allowedHostsFlags, type AllowedHosts } from "../allowed-hosts.js";

export const USAGE = `usage: warden mcp --policy <policy.yaml> [--agent-id ID] [--agent-role ROLE] [--agent-label k=v…]
       [--approvals-dir D] [--approval-poll-ms N] [--audit LOG --keys|--key KEYRING [--durability strict|batched] [--audit-on-full block|drop]]
       [--scan-results injection|off] [--log-level L]
       ( [--sandbox bwrap|off] -- <server command> [args…]               stdio: stdin/stdout speak MCP, logs go to stderr
       | --upstream-url URL [--upstream-token-file F] [--listen HOST:PORT] [--token-file F] [--json]   streamable HTTP in front of a streamable-HTTP server
           [--allowed-hosts H,…] [--allowed-origins O,…]                   names and web origins accepted besides loopback
           [--sandbox bwrap -- <server command> [args…]] )                 SANDBOX'd calls run on this local stdio form of the server`;
const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** The agent identity comes from flags or the environment of whoever starts the proxy, never from the agent. */
export function agentFrom(args: ParsedArgs, io: CliIO): NonNullable<Action["agent"]> | undefined {
  const id = flag(args, "agent-id") ?? io.env.WARDEN_AGENT_ID;
  const role = flag(args, "agent-role") ?? io.env.WARDEN_AGENT_ROLE;
  const labels: Record<string, string> = {};
  for (const l of args.flags.get("agent-label") ?? []) {
    const eq = l.indexOf("=");
    if (eq <= 0) throw new ExitError(`warden: --agent-label takes key=value, got \`${l}\``);
    labels[l.slice(0, eq)] = l.slice(eq + 1);
  }
  if (id === undefined && role === undefined && Object.keys(labels).length === 0) return undefined;
  return { ...(id !== undefined ? { id } : {}), ...(role !== undefined ? { role } : {}), ...(Object.keys(labels).length ? { labels } : {}) };
}

export const run: Command = async (argv, io) => {
  const args = parseArgs(argv, {
    values: ["policy", "agent-id", "agent-role", "approvals-dir", "audit", "key", "keys", "durability", "audit-on-full", "scan-results", "log-level", "approval-poll-ms", "upstream-url", "upstream-token-file", "listen", "token-file", "sandbox"],
    repeatable: ["agent-label", "allowed-hosts", "allowed-origins"],
    booleans: ["json"],
  }, "mcp");
  const keyring = keyringFlag(args, "mcp");
  const upstreamUrl = flag(args, "upstream-url");
  const sandboxKind = flag(args, "sandbox") ?? "off";
  if (sandboxKind !== "bwrap" && sandboxKind !== "off") throw new ExitError("warden mcp: --sandbox is `bwrap` (bubblewrap) or `off` (SANDBOX verdicts are refused)");
  if (args.positionals.length > 0 || (upstreamUrl === undefined && args.rest.length === 0)) throw new ExitError(`${USAGE}\n(give either the server command after \`--\` or --upstream-url)`);
  if (upstreamUrl === undefined && ["listen", "token-file", "upstream-token-file", "allowed-hosts", "allowed-origins"].some((f) => flag(args, f) !== undefined)) throw new ExitError("warden mcp: --listen, --token-file, --upstream-token-file, --allowed-hosts and --allowed-origins belong to the HTTP mode (--upstream-url)");
  // In HTTP mode a command after `--` is only the local form of the server that SANDBOX'd calls run on: the remote
  // server cannot be put in a sandbox from here. Each half without the other would be silently ignored, so refuse.
  if (upstreamUrl !== undefined && args.rest.length > 0 && sandboxKind === "off") throw new ExitError("warden mcp: with --upstream-url, a command after `--` is the server that SANDBOX'd calls run on in a sandbox, so it needs --sandbox bwrap");
  if (upstreamUrl !== undefined && args.rest.length === 0 && sandboxKind !== "off") throw new ExitError("warden mcp: --sandbox with --upstream-url needs the local stdio form of the server after `--` (`-- <server command> [args…]`): SANDBOX'd calls run on it, inside the sandbox");
  // checked before anything starts: a usage error must not leave a watcher or an audit log open
  const http = upstreamUrl === undefined ? null : httpMode(io, args, upstreamUrl);
  const policyPath = resolve(io.cwd, requireFlag(args, "policy", "mcp"));
  const policy = requirePolicy(policyPath, io, "mcp");
  const agent = agentFrom(args, io);
  const scan = flag(args, "scan-results") ?? "injection";
  if (scan !== "injection" && scan !== "off") throw new ExitError("warden mcp: --scan-results is `injection` or `off`");
  const pollMs = numberFlag(args, "approval-poll-ms", "mcp", { min: 10, max: MAX_DELAY_MS, what: "a number of milliseconds" }) ?? 100;
  // stdout belongs to the MCP protocol: every log line goes to stderr.
  const logger = pino({ level: logLevel(flag(args, "log-level"), "mcp"), base: { svc: "warden-mcp" } }, pino.destination({ fd: 2, sync: true }));
  let scanner = null;
  if (scan === "injection") {
    try {
      scanner = packScanner(["injection"]);
    } catch (e) {
      throw new ExitError(`warden mcp: ${(e as Error).message} (use --scan-results off to run without it)`, 1);
    }
  }
  const sink = await openSink(io, flag(args, "audit"), keyring, flag(args, "durability"), "mcp", flag(args, "audit-on-full"), policy.ir.sensitive);
  if (sink === null) logger.warn("no --audit LOG: decisions are enforced but not recorded");
  const governor = new Governor(policy, { sink });
  let announce: (() => Promise<void>) | null = null;
  const watcher = watchPolicy(policyPath, governor, (o) => {
    if (o.ok) {
      if (o.changed) {
        logger.info({ hash: o.hash }, "policy reloaded");
        void announce?.();
      }
    } else logger.error({ errors: o.errors, kept: o.keptHash }, "policy reload rejected; the running policy stays in force");
  });
  let approvals: ApprovalStore | null = null;
  try {
    const dir = approvalsDir(io, flag(args, "approvals-dir"));
    makeDirs(dir, "mcp", "--approvals-dir", flag(args, "approvals-dir") ?? dir);
    approvals = new ApprovalStore(dir);
  } catch (e) {
    // Without a store ESCALATE'd calls are refused (never run); say so instead of failing to start.
    logger.error({ err: (e as Error).message }, "cannot open the approvals directory (give --approvals-dir); ESCALATE'd calls will be refused");
  }
  const proxyOptions = {
    governor,
    ...(agent ? { agent } : {}),
    approvals,
    approvalPollMs: pollMs,
    scanner,
    // an event may ask for a level (a dropped request-as-notification is a warning); the rest are info
    log: (e: Record<string, unknown>) => {
      const { level, ...rest } = e; // pino writes its own `level`
      if (level === "warn") logger.warn(rest);
      else logger.info(e);
    },
  };
  const [command, ...rest] = args.rest as [string, ...string[]];
  const sandboxFor = sandboxKind === "bwrap" ? await bwrapExecutors({ command, args: rest, cwd: io.cwd }, logger) : null;
  if (http !== null) {
    try {
      return await serveHttp(io, args, http, { ...proxyOptions, ...(sandboxFor ? { sandboxFor } : {}) }, logger, (f) => (announce = f), () => void watcher.reload());
    } finally {
      watcher.close();
      await sink?.close();
    }
  }
  const sandbox: SandboxExecutor | null = sandboxFor?.() ?? null;
  let proxy;
  try {
    proxy = await runStdioProxy({ command, args: rest, cwd: io.cwd }, { ...proxyOptions, sandbox });
    announce = proxy.policyChanged;
  } catch (e) {
    watcher.close();
    await sandbox?.close();
    await sink?.close();
    throw new ExitError(`warden mcp: cannot start \`${command}\`: ${(e as Error).message}`, 1);
  }
  logger.info({ policy: policy.info, server: proxy.upstream.getServerVersion(), agent: agent ?? null }, "governing MCP server");
  const stop = (): void => void proxy.close();
  // SIGHUP re-reads the policy now (as for serve); without a handler it would end the process and skip closing the audit sink.
  const hangup = (): void => void watcher.reload();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  process.on("SIGHUP", hangup);
  await proxy.closed;
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  process.off("SIGHUP", hangup);
  await sandbox?.close();
  watcher.close();
  await sink?.close();
  const failure = proxy.failure();
  if (failure !== null) {
    // not a hang-up: say why, and exit non-zero (an agent's supervisor sees a failure, not a clean stop)
    logger.error({ stats: proxy.stats, err: failure.message }, `proxy stopped: ${failure.message}`);
    return 1;
  }
  logger.info({ stats: proxy.stats }, "proxy stopped");
  return 0;
};

/** Probes bubblewrap once, then makes sandbox pools that run `upstream` inside it (one per proxy, or per HTTP session). */
async function bwrapExecutors(upstream: UpstreamCommand, logger: Logger): Promise<() => SandboxExecutor> {
  const launcher = bwrapLauncher();
  // A launcher that cannot start still leaves SANDBOX calls refused (each refusal says why); say so now, loudly.
  const broken = await launcher.probe();
  if (broken !== null) logger.error({ err: broken }, "the sandbox does not work here; SANDBOX'd calls will be refused");
  return () => createSandboxPool({ launcher, upstream, log: (e) => logger.info(e) });
}

/** `--listen HOST:PORT` (`[::1]:PORT` for IPv6). */
function listenAddress(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(":");
  const port = parseWholeNumber(listen.slice(colon + 1), 0, 65535);
  if (colon < 0 || port === null) throw new ExitError(`warden mcp: --listen ${shown(listen)} is not HOST:PORT: give PORT as ${wholeNumberForm(0, 65535)}`);
  return { host: listen.slice(0, colon).replace(/^\[|\]$/g, ""), port };
}

/** HTTP mode's settings, read and checked before anything starts. */
interface HttpMode {
  upstreamUrl: string;
  host: string;
  port: number;
  /** The token agents must send (null: unauthenticated, loopback only). */
  token: string | null;
  /** What the upstream server expects (--upstream-token-file), or null. */
  upstreamHeaders: Record<string, string> | null;
  /** --allowed-hosts, --allowed-origins (null: not given). */
  allowed: AllowedHosts;
}

function httpMode(io: CliIO, args: ParsedArgs, upstreamUrl: string): HttpMode {
  const { host: listenHost, port } = listenAddress(flag(args, "listen") ?? "127.0.0.1:8788");
  try {
    new URL(upstreamUrl);
  } catch {
    throw new ExitError(`warden mcp: --upstream-url \`${upstreamUrl}\` is not a URL`);
  }
  let host = listenHost;
  const token = readToken(io, flag(args, "token-file"), "WARDEN_MCP_TOKEN", "proxy token");
  if (token === null && !LOOPBACK.has(host)) {
    io.err(`WARNING: no proxy token (--token-file or WARDEN_MCP_TOKEN): refusing to bind \`${host}\`; binding 127.0.0.1 only\n`);
    host = "127.0.0.1";
  }
  return { upstreamUrl, host, port, token, upstreamHeaders: upstreamHeaders(io, flag(args, "upstream-token-file"), "mcp"), allowed: allowedHostsFlags(args, "mcp") };
}

async function serveHttp(io: CliIO, args: ParsedArgs, http: HttpMode, options: Omit<HttpProxyOptions, "upstreamUrl">, logger: Logger, onAnnounce: (f: () => Promise<void>) => void, onHangup: () => void): Promise<number> {
  const { upstreamUrl, host, port, token } = http;
  let proxy;
  try {
    proxy = await runHttpProxy({ ...options, upstreamUrl, ...(http.upstreamHeaders ? { upstreamHeaders: http.upstreamHeaders } : {}), host, port, token, ...http.allowed });
  } catch (e) {
    throw new ExitError(`warden mcp: cannot listen on ${host}:${port}: ${(e as Error).message}`, 1);
  }
  onAnnounce(() => proxy.policyChanged());
  if (token === null) io.err("WARNING: warden mcp (HTTP) is UNAUTHENTICATED; listening on loopback only\n");
  io.out(args.bools.has("json") ? `${JSON.stringify({ listening: proxy.url, upstream: upstreamUrl, sandbox: options.sandboxFor ? "bwrap" : null })}\n` : `warden mcp: governing ${upstreamUrl} at ${proxy.url}${options.sandboxFor ? " (SANDBOX'd calls run on the local server command under bwrap)" : ""}\n`);
  await waitForStop(onHangup);
  await proxy.close();
  logger.info({ stats: proxy.stats() }, "proxy stopped");
  return 0;
}
