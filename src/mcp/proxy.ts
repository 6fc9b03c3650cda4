// The governed MCP server: every tools/call is decided and enforced before it reaches the real server; every
// other request and notification passes through unchanged. Transport-agnostic (stdio, in-memory for drills).
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  ListToolsRequestSchema,
  ListToolsResultSchema,
  ResultSchema,
  type CallToolResult,
  type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import type { ApprovalStore } from "../approvals/store.js";
import { errorText, type Governor } from "../gateway/governor.js";
import type { Action, Decision } from "../types.js";
import { decidingReason, describeStop, planCall } from "./enforce.js";
import { SandboxError, type SandboxExecutor } from "./sandbox-pool.js";
import type { ResultScanner } from "./scan-results.js";
import { neverAllowed } from "./visibility.js";

export interface McpProxyOptions {
  governor: Governor;
  /** Who the agent is: set by whoever starts the proxy, never by the agent. */
  agent?: NonNullable<Action["agent"]>;
  /** Where ESCALATE'd calls wait for a human; without one they are refused. */
  approvals?: ApprovalStore | null;
  approvalPollMs?: number;
  /** Used when an ESCALATE decision carries no approval timeout (default 5 min). */
  defaultApprovalTimeoutMs?: number;
  /** Runs SANDBOX'd calls (see sandbox-pool.ts); without one they are refused and say so. */
  sandbox?: SandboxExecutor | null;
  /** Scans text the tool returns; a finding withholds the result. */
  scanner?: ResultScanner | null;
  /** Timeout for a forwarded request to the real server (default 10 min). */
  upstreamTimeoutMs?: number;
  clock?: () => Date;
  log?: (event: Record<string, unknown>) => void;
}

export interface ProxyStats {
  calls: number;
  forwarded: number;
  stopped: number;
  held: number;
  withheld: number;
  hidden: number;
  /** Calls run in a sandboxed instance of the server (also counted in `forwarded`). */
  sandboxed: number;
}

export interface GovernedServer {
  server: Server;
  stats: ProxyStats;
  /** Tells the agent to list tools again (call after a policy reload: hidden tools may have changed). */
  policyChanged(): Promise<void>;
}

const DECISION_META = "warden/decision";

function stopResult(text: string, d: Decision | null, extra: Record<string, unknown> = {}): CallToolResult {
  const reason = d ? decidingReason(d) : undefined;
  return {
    content: [{ type: "text", text }],
    isError: true,
    _meta: {
      [DECISION_META]: {
        verdict: d?.verdict ?? "BLOCK",
        code: reason?.code ?? null,
        reasons: d ? d.reasons.map((r) => ({ rule: r.rule, code: r.code, verdict: r.verdict, message: r.message })) : [],
        policy: d?.policy ?? null,
        ...extra,
      },
    },
  };
}

/** Capabilities the proxy mirrors from the real server (task-based execution is not governed yet, so it is not offered). */
function mirrorCapabilities(caps: ServerCapabilities | undefined): ServerCapabilities {
  const out: ServerCapabilities = { ...(caps ?? {}) };
  delete (out as Record<string, unknown>).tasks;
  // The visible tool list also changes when the policy is reloaded, so the proxy always announces changes.
  if (out.tools) out.tools = { ...out.tools, listChanged: true };
  return out;
}

export function createGovernedServer(upstream: Client, options: McpProxyOptions): GovernedServer {
  const { governor } = options;
  const clock = options.clock ?? (() => new Date());
  const log = options.log ?? (() => {});
  const upstreamTimeout = options.upstreamTimeoutMs ?? 600_000;
  const stats: ProxyStats = { calls: 0, forwarded: 0, stopped: 0, held: 0, withheld: 0, hidden: 0, sandboxed: 0 };
  const info = upstream.getServerVersion() ?? { name: "mcp-server", version: "0" };
  const instructions = upstream.getInstructions();
  const server = new Server(
    { ...info, name: info.name },
    { capabilities: mirrorCapabilities(upstream.getServerCapabilities()), ...(instructions ? { instructions } : {}) },
  );

  if (upstream.getServerCapabilities()?.tools) {
    server.setRequestHandler(ListToolsRequestSchema, async (req, extra) => {
      const res = await upstream.request({ method: "tools/list", ...(req.params ? { params: req.params } : {}) }, ListToolsResultSchema, { signal: extra.signal, timeout: upstreamTimeout });
      const visible = res.tools.filter((t) => !neverAllowed(governor.policy, t.name));
      const hidden = res.tools.length - visible.length;
      if (hidden > 0) {
        stats.hidden += hidden;
        log({ msg: "tools hidden", hidden: res.tools.filter((t) => !visible.includes(t)).map((t) => t.name) });
      }
      return { ...res, tools: visible };
    });

    server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
      stats.calls++;
      const tool = req.params.name;
      const args = (req.params.arguments ?? {}) as Record<string, unknown>;
      const action: Action = { kind: "tool_call", at: clock().toISOString(), tool, args, context: { via: "mcp", server: info.name } };
      if (options.agent) action.agent = options.agent;
      const d = await governor.decide(action);
      const sandbox = options.sandbox ?? null;
      const plan = planCall(tool, args, d, sandbox !== null);
      log({ msg: "decision", tool, verdict: d.verdict, codes: d.reasons.map((r) => r.code) });
      if (plan.kind === "refuse") {
        stats.stopped++;
        return stopResult(plan.text, d);
      }
      if (plan.kind === "sandbox") {
        // Never forwarded unsandboxed: no executor means a refusal (planCall already says so; this guards the type).
        if (sandbox === null) return stopResult(describeStop(tool, d, "Warden requires a sandbox for"), d);
        let result: CallToolResult;
        try {
          result = await sandbox.callTool(plan.profile, { ...req.params, arguments: plan.args }, { signal: extra.signal, timeout: upstreamTimeout });
        } catch (e) {
          if (!(e instanceof SandboxError)) throw e;
          stats.stopped++;
          log({ msg: "sandbox refused", tool, code: e.code, error: e.message });
          return stopResult(`${describeStop(tool, d, "Warden requires a sandbox for")} ${e.code}: ${e.message}, so the call is refused.`, d, { sandbox: { executor: sandbox.name, error: e.code } });
        }
        stats.forwarded++;
        stats.sandboxed++;
        return screen(tool, result, d);
      }
      let forwardArgs = args;
      if (plan.kind === "hold") {
        // Changes required by MODIFY rules still apply to a held call: the approver sees, and the server gets, the modified arguments.
        forwardArgs = d.obligations.modify?.action.args ?? args;
        const token = extra._meta?.progressToken;
        const keepAlive = token === undefined ? null : (message: string, n: number) => extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: n, message } });
        const outcome = await hold(tool, forwardArgs, d, plan.reason, extra.signal, keepAlive);
        if (outcome !== null) {
          stats.stopped++;
          return outcome;
        }
      } else forwardArgs = plan.args;
      stats.forwarded++;
      const result = (await upstream.request(
        { method: "tools/call", params: { ...req.params, arguments: forwardArgs } },
        CallToolResultSchema,
        { signal: extra.signal, timeout: upstreamTimeout },
      )) as CallToolResult;
      return screen(tool, result, d);
    });
  }

  /** Holds an ESCALATE'd call in the approval store; null means approved (forward it). */
  async function hold(
    tool: string,
    args: Record<string, unknown>,
    d: Decision,
    reason: { rule: string; code: string; message: string },
    signal: AbortSignal,
    keepAlive: ((message: string, n: number) => Promise<void>) | null,
  ): Promise<CallToolResult | null> {
    const store = options.approvals ?? null;
    if (store === null) {
      return stopResult(`Warden holds \`${tool}\` for approval (${reason.code}: ${reason.message}), but no approval store is configured for this proxy (start it with --approvals-dir), so the call is refused. The tool was not called.`, d);
    }
    const approval = d.obligations.approval;
    const timeoutMs = approval?.timeoutMs ?? options.defaultApprovalTimeoutMs ?? 300_000;
    let id: string;
    try {
      id = store.request({ group: approval?.group ?? "default", rule: reason.rule, code: reason.code, message: reason.message, action: { tool, args, ...(options.agent ? { agent: options.agent } : {}) }, policy: d.policy.hash }, timeoutMs).id;
    } catch (e) {
      return stopResult(`Warden could not store the approval request for \`${tool}\` (${errorText(e)}), so the call is refused. The tool was not called.`, d);
    }
    stats.held++;
    log({ msg: "held for approval", tool, approval: id, group: approval?.group, timeoutMs });
    const waiting = `Waiting for approval ${id} (${reason.code}); approve with: warden approvals approve ${id}`;
    // Agents that asked for progress get a heartbeat, so their request timeout can be reset while a human decides.
    let beats = 0;
    const timer = keepAlive ? setInterval(() => void keepAlive(waiting, ++beats).catch(() => {}), 5000) : null;
    if (keepAlive) void keepAlive(waiting, 0).catch(() => {});
    let rec;
    try {
      rec = await store.waitFor(id, { pollMs: options.approvalPollMs ?? 100, signal });
    } catch (e) {
      return stopResult(`Warden could not read approval ${id} for \`${tool}\` (${errorText(e)}), so the call is refused. The tool was not called.`, d, { approval: id });
    } finally {
      if (timer) clearInterval(timer);
    }
    if (rec.status === "approved") {
      log({ msg: "approved", tool, approval: id, by: rec.resolution?.by });
      return null;
    }
    const how = rec.status === "denied" ? `was denied by ${rec.resolution?.by ?? "an approver"}${rec.resolution?.note ? ` (${rec.resolution.note})` : ""}` : `was not approved within ${timeoutMs} ms (timeouts deny)`;
    log({ msg: "not approved", tool, approval: id, status: rec.status });
    return stopResult(`Warden held \`${tool}\` for approval ${id} (${reason.code}: ${reason.message}); the request ${how}. The tool was not called.`, d, { approval: id, approvalStatus: rec.status });
  }

  /** Withholds a result whose text the scanner flags as injected instructions. */
  function screen(tool: string, result: CallToolResult, d: Decision): CallToolResult {
    const scanner = options.scanner;
    if (!scanner) return result;
    const texts: string[] = [];
    for (const c of result.content ?? []) if (c.type === "text") texts.push(c.text);
    if (result.structuredContent !== undefined) texts.push(JSON.stringify(result.structuredContent));
    const findings = scanner.scan(texts.join("\n"));
    if (findings.length === 0) return result;
    stats.withheld++;
    log({ msg: "result withheld", tool, rules: findings.map((f) => f.rule) });
    const list = [...new Set(findings.map((f) => f.rule))].join(", ");
    return stopResult(`Warden withheld the result of \`${tool}\`: it contains text that looks like instructions injected into tool output (${list}). The tool ran; its output was not passed on.`, d, { withheld: findings.map((f) => ({ rule: f.rule, start: f.start, end: f.end })) });
  }

  // Everything else (resources, prompts, completion, logging, ping) passes through unchanged.
  server.fallbackRequestHandler = async (request, extra) =>
    upstream.request({ method: request.method, ...(request.params ? { params: request.params } : {}) }, ResultSchema, { signal: extra.signal, timeout: upstreamTimeout });
  server.fallbackNotificationHandler = async (n) => {
    await upstream.notification(n as Parameters<Client["notification"]>[0]).catch(() => {});
  };
  upstream.fallbackNotificationHandler = async (n) => {
    await server.notification(n as Parameters<Server["notification"]>[0]).catch(() => {});
  };
  const policyChanged = async (): Promise<void> => {
    if (upstream.getServerCapabilities()?.tools) await server.sendToolListChanged().catch(() => {});
  };
  return { server, stats, policyChanged };
}
