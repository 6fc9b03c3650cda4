// `warden mcp --policy P [--agent-id ID] [--approvals-dir D] -- <command> [args…]`: a governed stdio MCP proxy.
import { resolve } from "node:path";
import { pino } from "pino";
import { ApprovalStore } from "../../approvals/store.js";
import { Governor } from "../../gateway/governor.js";
import { watchPolicy } from "../../gateway/reload.js";
import { packScanner } from "../../mcp/scan-results.js";
import { runStdioProxy } from "../../mcp/stdio.js";
import type { Action } from "../../types.js";
import { flag, parseArgs, requireFlag, type ParsedArgs } from "../args.js";
import { ExitError, type CliIO, type Command } from "../io.js";
import { requirePolicy } from "../policy-input.js";
import { approvalsDir } from "./approvals.js";
import { openSink } from "./serve.js";

const USAGE = `usage: warden mcp --policy <policy.yaml> [--agent-id ID] [--agent-role ROLE] [--agent-label k=v…]
       [--approvals-dir D] [--audit DIR --keys KEYRING [--audit-on-full block|drop]] [--scan-results injection|off] [--log-level L]
       -- <server command> [args…]
stdin/stdout speak MCP to the agent; logs go to stderr.`;

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
    values: ["policy", "agent-id", "agent-role", "approvals-dir", "audit", "keys", "durability", "audit-on-full", "scan-results", "log-level", "approval-poll-ms"],
    repeatable: ["agent-label"],
    booleans: ["json"],
  }, "mcp");
  if (args.positionals.length > 0 || args.rest.length === 0) throw new ExitError(`${USAGE}\n(put the server command after \`--\`)`);
  const policyPath = resolve(io.cwd, requireFlag(args, "policy", "mcp"));
  const policy = requirePolicy(policyPath, io, "mcp");
  const agent = agentFrom(args, io);
  const scan = flag(args, "scan-results") ?? "injection";
  if (scan !== "injection" && scan !== "off") throw new ExitError("warden mcp: --scan-results is `injection` or `off`");
  const pollMs = Number(flag(args, "approval-poll-ms") ?? "100");
  if (!Number.isInteger(pollMs) || pollMs < 10) throw new ExitError("warden mcp: --approval-poll-ms must be a whole number ≥ 10");
  // stdout belongs to the MCP protocol: every log line goes to stderr.
  const logger = pino({ level: flag(args, "log-level") ?? "info", base: { svc: "warden-mcp" } }, pino.destination({ fd: 2, sync: true }));
  let scanner = null;
  if (scan === "injection") {
    try {
      scanner = packScanner(["injection"]);
    } catch (e) {
      throw new ExitError(`warden mcp: ${(e as Error).message} (use --scan-results off to run without it)`, 1);
    }
  }
  const sink = await openSink(io, flag(args, "audit"), flag(args, "keys"), flag(args, "durability"), "mcp", flag(args, "audit-on-full"));
  const governor = new Governor(policy, { sink });
  const watcher = watchPolicy(policyPath, governor, (o) => {
    if (o.ok) {
      if (o.changed) logger.info({ hash: o.hash }, "policy reloaded");
    } else logger.error({ errors: o.errors, kept: o.keptHash }, "policy reload rejected; the running policy stays in force");
  });
  const [command, ...rest] = args.rest as [string, ...string[]];
  let proxy;
  try {
    proxy = await runStdioProxy({ command, args: rest, cwd: io.cwd }, {
      governor,
      ...(agent ? { agent } : {}),
      approvals: new ApprovalStore(approvalsDir(io, flag(args, "approvals-dir"))),
      approvalPollMs: pollMs,
      scanner,
      log: (e) => logger.info(e),
    });
  } catch (e) {
    watcher.close();
    await sink?.close();
    throw new ExitError(`warden mcp: cannot start \`${command}\`: ${(e as Error).message}`, 1);
  }
  logger.info({ policy: policy.info, server: proxy.upstream.getServerVersion(), agent: agent ?? null }, "governing MCP server");
  const stop = (): void => void proxy.close();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await proxy.closed;
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  watcher.close();
  await sink?.close();
  logger.info({ stats: proxy.stats }, "proxy stopped");
  return 0;
};
