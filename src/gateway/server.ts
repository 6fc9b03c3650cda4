// The HTTP sidecar: POST /v1/decide (+ batch), approval outcomes, /healthz, /metrics, /admin/reload; auth, limits, logs.
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import underPressure from "@fastify/under-pressure";
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { checkAction } from "../engine/action-check.js";
import { NO_POLICY_INFO } from "../engine/decide.js";
import { INPUT_HASH_HEADER, RECORD_HEADER, SENSITIVE_HEADER, sensitiveHeader } from "../guard/sidecar-client.js";
import { approvalDecision } from "../record/approval.js";
import type { Action, Decision } from "../types.js";
import { errorText, type Governor } from "./governor.js";
import type { SinkReceipt } from "./sink.js";
import { BodyError, decodeBody, parseBody } from "./json-body.js";
import { GatewayMetrics } from "./metrics.js";
import { hostChecker } from "./host-check.js";
import type { PolicyWatcher } from "./reload.js";

export interface GatewayOptions {
  governor: Governor;
  /** Bearer token for /v1 and /metrics; null means unauthenticated (the CLI then binds to loopback only). */
  apiToken?: string | null;
  /** Separate bearer token for /admin; without one the admin routes are disabled. */
  adminToken?: string | null;
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Deepest JSON nesting accepted (default 64). */
  maxDepth?: number;
  /** Most actions in one batch (default 1000). */
  maxBatch?: number;
  /** Whole-request timeout in ms (default 10 s). */
  requestTimeoutMs?: number;
  logger?: Logger | null;
  watcher?: PolicyWatcher | null;
  /** Decision time (default: the system clock). The sidecar is the interception point, so it sets `at`. */
  clock?: () => Date;
  /**
   * Keep a caller-supplied `at` instead of stamping the sidecar's time (default false). Only for trusted
   * callers replaying recorded traffic: an agent that picks its own time could step outside every budget.
   */
  trustClientTime?: boolean;
  /**
   * Load shedding, off by default: while the event loop's mean delay over the last 100 ms sample is above this
   * (ms), API requests get 503 `OVERLOADED` at once (nothing decided; `Retry-After: 1`) instead of queueing until
   * the request timeout. /healthz and /metrics are always answered.
   */
  maxEventLoopDelayMs?: number;
  /**
   * DNS-rebinding and cross-site guard (host-check.ts). Without an API token the Host header must name the sidecar
   * by a loopback name, `listenHost`, or one of `allowedHosts` (`name` or `name:port`; `["*"]` turns the Host check
   * off); with a token the Host is checked only when `allowedHosts` is given. An `Origin`, when sent, must be a page
   * on one of those names or one of `allowedOrigins` (`["*"]`: any). A refused request gets 403 FORBIDDEN_HOST or
   * FORBIDDEN_ORIGIN and is not decided.
   */
  listenHost?: string | null;
  allowedHosts?: readonly string[] | null;
  allowedOrigins?: readonly string[] | null;
}

export interface Gateway {
  app: FastifyInstance;
  metrics: GatewayMetrics;
}

interface ApiError {
  code: string;
  message: string;
  field?: string;
  index?: number;
}

const JSON_TYPE = "application/json; charset=utf-8";

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

/** Constant-time bearer check (hashing first makes the lengths equal). */
function bearerMatches(req: FastifyRequest, token: string): boolean {
  const h = req.headers.authorization;
  if (typeof h !== "string" || !h.startsWith("Bearer ")) return false;
  return timingSafeEqual(digest(h.slice(7).trim()), digest(token));
}

/** The path of a request URL, without its query. */
function pathOf(url: string): string {
  return url.split("?")[0] ?? "";
}

function fail(reply: FastifyReply, status: number, error: ApiError): FastifyReply {
  return reply.code(status).send({ error });
}

export function buildGateway(options: GatewayOptions): Gateway {
  const { governor } = options;
  const maxDepth = options.maxDepth ?? 64;
  const maxBatch = options.maxBatch ?? 1000;
  const clock = options.clock;
  // The system clock's time, formatted once per millisecond (at 5,000 requests/s several share one).
  let lastMs = -1;
  let lastIso = "";
  const stamp = clock
    ? (): string => clock().toISOString()
    : (): string => {
        const ms = Date.now();
        if (ms !== lastMs) {
          lastMs = ms;
          lastIso = new Date(ms).toISOString();
        }
        return lastIso;
      };
  const log = options.logger ?? null;
  const requestTimeout = options.requestTimeoutMs ?? 10_000;
  const app: FastifyInstance = Fastify({
    // Node checks request timeouts only every `connectionsCheckingInterval` (30 s by default): check often
    // enough that a client trickling a request in (slowloris) is cut off close to the timeout.
    serverFactory: (handler) => createServer({ requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: Math.max(50, Math.min(1000, requestTimeout / 4)) }, handler),
    ...(log ? { loggerInstance: log } : { logger: false }),
    // Fastify gives every request a child logger (pino's child() serializes its bindings: ~4 µs a request in a
    // profile at 5,000/s). Nothing here logs through `req.log`; decisions and errors go to `log` with their own fields.
    childLoggerFactory: (logger) => logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestTimeout,
    connectionTimeout: requestTimeout,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
  }) as unknown as FastifyInstance;
  const metrics = new GatewayMetrics(governor);

  app.removeAllContentTypeParsers(); // JSON only: anything else is a 415, never guessed at
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (req, body, done) => {
    // JSON is UTF-8 (RFC 8259): a body declared in another charset would be read as something it is not
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(req.headers["content-type"] ?? "")?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
      const err = new BodyError("UNSUPPORTED_MEDIA_TYPE", `charset \`${charset.slice(0, 40)}\` is not supported: send the JSON as UTF-8 (\`Content-Type: application/json\`)`) as BodyError & { statusCode?: number };
      err.statusCode = 415;
      done(err, undefined);
      return;
    }
    try {
      done(null, parseBody(decodeBody(body as Buffer), maxDepth));
    } catch (e) {
      const err = e as BodyError & { statusCode?: number };
      err.statusCode = 400;
      done(err, undefined);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    metrics.error(status >= 500 ? "internal" : "bad_request");
    if (status >= 500) log?.error({ err }, "request failed");
    const code = err instanceof BodyError ? err.code : status === 413 ? "BODY_TOO_LARGE" : status === 415 ? "UNSUPPORTED_MEDIA_TYPE" : status >= 500 ? "INTERNAL_ERROR" : (err.code ?? "BAD_REQUEST");
    void fail(reply, status, { code, message: status >= 500 ? "internal error; nothing was allowed" : err.message });
  });
  app.setNotFoundHandler((req, reply) => {
    void fail(reply, 404, { code: "NOT_FOUND", message: `no route \`${req.method} ${pathOf(req.url)}\`` });
  });

  if (options.maxEventLoopDelayMs !== undefined && options.maxEventLoopDelayMs > 0) {
    const limit = options.maxEventLoopDelayMs;
    void app.register(underPressure, {
      maxEventLoopDelay: limit,
      sampleInterval: 100,
      // Answered here, so the request goes no further (Fastify stops once a hook has sent the reply).
      pressureHandler: (req, reply, _type, value) => {
        const route = req.routeOptions.url;
        if (route === "/healthz" || route === "/metrics") return; // observability stays up under load
        metrics.error("overloaded");
        void fail(reply.header("retry-after", "1"), 503, {
          code: "OVERLOADED",
          message: `the sidecar is overloaded (event loop delay ${Math.round(value ?? 0)} ms, limit ${limit} ms): nothing was decided; retry after 1 s`,
        });
      },
    });
  }

  const apiToken = options.apiToken ?? null;
  const adminToken = options.adminToken ?? null;
  const foreign = hostChecker({ checkHost: apiToken === null, listenHost: options.listenHost ?? null, allowedHosts: options.allowedHosts ?? null, allowedOrigins: options.allowedOrigins ?? null });
  // A callback hook, not an async one: no promise and microtask per request. A refused request is answered here
  // and `done` is not called, so nothing runs after it.
  // Auth follows the route the router matched, never the raw URL: the router decodes `/%61dmin/reload` to
  // `/admin/reload`, so a check on the URL text could be walked around. Only /healthz is open; every other
  // request, a 404 included, needs the API token when one is set.
  app.addHook("onRequest", (req, reply, done) => {
    // first: a page that reached the sidecar by DNS rebinding or from another site gets nothing, not even /healthz
    const refused = foreign(req.headers.host, req.headers.origin);
    if (refused !== null) {
      metrics.error("forbidden");
      log?.warn({ host: req.headers.host, origin: req.headers.origin, code: refused.code }, "request refused");
      return void fail(reply, 403, refused);
    }
    const route = req.routeOptions.url;
    if (route?.startsWith("/admin/")) {
      if (adminToken === null) return void fail(reply, 403, { code: "ADMIN_DISABLED", message: "admin routes are disabled: start the sidecar with --admin-token-file or WARDEN_ADMIN_TOKEN" });
      if (!bearerMatches(req, adminToken)) return void fail(reply, 401, { code: "UNAUTHORIZED", message: "admin routes need `Authorization: Bearer <admin token>`" });
      return done();
    }
    if (apiToken !== null && route !== "/healthz" && !bearerMatches(req, apiToken)) {
      metrics.error("unauthorized");
      return void fail(reply, 401, { code: "UNAUTHORIZED", message: "this sidecar needs `Authorization: Bearer <token>`" });
    }
    done();
  });

  /** Validates one action: a malformed one is a 400, never a decision. Stamps `at` with the sidecar's clock. */
  const prepare = (value: unknown, index?: number): { action: Action } | { error: ApiError } => {
    const problem = checkAction(value);
    if (problem) {
      const error: ApiError = { code: "INVALID_ACTION", message: `malformed action: ${problem.message}` };
      if (problem.field) error.field = problem.field;
      if (index !== undefined) error.index = index;
      return { error };
    }
    const a = value as Action;
    if (a.at !== undefined && options.trustClientTime === true) return { action: a };
    // the body was parsed for this request alone: stamping it in place saves a copy
    a.at = stamp();
    return { action: a };
  };

  const decideOne = async (action: Action, endpoint: string): Promise<{ decision: Decision; recorded: SinkReceipt | null; sensitive: readonly string[] }> => {
    const t0 = process.hrtime.bigint();
    const r = await governor.decideRecorded(action);
    const d = r.decision;
    metrics.observe(d, Number(process.hrtime.bigint() - t0) / 1e9, endpoint);
    if (d.verdict !== "ALLOW" && log?.isLevelEnabled("info")) log.info({ verdict: d.verdict, tool: action.tool, agent: action.agent?.id, codes: d.reasons.map((x) => x.code) }, "decision");
    return r;
  };

  app.post("/v1/decide", async (req, reply) => {
    const p = prepare(req.body);
    if ("error" in p) {
      metrics.error("invalid_action");
      return fail(reply, 400, p.error);
    }
    const { decision, recorded, sensitive } = await decideOne(p.action, "decide");
    // where the audit log holds it: an ESCALATE'd call's approval outcome is bound to that record
    if (recorded?.record) reply.header(RECORD_HEADER, recorded.record);
    if (recorded?.inputHash) reply.header(INPUT_HASH_HEADER, recorded.inputHash);
    // a held call's approval request masks these fields (guard() cannot see this policy)
    if (decision.verdict === "ESCALATE" && sensitive.length > 0) reply.header(SENSITIVE_HEADER, sensitiveHeader(sensitive));
    // serialized here: a string with its content type skips Fastify's serializer lookup on every reply
    return reply.type(JSON_TYPE).send(JSON.stringify(decision));
  });

  // How a held call ended (an approval action, kind `approval`), decided by approvalDecision() under the running
  // policy and recorded next to the decisions: a guard() that holds calls against this sidecar reports here. A
  // malformed one is recorded as the BLOCK it decides to (APPROVAL_INVALID); 503 when it could not be recorded.
  app.post("/v1/approvals/outcome", async (req, reply) => {
    const decision = approvalDecision(governor.policy?.info ?? NO_POLICY_INFO, req.body);
    let recorded: SinkReceipt | null;
    try {
      recorded = await governor.record(req.body, decision);
    } catch (e) {
      metrics.error("audit_unavailable");
      return fail(reply, 503, { code: "AUDIT_UNAVAILABLE", message: `the approval outcome could not be recorded: ${errorText(e)}` });
    }
    log?.info({ verdict: decision.verdict, codes: decision.reasons.map((x) => x.code) }, "approval outcome");
    return reply.send({ decision, recorded });
  });

  app.post("/v1/decide/batch", async (req, reply) => {
    const body = req.body as { actions?: unknown } | null;
    const list = body !== null && typeof body === "object" && !Array.isArray(body) ? body.actions : undefined;
    if (!Array.isArray(list)) {
      metrics.error("invalid_action");
      return fail(reply, 400, { code: "INVALID_BATCH", message: "a batch is `{\"actions\": [<action>, …]}`", field: "actions" });
    }
    if (list.length > maxBatch) return fail(reply, 400, { code: "BATCH_TOO_LARGE", message: `a batch holds at most ${maxBatch} actions, got ${list.length}`, field: "actions" });
    // Validate everything first: a batch with any malformed action decides nothing.
    const actions: Action[] = [];
    for (let i = 0; i < list.length; i++) {
      const p = prepare(list[i], i);
      if ("error" in p) {
        metrics.error("invalid_action");
        return fail(reply, 400, { ...p.error, field: `actions.${i}${p.error.field ? `.${p.error.field}` : ""}` });
      }
      actions.push(p.action);
    }
    const decisions: Decision[] = [];
    for (const a of actions) decisions.push((await decideOne(a, "batch")).decision); // in order: throttles count in sequence
    return reply.send({ decisions });
  });

  app.get("/healthz", async (_req, reply) => {
    const p = governor.policy;
    const sink = governor.recording;
    const body = {
      status: p ? "ok" : "no-policy",
      policy: p ? p.info : null,
      audit: sink ? sink.state() : { kind: "none", ok: true },
      reload: options.watcher?.lastOutcome ?? null,
    };
    return reply.code(p ? 200 : 503).send(body);
  });

  app.get("/metrics", async (_req, reply) => {
    return reply.header("content-type", metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.post("/admin/reload", async (_req, reply) => {
    if (!options.watcher) return fail(reply, 409, { code: "NO_POLICY_FILE", message: "this sidecar was not started from a policy file" });
    try {
      const outcome = options.watcher.reload();
      return reply.code(outcome.ok ? 200 : 422).send(outcome);
    } catch (e) {
      return fail(reply, 500, { code: "RELOAD_FAILED", message: errorText(e) });
    }
  });

  return { app, metrics };
}
