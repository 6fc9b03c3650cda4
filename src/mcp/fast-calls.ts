// The hot path of a governed MCP server: a plain tools/call (no progress token, no task) is taken off the
// agent's transport before the SDK's Server sees it, decided, and sent straight to the real server's transport;
// the answer goes back the same way. The SDK validates every message with zod schemas at each layer (transport,
// dispatch, handler, result, on both sides): that was about a third of the proxy's own CPU per call. Here the
// messages are checked by hand for what the proxy relies on. Everything else keeps the SDK's path.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, McpError, type CallToolRequest, type CallToolResult, type JSONRPCMessage, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import { isRecord } from "../policy/context.js";
import { AnswerError } from "./answer-error.js";

/** How one tools/call reaches the real server and the agent (the SDK's handler or this fast path). */
export interface CallRoute {
  readonly signal: AbortSignal;
  /** Progress to the agent while a call is held for approval (null when the agent asked for none). */
  keepAlive: ((message: string, n: number) => Promise<void>) | null;
  /** The parameters as forwarded elsewhere (a sandbox), with the agent's progress routed back; done() once settled. */
  relay(params: CallToolRequest["params"]): { params: CallToolRequest["params"]; done(): void };
  /** Sends the call to the real server. */
  forward(params: CallToolRequest["params"]): Promise<CallToolResult>;
}

export type GovernCall = (params: CallToolRequest["params"], route: CallRoute) => Promise<CallToolResult>;

interface Call {
  id: RequestId;
  ctrl: AbortController | null;
  /** The id the forwarded request carries upstream, once sent. */
  upstreamId: string | null;
  cancelled: boolean;
}

interface Pending {
  resolve: (r: CallToolResult) => void;
  reject: (e: Error) => void;
  deadline: number;
}

type Obj = Record<string, unknown>;

/** Request ids 1 and "1" are different requests. */
const idKey = (id: RequestId): string => (typeof id === "number" ? `n${id}` : `s${id}`);

/** Late answers to abandoned (cancelled, timed out) requests are dropped quietly; this many are remembered. */
const ABANDONED_KEPT = 1024;

export class FastToolCalls {
  private readonly inflight = new Map<string, Call>();
  private readonly pending = new Map<string, Pending>();
  private readonly abandoned = new Set<string>();
  private next = 0;
  private sweeper: NodeJS.Timeout | null = null;

  /** Takes over the answers to its own requests on `upstream` (connected already: its handlers are set). */
  constructor(
    private readonly upstream: Transport,
    private readonly govern: GovernCall,
    private readonly timeoutMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    const sdkMessage = upstream.onmessage;
    upstream.onmessage = (m, extra) => {
      if (!this.takeAnswer(m)) sdkMessage?.(m, extra);
    };
    const sdkClose = upstream.onclose;
    upstream.onclose = () => {
      this.failAll(new McpError(ErrorCode.ConnectionClosed, "Connection closed"));
      sdkClose?.();
    };
  }

  /** Takes plain tools/calls (and their cancellations) off an agent transport the SDK's Server is connected to. */
  attach(agent: Transport): void {
    const sdkMessage = agent.onmessage;
    agent.onmessage = (m, extra) => {
      if (!this.takeRequest(agent, m)) sdkMessage?.(m, extra);
    };
    const sdkClose = agent.onclose;
    agent.onclose = () => {
      // the agent is gone: its calls stop (held approvals end, forwarded requests are cancelled upstream)
      for (const call of this.inflight.values()) this.cancel(call, "the agent disconnected");
      sdkClose?.();
    };
  }

  private takeRequest(agent: Transport, m: JSONRPCMessage): boolean {
    if (!("method" in m)) return false;
    if (m.method === "notifications/cancelled") {
      const id = (m.params as Obj | undefined)?.["requestId"];
      const call = typeof id === "string" || typeof id === "number" ? this.inflight.get(idKey(id)) : undefined;
      if (call === undefined) return false;
      const reason = (m.params as Obj)["reason"];
      this.cancel(call, typeof reason === "string" ? reason : "cancelled by the agent");
      return true;
    }
    if (m.method !== "tools/call" || !("id" in m)) return false;
    const params = m.params;
    // Anything unusual goes the SDK's way, which validates it and answers as the SDK does.
    if (!isRecord(params) || typeof params["name"] !== "string" || params["task"] !== undefined) return false;
    if (params["arguments"] !== undefined && !isRecord(params["arguments"])) return false;
    const meta = params["_meta"];
    if (meta !== undefined && (!isRecord(meta) || meta["progressToken"] !== undefined)) return false;
    const key = idKey(m.id);
    if (this.inflight.has(key)) return false;
    const call: Call = { id: m.id, ctrl: null, upstreamId: null, cancelled: false };
    this.inflight.set(key, call);
    const route: CallRoute = {
      // Created only when a held or sandboxed call needs one: most calls never do.
      get signal() {
        if (call.ctrl === null) {
          call.ctrl = new AbortController();
          if (call.cancelled) call.ctrl.abort("cancelled before it was needed");
        }
        return call.ctrl.signal;
      },
      keepAlive: null,
      relay: (p) => ({ params: p, done: () => {} }),
      forward: (p) => this.forward(call, p),
    };
    let answer: Promise<CallToolResult>;
    try {
      answer = this.govern(params as CallToolRequest["params"], route);
    } catch (e) {
      answer = Promise.reject(e);
    }
    answer.then(
      (result) => this.reply(agent, call, { jsonrpc: "2.0", id: m.id, result }),
      (e: unknown) => this.reply(agent, call, { jsonrpc: "2.0", id: m.id, error: errorObject(e) }),
    );
    return true;
  }

  private reply(agent: Transport, call: Call, message: JSONRPCMessage): void {
    this.inflight.delete(idKey(call.id));
    // A cancelled request gets no answer (as the SDK does it).
    if (call.cancelled) return;
    agent.send(message).catch((e: unknown) => agent.onerror?.(e as Error));
  }

  private cancel(call: Call, reason: string): void {
    if (call.cancelled) return;
    call.cancelled = true;
    call.ctrl?.abort(reason);
    const up = call.upstreamId;
    if (up !== null && this.pending.has(up)) this.abandon(up, new McpError(ErrorCode.ConnectionClosed, `Request was cancelled: ${reason}`), reason);
  }

  private forward(call: Call, params: CallToolRequest["params"]): Promise<CallToolResult> {
    if (call.cancelled) return Promise.reject(new McpError(ErrorCode.ConnectionClosed, "Request was cancelled"));
    const id = `warden-${++this.next}`;
    call.upstreamId = id;
    return new Promise<CallToolResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, deadline: this.now() + this.timeoutMs });
      this.sweep();
      this.upstream.send({ jsonrpc: "2.0", id, method: "tools/call", params }).catch((e: unknown) => {
        if (this.pending.delete(id)) reject(e as Error);
      });
    });
  }

  /** An answer from the real server to one of our requests: settles it; anything else is the SDK's. */
  private takeAnswer(m: JSONRPCMessage): boolean {
    if ("method" in m || !("id" in m) || typeof m.id !== "string") return false;
    const p = this.pending.get(m.id);
    if (p === undefined) return this.abandoned.delete(m.id);
    this.pending.delete(m.id);
    if ("error" in m) {
      const e = m.error as { code?: unknown; message?: unknown; data?: unknown };
      // passed on as the server sent it (an McpError's message would carry a second `MCP error <code>:` prefix)
      p.reject(new AnswerError(typeof e.code === "number" ? e.code : ErrorCode.InternalError, typeof e.message === "string" ? e.message : "error without a message", e.data));
      return true;
    }
    const result = (m as { result?: unknown }).result;
    const problem = resultProblem(result);
    if (problem !== null) p.reject(new McpError(ErrorCode.InternalError, `the server's tools/call result is not valid: ${problem}`));
    else p.resolve((result as Obj)["content"] === undefined ? ({ ...(result as Obj), content: [] } as CallToolResult) : (result as CallToolResult));
    return true;
  }

  /** Gives up on a forwarded request: tells the server, and drops its answer if it comes after all. */
  private abandon(id: string, error: Error, reason: string): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    this.abandoned.add(id);
    if (this.abandoned.size > ABANDONED_KEPT) this.abandoned.delete(this.abandoned.values().next().value as string);
    this.upstream.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason } }).catch(() => {});
    p.reject(error);
  }

  private failAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  /** One coarse timer for every deadline while requests are pending (a timer per call costs more than the call's policy). */
  private sweep(): void {
    if (this.sweeper !== null) return;
    const tick = Math.min(1000, Math.max(10, this.timeoutMs / 4));
    this.sweeper = setInterval(() => {
      const t = this.now();
      for (const [id, p] of this.pending) {
        if (p.deadline <= t) this.abandon(id, new McpError(ErrorCode.RequestTimeout, "Request timed out", { timeout: this.timeoutMs }), "timed out");
      }
      if (this.pending.size === 0 && this.sweeper !== null) {
        clearInterval(this.sweeper);
        this.sweeper = null;
      }
    }, tick);
    // kept referenced, like the SDK's per-request timers: a request in flight is work the process still has
  }
}

/** What is wrong with a tools/call result for the proxy to pass on and scan (null: nothing). */
export function resultProblem(result: unknown): string | null {
  if (!isRecord(result)) return "it is not an object";
  const content = result["content"];
  if (content !== undefined) {
    if (!Array.isArray(content)) return "`content` is not an array";
    for (let i = 0; i < content.length; i++) {
      const c: unknown = content[i];
      if (!isRecord(c) || typeof c["type"] !== "string") return `content[${i}] has no type`;
      if (c["type"] === "text" && typeof c["text"] !== "string") return `content[${i}] is text without a string \`text\``;
    }
  }
  if (result["isError"] !== undefined && typeof result["isError"] !== "boolean") return "`isError` is not a boolean";
  if (result["structuredContent"] !== undefined && !isRecord(result["structuredContent"])) return "`structuredContent` is not an object";
  return null;
}

/** A thrown error as a JSON-RPC error object, the way the SDK's Protocol answers a failed handler. */
function errorObject(e: unknown): { code: number; message: string; data?: unknown } {
  const err = (isRecord(e) ? e : {}) as { code?: unknown; message?: unknown; data?: unknown };
  const out: { code: number; message: string; data?: unknown } = {
    code: Number.isSafeInteger(err.code) ? (err.code as number) : ErrorCode.InternalError,
    message: typeof err.message === "string" ? err.message : "Internal error",
  };
  if (err.data !== undefined) out.data = err.data;
  return out;
}
