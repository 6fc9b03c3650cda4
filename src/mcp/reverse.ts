// Server→client traffic through the proxy: the real server's sampling, roots and elicitation requests go to
// the agent (sampling only after a decision), and progress notifications follow the request they belong to.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  ListRootsResultSchema,
  ProgressNotificationSchema,
  ResultSchema,
  type CreateMessageRequest,
  type ProgressNotification,
} from "@modelcontextprotocol/sdk/types.js";

export interface ProgressExtra {
  _meta?: { progressToken?: string | number | undefined } | undefined;
  sendNotification: (n: ProgressNotification) => Promise<void>;
}

type Params = { _meta?: Record<string, unknown> | undefined; [k: string]: unknown } | undefined;

export interface ProgressRelay {
  /** Routes progress notifications that `peer` receives (replaces the SDK's own progress routing on it). */
  install(peer: Client | Server): void;
  /**
   * The forwarded request's parameters: when the sender asked for progress, the forwarded request carries a
   * token of the proxy's, and each progress the receiver reports is relayed to the sender under the sender's
   * token. Call `done()` when the request has settled.
   */
  forward<P extends Params>(params: P, extra: ProgressExtra): { params: P; done(): void };
  /** Applied to every relayed progress notification's parameters (the proxy screens `message` for injected text). */
  screen: (params: ProgressNotification["params"]) => ProgressNotification["params"];
}

/**
 * The SDK's own `onprogress` loses progress that arrives in the same read as the response (notifications are
 * handled a microtask later, after the response removed the handler), so the proxy routes progress itself
 * and lets a route outlive its request by one turn of the event loop.
 */
export function createProgressRelay(): ProgressRelay {
  const routes = new Map<string, (p: ProgressNotification["params"]) => void>();
  let next = 0;
  const relay: ProgressRelay = {
    screen: (p) => p,
    install(peer) {
      peer.setNotificationHandler(ProgressNotificationSchema, async (n) => routes.get(String(n.params.progressToken))?.(n.params));
    },
    forward<P extends Params>(params: P, extra: ProgressExtra) {
      const token = extra._meta?.progressToken;
      if (token === undefined) return { params, done: () => {} };
      const ours = `warden-progress-${++next}`;
      routes.set(ours, (p) => void extra.sendNotification({ method: "notifications/progress", params: { ...relay.screen(p), progressToken: token } }).catch(() => {}));
      return {
        params: { ...(params ?? {}), _meta: { ...(params?._meta ?? {}), progressToken: ours } } as unknown as P,
        done: () => void setImmediate(() => routes.delete(ours)),
      };
    },
  };
  return relay;
}

export interface ReverseOptions {
  /** Decides a sampling request; resolves to the parameters to send the agent, or throws an McpError refusal. */
  governSampling(params: CreateMessageRequest["params"], signal: AbortSignal, extra: ProgressExtra): Promise<CreateMessageRequest["params"]>;
  timeoutMs: number;
  /** Installed on the server side by the caller; used here to route the agent's progress back to the real server. */
  progress: ProgressRelay;
}

/** `setRequestHandler` refuses methods the client did not declare; such a request then gets "method not found". */
function tryHandle(fn: () => void): void {
  try {
    fn();
  } catch {
    // the agent does not offer this capability, so neither does the proxy
  }
}

/** Installs the forwarding handlers on a client connected to the real server (or a sandboxed instance of it). */
export function bridgeServerRequests(upstream: Client, server: Server, options: ReverseOptions): void {
  options.progress.install(upstream);
  const send = async <S extends typeof ResultSchema | typeof ListRootsResultSchema>(method: string, params: Params, schema: S, extra: ProgressExtra & { signal: AbortSignal }) => {
    const routed = options.progress.forward(params, extra);
    try {
      return await server.request({ method, ...(routed.params ? { params: routed.params } : {}) }, schema, { signal: extra.signal, timeout: options.timeoutMs });
    } finally {
      routed.done();
    }
  };
  tryHandle(() =>
    upstream.setRequestHandler(CreateMessageRequestSchema, async (req, extra) => {
      const params = await options.governSampling(req.params, extra.signal, extra);
      return (await send("sampling/createMessage", params as Params, ResultSchema, extra)) as never;
    }),
  );
  tryHandle(() => upstream.setRequestHandler(ElicitRequestSchema, async (req, extra) => (await send("elicitation/create", req.params as Params, ResultSchema, extra)) as never));
  tryHandle(() => upstream.setRequestHandler(ListRootsRequestSchema, async (req, extra) => send("roots/list", req.params as Params, ListRootsResultSchema, extra)));
}
