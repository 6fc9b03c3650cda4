// Streamable-HTTP mode of the proxy: agents connect over MCP's streamable HTTP; each agent session gets its
// own governed Server and its own upstream session to the real streamable-HTTP server. One Governor (one set
// of throttle budgets, one audit sink) serves every session.
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest, type ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { BodyError, decodeBody, parseBody } from "../gateway/json-body.js";
import { hostChecker } from "../gateway/host-check.js";
import { WARDEN_VERSION } from "../version.js";
import { forwardedCapabilities, initializeCapabilities } from "./handshake.js";
import { createGovernedServer, type McpProxyOptions, type ProxyStats } from "./proxy.js";
import type { SandboxExecutor } from "./sandbox-pool.js";

export interface HttpProxyOptions extends Omit<McpProxyOptions, "sandbox"> {
  upstreamUrl: string;
  /**
   * Makes the sandbox executor of one agent session (SANDBOX'd calls run on a local instance of the server inside
   * the sandbox; the remote upstream cannot be). One per session, closed with it, so a sandboxed instance's
   * requests (sampling, elicitation) only ever reach the agent it serves. Without it SANDBOX'd calls are refused.
   */
  sandboxFor?: () => SandboxExecutor;
  host?: string;
  port?: number;
  /** Path agents post to (default /mcp). */
  path?: string;
  /** Bearer token agents must present; null: none (bind loopback only). */
  token?: string | null;
  /** Headers sent to the upstream server (e.g. its own Authorization). */
  upstreamHeaders?: Record<string, string>;
  bodyLimit?: number;
  /**
   * DNS-rebinding and cross-site guard (src/gateway/host-check.ts): without a token the Host header must name the
   * proxy by a loopback name, the address it listens on, or one of these (`name` or `name:port`; `["*"]`: any);
   * with a token it is checked only when this is given. An `Origin`, when sent, must be a page on one of those
   * names or one of `allowedOrigins`. Refused: 403 FORBIDDEN_HOST / FORBIDDEN_ORIGIN, before anything else.
   */
  allowedHosts?: readonly string[] | null;
  allowedOrigins?: readonly string[] | null;
}

export interface RunningHttpProxy {
  url: string;
  server: HttpServer;
  /** Totals over every session, including closed ones. */
  stats: () => ProxyStats;
  sessions: () => number;
  /** Tells every connected agent to list tools again (after a policy reload). */
  policyChanged(): Promise<void>;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  upstream: Client;
  sandbox: SandboxExecutor | null;
  stats: ProxyStats;
  policyChanged: () => Promise<void>;
}

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

/** The media type of a Content-Type header, lowercased, without parameters. */
const mediaType = (h: string | undefined): string => (h ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";

/**
 * Why the SDK's transport would refuse this POST before initializing a session (406, 415), checked before an
 * upstream session is opened for it; null: none of these.
 */
function initializeRefusal(req: IncomingMessage): { status: number; code: string; message: string } | null {
  const accept = req.headers.accept ?? "";
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) {
    return { status: 406, code: "NOT_ACCEPTABLE", message: "MCP's streamable HTTP needs `Accept: application/json, text/event-stream` on every POST" };
  }
  if (mediaType(req.headers["content-type"]) !== "application/json") {
    return { status: 415, code: "UNSUPPORTED_MEDIA_TYPE", message: "send the JSON-RPC message with `Content-Type: application/json`" };
  }
  return null;
}

function send(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: `${code}: ${message}` }, id: null }));
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new BodyError("BODY_TOO_LARGE", `request body exceeds ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  return decodeBody(Buffer.concat(chunks));
}

export async function runHttpProxy(options: HttpProxyOptions): Promise<RunningHttpProxy> {
  const path = options.path ?? "/mcp";
  const token = options.token ?? null;
  const sessions = new Map<string, Session>();
  const closed: ProxyStats = { calls: 0, forwarded: 0, stopped: 0, held: 0, withheld: 0, hidden: 0, screened: 0, sandboxed: 0, samplingRequests: 0, samplingStopped: 0 };
  const addStats = (into: ProxyStats, s: ProxyStats): void => {
    for (const k of Object.keys(into) as Array<keyof ProxyStats>) into[k] += s[k];
  };

  // Each upstream session offers the real server the client capabilities of the agent it serves.
  const openSession = async (agentCapabilities: ClientCapabilities | undefined): Promise<Session> => {
    const upstream = new Client({ name: "warden-mcp-proxy", version: WARDEN_VERSION }, { capabilities: forwardedCapabilities(agentCapabilities) });
    await upstream.connect(new StreamableHTTPClientTransport(new URL(options.upstreamUrl), options.upstreamHeaders ? { requestInit: { headers: options.upstreamHeaders } } : undefined));
    const sandbox = options.sandboxFor?.() ?? null;
    const governed = createGovernedServer(upstream, { ...options, sandbox });
    const session: Session = { upstream, sandbox, stats: governed.stats, policyChanged: governed.policyChanged, transport: undefined as unknown as StreamableHTTPServerTransport };
    session.transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, session),
    });
    session.transport.onclose = () => {
      const id = session.transport.sessionId;
      if (id && sessions.delete(id)) addStats(closed, session.stats);
      void upstream.close().catch(() => {});
      void sandbox?.close().catch(() => {});
    };
    await governed.server.connect(session.transport);
    return session;
  };

  /** Ends a session that never started (its initialize was refused), with its upstream session and sandbox. */
  const discard = async (session: Session): Promise<void> => {
    await session.transport.close().catch(() => {});
    await session.upstream.close().catch(() => {});
    await session.sandbox?.close().catch(() => {});
  };

  const foreign = hostChecker({ checkHost: token === null, listenHost: options.host ?? "127.0.0.1", allowedHosts: options.allowedHosts ?? null, allowedOrigins: options.allowedOrigins ?? null });

  // requestTimeout bounds receiving a request (not the response), so SSE streams and held approvals are unaffected.
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 30_000, connectionsCheckingInterval: 1000 }, (req, res) => {
    void (async () => {
      // first: a page that reached the proxy by DNS rebinding, or from another site, gets nothing
      const refused = foreign(req.headers.host, req.headers.origin);
      if (refused !== null) {
        req.resume();
        options.log?.({ level: "warn", msg: "request refused", host: req.headers.host, origin: req.headers.origin, code: refused.code });
        return send(res, 403, refused.code, refused.message);
      }
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname !== path) return send(res, 404, "NOT_FOUND", `the MCP endpoint is ${path}`);
      if (token !== null) {
        const h = req.headers.authorization;
        if (typeof h !== "string" || !h.startsWith("Bearer ") || !timingSafeEqual(digest(h.slice(7).trim()), digest(token))) {
          return send(res, 401, "UNAUTHORIZED", "this proxy needs `Authorization: Bearer <token>`");
        }
      }
      const sid = req.headers["mcp-session-id"];
      const existing = typeof sid === "string" ? sessions.get(sid) : undefined;
      let body: unknown;
      if (req.method === "POST") {
        try {
          body = parseBody(await readBody(req, options.bodyLimit ?? 4 * 1024 * 1024), 64);
        } catch (e) {
          return send(res, e instanceof BodyError && e.code === "BODY_TOO_LARGE" ? 413 : 400, e instanceof BodyError ? e.code : "BAD_REQUEST", (e as Error).message);
        }
      }
      if (existing) return existing.transport.handleRequest(req, res, body);
      if (typeof sid === "string") return send(res, 404, "UNKNOWN_SESSION", `no session \`${sid}\` (it may have ended); initialize again`);
      if (req.method !== "POST" || !isInitializeRequest(body)) return send(res, 400, "NO_SESSION", "start with an initialize request and no mcp-session-id header");
      // An upstream session costs the real server a connection: refuse what the transport would refuse before opening one.
      const bad = initializeRefusal(req);
      if (bad !== null) return send(res, bad.status, bad.code, bad.message);
      let session: Session;
      try {
        session = await openSession(initializeCapabilities(body) ?? undefined);
      } catch (e) {
        return send(res, 502, "UPSTREAM_UNAVAILABLE", `cannot reach the MCP server at ${options.upstreamUrl}: ${(e as Error).message}`);
      }
      try {
        await session.transport.handleRequest(req, res, body);
      } finally {
        // refused by the transport after all (it answered, and initialized no session): nothing else will ever close it
        const id = session.transport.sessionId;
        if (id === undefined || sessions.get(id) !== session) await discard(session);
      }
    })().catch((e: unknown) => send(res, 500, "INTERNAL_ERROR", (e as Error).message));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}${path}`,
    server,
    sessions: () => sessions.size,
    policyChanged: async () => {
      await Promise.all([...sessions.values()].map((x) => x.policyChanged()));
    },
    stats: () => {
      const total = { ...closed };
      for (const s of sessions.values()) addStats(total, s.stats);
      return total;
    },
    close: async () => {
      for (const s of [...sessions.values()]) {
        await s.transport.close().catch(() => {});
        await s.sandbox?.close().catch(() => {});
      }
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
