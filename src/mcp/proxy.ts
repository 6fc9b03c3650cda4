// The governed MCP server: every tools/call is decided and enforced before it reaches the real server; every
// other request and notification passes through unchanged. Transport-agnostic (stdio, in-memory for drills).
// Plain tools/calls reach the same decision code by a shorter route than the SDK's (fast-calls.ts).
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  type CallToolRequest,
  ErrorCode,
  type CreateMessageRequest,
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
import { FastToolCalls, type CallRoute } from "./fast-calls.js";
import { holdForApproval, type HoldContext } from "./hold.js";
import { bridgeServerRequests, createProgressRelay, type ProgressExtra, type ReverseOptions } from "./reverse.js";
import { NOT_SENT, SAMPLING, planSampling, samplingAction } from "./sampling.js";
import { SandboxError, type SandboxExecutor } from "./sandbox-pool.js";
import { readResultTexts, resultTexts, scanPieces, type ResultScanner, type ResultText } from "./scan-results.js";
import { droppedNotice, isNotificationMethod } from "./notifications.js";
import { AnswerError, answerError, errorTexts } from "./answer-error.js";
import { LISTINGS, screenInstructions, screenListing, screenNotification } from "./scan-listings.js";
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
  /**
   * Take plain tools/calls off the SDK's path and forward them on the transports directly (fast-calls.ts; the
   * default). false sends every call through the SDK's Server and Client (same decisions, more CPU per call).
   */
  fastCalls?: boolean;
}

export interface ProxyStats {
  calls: number;
  forwarded: number;
  stopped: number;
  held: number;
  withheld: number;
  hidden: number;
  /** Instructions and listed entries (tools, prompts, resources) whose text the injection scan replaced or left out. */
  screened: number;
  /** Calls run in a sandboxed instance of the server (also counted in `forwarded`). */
  sandboxed: number;
  /** sampling/createMessage requests from the server (model calls), and how many were refused. */
  samplingRequests: number;
  samplingStopped: number;
}

export interface GovernedServer {
  server: Server;
  stats: ProxyStats;
  /** Tells the agent to list tools again (call after a policy reload: hidden tools may have changed). */
  policyChanged(): Promise<void>;
  /** Forwards another client's server→client requests (sampling governed) to this agent. */
  wireUpstream(client: Client): void;
}

const DECISION_META = "warden/decision";
/** Requests whose results put text before the agent's model, screened like tool results. */
const SCREENED_READS: ReadonlySet<string> = new Set(["resources/read", "prompts/get"]);
/** JSON-RPC error code of a withheld resource or prompt (in the implementation-defined server range). */
const WITHHELD_ERROR = -32001;

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

/** The SDK's Server, with the fast tools/call path attached to each transport it is connected to. */
class FastPathServer extends Server {
  fast: FastToolCalls | null = null;

  override async connect(transport: Transport): Promise<void> {
    await super.connect(transport);
    this.fast?.attach(transport);
  }
}

export function createGovernedServer(upstream: Client, options: McpProxyOptions): GovernedServer {
  const { governor } = options;
  const clock = options.clock ?? (() => new Date());
  const log = options.log ?? (() => {});
  const upstreamTimeout = options.upstreamTimeoutMs ?? 600_000;
  const stats: ProxyStats = { calls: 0, forwarded: 0, stopped: 0, held: 0, withheld: 0, hidden: 0, screened: 0, sandboxed: 0, samplingRequests: 0, samplingStopped: 0 };
  const info = upstream.getServerVersion() ?? { name: "mcp-server", version: "0" };
  // The server's instructions go to the agent's model (often into its system prompt): scanned like a result.
  let instructions = upstream.getInstructions();
  if (instructions !== undefined && options.scanner) {
    const screened = screenInstructions(options.scanner, instructions);
    if (screened.rules.length > 0) {
      stats.screened++;
      log({ level: "warn", msg: "instructions replaced", server: info.name, rules: screened.rules, why: "the server's instructions look like injected instructions; the agent gets a notice in their place" });
      instructions = screened.text;
    }
  }
  const holdCtx: HoldContext = {
    approvals: options.approvals ?? null,
    approvalPollMs: options.approvalPollMs ?? 100,
    defaultApprovalTimeoutMs: options.defaultApprovalTimeoutMs ?? 300_000,
    agent: options.agent,
    governor,
    clock,
    log,
    onHeld: () => void stats.held++,
  };
  // Progress follows the request it belongs to, both ways (see reverse.ts for why the proxy routes it itself).
  const progress = createProgressRelay();
  const server = new FastPathServer(
    { ...info, name: info.name },
    { capabilities: mirrorCapabilities(upstream.getServerCapabilities()), ...(instructions ? { instructions } : {}) },
  );

  if (upstream.getServerCapabilities()?.tools) {
    if (options.fastCalls !== false && upstream.transport) server.fast = new FastToolCalls(upstream.transport, governCall, upstreamTimeout);
    server.setRequestHandler(ListToolsRequestSchema, async (req, extra) => {
      const res = await upstream.request({ method: "tools/list", ...(req.params ? { params: req.params } : {}) }, ListToolsResultSchema, { signal: extra.signal, timeout: upstreamTimeout }).catch((e: unknown) => {
        throw relayError(e, "tools/list");
      });
      const visible = res.tools.filter((t) => !neverAllowed(governor.policy, t.name));
      const hidden = res.tools.length - visible.length;
      if (hidden > 0) {
        stats.hidden += hidden;
        log({ msg: "tools hidden", hidden: res.tools.filter((t) => !visible.includes(t)).map((t) => t.name) });
      }
      return screenList("tools/list", { ...res, tools: visible }) as typeof res;
    });

    server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
      const token = extra._meta?.progressToken;
      return governCall(req.params, {
        signal: extra.signal,
        keepAlive: token === undefined ? null : (message, n) => extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: n, message } }),
        relay: (params) => progress.forward(params, extra),
        forward: (params) => {
          const routed = progress.forward(params, extra);
          return upstream.request({ method: "tools/call", params: routed.params }, CallToolResultSchema, { signal: extra.signal, timeout: upstreamTimeout }).finally(routed.done) as Promise<CallToolResult>;
        },
      });
    });
  }

  /** Decides one tools/call and carries the decision out; `route` says how it reaches the server and the agent. */
  async function governCall(params: CallToolRequest["params"], route: CallRoute): Promise<CallToolResult> {
    stats.calls++;
    const tool = params.name;
    const args = (params.arguments ?? {}) as Record<string, unknown>;
    const action: Action = { kind: "tool_call", at: clock().toISOString(), tool, args, context: { via: "mcp", server: info.name } };
    if (options.agent) action.agent = options.agent;
    const { decision: d, recorded } = await governor.decideRecorded(action);
    const sandbox = options.sandbox ?? null;
    const plan = planCall(tool, args, d, sandbox !== null);
    log({ msg: "decision", tool, verdict: d.verdict, codes: d.reasons.map((r) => r.code) });
    if (plan.kind === "refuse") {
      stats.stopped++;
      return stopResult(plan.text, d, plan.refusal ? { refusal: plan.refusal } : {});
    }
    if (plan.kind === "sandbox") {
      // Never forwarded unsandboxed: no executor means a refusal (planCall already says so; this guards the type).
      if (sandbox === null) return stopResult(describeStop(tool, d, "Warden requires a sandbox for"), d, { refusal: "SANDBOX_UNAVAILABLE" });
      let result: CallToolResult;
      try {
        const routed = route.relay({ ...params, arguments: plan.args });
        result = await sandbox.callTool(plan.profile, routed.params, { signal: route.signal, timeout: upstreamTimeout }).finally(routed.done);
      } catch (e) {
        if (!(e instanceof SandboxError)) throw relayError(e, "tools/call", tool);
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
      const outcome = await holdForApproval(holdCtx, { label: tool, args: forwardArgs, notRun: "The tool was not called.", recorded }, d, plan.reason, route.signal, route.keepAlive);
      if (outcome !== null) {
        stats.stopped++;
        return stopResult(outcome.text, d, outcome.extra);
      }
    } else forwardArgs = plan.args;
    stats.forwarded++;
    const result = await route.forward({ ...params, arguments: forwardArgs }).catch((e: unknown) => {
      throw relayError(e, "tools/call", tool);
    });
    return screen(tool, result, d);
  }

  /** Withholds a result whose text (any the agent's model may see: scan-results.ts) the scanner flags as injected instructions. */
  function screen(tool: string, result: CallToolResult, d: Decision): CallToolResult {
    const found = injected(() => resultTexts(result), { tool });
    if (found === null) return result;
    return stopResult(`Warden withheld the result of \`${tool}\`: it contains text that looks like instructions injected into tool output (${found.rules}). The tool ran; its output was not passed on.`, d, { withheld: found.withheld });
  }

  /**
   * Scans the text of a result for injected instructions; when something is found, counts and logs the result as
   * withheld (`subject` names it in the log) and says which patterns matched and where. Null: nothing, or no scanner.
   */
  function injected(texts: () => ResultText[], subject: Record<string, unknown>, msg = "result withheld"): { rules: string; withheld: Array<{ rule: string; field: string; start: number; end: number }> } | null {
    const scanner = options.scanner;
    if (!scanner) return null;
    const findings = scanPieces(scanner, texts());
    if (findings.length === 0) return null;
    stats.withheld++;
    log({ msg, ...subject, rules: findings.map((f) => f.rule), fields: [...new Set(findings.map((f) => f.field))] });
    return { rules: [...new Set(findings.map((f) => f.rule))].join(", "), withheld: findings.map((f) => ({ rule: f.rule, field: f.field, start: f.start, end: f.end })) };
  }

  /**
   * A forwarded request failed: the error goes to the agent with the server's own message (not the SDK's
   * `MCP error <code>: ` prefix, which the agent's SDK adds once more), and is withheld like a result when its
   * message or data carries injected instructions. Other errors (a bug, a result that fails the SDK's schema)
   * are left as they are.
   */
  function relayError(e: unknown, method: string, tool?: string): unknown {
    const err = answerError(e);
    if (err === null) return e;
    const found = injected(() => errorTexts(err), { request: method, ...(tool !== undefined ? { tool } : {}), code: err.code }, "error withheld");
    if (found === null) return err;
    const what = tool !== undefined ? `\`${tool}\`` : `the server's \`${method}\``;
    return new AnswerError(
      WITHHELD_ERROR,
      `Warden withheld the error ${what} answered with (code ${err.code}): it contains text that looks like instructions injected into it (${found.rules}); its message and data were not passed on`,
      { [DECISION_META]: { withheld: found.withheld, code: err.code } },
    );
  }

  /** A listing (tools/list, prompts/list, resources/list, resources/templates/list) with its descriptions screened (scan-listings.ts). */
  function screenList(method: string, result: Record<string, unknown>): Record<string, unknown> {
    if (!options.scanner) return result;
    const screened = screenListing(options.scanner, method, result);
    if (screened.findings.length === 0) return result;
    stats.screened += new Set(screened.findings.map((f) => f.entry)).size;
    log({ level: "warn", msg: "listing screened", request: method, findings: screened.findings, why: "text in the list looks like injected instructions: replaced by a notice, or the entry left out when its name or a key carries it" });
    return screened.result;
  }

  /** A sampling request from the real server is a model call: decided, recorded and enforced like a tool call. */
  async function governSampling(params: CreateMessageRequest["params"], signal: AbortSignal, extra: Parameters<ReverseOptions["governSampling"]>[2]): Promise<CreateMessageRequest["params"]> {
    stats.samplingRequests++;
    const { decision: d, recorded } = await governor.decideRecorded(samplingAction(params, clock().toISOString(), info.name, options.agent));
    log({ msg: "decision", request: SAMPLING, verdict: d.verdict, codes: d.reasons.map((r) => r.code) });
    const plan = planSampling(params, d);
    const refuse = (text: string, extra: Record<string, unknown> = {}): never => {
      stats.samplingStopped++;
      throw new AnswerError(ErrorCode.InvalidRequest, text, stopResult(text, d, extra)._meta);
    };
    if (plan.kind === "refuse") return refuse(plan.text, plan.refusal ? { refusal: plan.refusal } : {});
    if (plan.kind === "hold") {
      const token = extra._meta?.progressToken;
      const keepAlive = token === undefined ? null : (message: string, n: number) => extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: n, message } });
      const outcome = await holdForApproval(holdCtx, { label: SAMPLING, args: plan.params as Record<string, unknown>, notRun: NOT_SENT, recorded }, d, plan.reason, signal, keepAlive);
      if (outcome !== null) return refuse(outcome.text, outcome.extra);
    }
    return plan.params;
  }
  progress.install(server);
  const wireUpstream = (client: Client): void => bridgeServerRequests(client, server, { governSampling, timeoutMs: upstreamTimeout, progress });
  wireUpstream(upstream);
  options.sandbox?.configure({ onInstance: wireUpstream });

  // Everything else (resources, prompts, completion, logging, ping) passes through; what a resource read or a
  // prompt puts before the model is screened like a tool result.
  server.fallbackRequestHandler = async (request, extra) => {
    const routed = progress.forward(request.params, { _meta: request.params?._meta as ProgressExtra["_meta"], sendNotification: extra.sendNotification });
    const result = await upstream
      .request({ method: request.method, ...(routed.params ? { params: routed.params } : {}) }, ResultSchema, { signal: extra.signal, timeout: upstreamTimeout })
      .catch((e: unknown) => {
        throw relayError(e, request.method);
      })
      .finally(routed.done);
    if (SCREENED_READS.has(request.method)) return screenRead(request.method, request.params, result);
    return LISTINGS[request.method] !== undefined ? screenList(request.method, result) : result;
  };

  /** A resources/read or prompts/get result with injected instructions is refused with an error, not passed on. */
  function screenRead(method: string, params: Record<string, unknown> | undefined, result: Record<string, unknown>): Record<string, unknown> {
    const found = injected(() => readResultTexts(result), { request: method });
    if (found === null) return result;
    const what = method === "resources/read" ? `resource \`${String(params?.["uri"] ?? "?")}\`` : `prompt \`${String(params?.["name"] ?? "?")}\``;
    throw new AnswerError(WITHHELD_ERROR, `Warden withheld ${what}: it contains text that looks like instructions injected into its content (${found.rules}); it was not passed on`, {
      [DECISION_META]: { withheld: found.withheld },
    });
  }
  // Only genuine notifications pass, both ways: a request method without an id (a tools/call, a sampling request)
  // would reach the other side undecided and unrecorded (notifications.ts).
  server.fallbackNotificationHandler = async (n) => {
    if (!isNotificationMethod(n.method)) return log(droppedNotice(n.method, "agent"));
    await upstream.notification(n as Parameters<Client["notification"]>[0]).catch(() => {});
  };
  upstream.fallbackNotificationHandler = async (n) => {
    if (!isNotificationMethod(n.method)) return log(droppedNotice(n.method, "server"));
    const screened = screenedNotice(n);
    if (screened !== null) await server.notification(screened as Parameters<Server["notification"]>[0]).catch(() => {});
  };
  /** A notification from the server with injected-looking text replaced (scan-listings.ts), or null to drop it; logged. */
  function screenedNotice<N extends { method: string; params?: Record<string, unknown> | undefined }>(n: N): N | null {
    if (!options.scanner) return n;
    let screened: ReturnType<typeof screenNotification<N>>;
    try {
      screened = screenNotification(options.scanner, n);
    } catch (e) {
      // (params nested too deep to walk, say): not passed on unscreened
      log({ level: "warn", msg: "notification dropped", method: n.method, why: `it could not be screened: ${errorText(e)}` });
      return null;
    }
    if (screened.rules.length === 0) return n;
    stats.screened++;
    const dropped = screened.notification === null;
    log({ level: "warn", msg: dropped ? "notification dropped" : "notification screened", method: n.method, rules: screened.rules, why: dropped ? "an object key in the server's notification looks like injected instructions" : "text in the server's notification looks like injected instructions: replaced by a notice" });
    return screened.notification;
  }
  progress.screen = (params) => {
    const screened = screenedNotice({ method: "notifications/progress", params });
    // a progress message whose key carries a finding keeps only its numbers
    return screened?.params ?? { progressToken: params.progressToken, progress: params.progress };
  };
  const policyChanged = async (): Promise<void> => {
    if (upstream.getServerCapabilities()?.tools) await server.sendToolListChanged().catch(() => {});
  };
  return { server, stats, policyChanged, wireUpstream };
}
