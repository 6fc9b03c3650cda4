// Talks to a `warden serve` sidecar: asks for decisions and records approval outcomes. Every failure is
// reported as a value so guard() can fail closed.
import type { ApprovalActionV1, DecisionRef } from "../record/approval.js";
import { VERDICTS, type Action, type Decision } from "../types.js";
import { wireProblem } from "./wire-check.js";

export type SidecarAnswer =
  /** `recorded`: where the sidecar's audit log holds the decision (null when it keeps no log). */
  | { ok: true; decision: Decision; recorded: DecisionRef | null; sensitive: readonly string[] }
  /** unreachable: network error, timeout, 5xx or an unreadable answer (the declared fallback applies). */
  | { ok: false; unreachable: true; message: string }
  /** rejected: the sidecar answered but refused the request (401, 400), or the action cannot be sent as it is: always a BLOCK. */
  | { ok: false; unreachable: false; code: string; message: string };

export interface SidecarOptions {
  url: string;
  token?: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** Response headers naming the audit record of a decision (absent when the sidecar keeps no log). */
export const RECORD_HEADER = "warden-record";
export const INPUT_HASH_HEADER = "warden-input-hash";
/**
 * Response header of an ESCALATE decision whose policy marks fields sensitive: those field paths, each
 * URI-encoded, comma-separated. guard() masks them in the held call's approval request, as it does in process.
 */
export const SENSITIVE_HEADER = "warden-sensitive";

/** The header value for a policy's sensitive field paths. */
export const sensitiveHeader = (paths: readonly string[]): string => paths.map(encodeURIComponent).join(",");

/** The field paths a SENSITIVE_HEADER names; an entry that is not valid URI encoding is kept as sent. */
export function parseSensitiveHeader(value: string | null): string[] {
  if (value === null || value === "") return [];
  return value.split(",").map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
}

function looksLikeDecision(v: unknown): v is Decision {
  if (typeof v !== "object" || v === null) return false;
  const d = v as Record<string, unknown>;
  return typeof d.verdict === "string" && (VERDICTS as readonly string[]).includes(d.verdict) && Array.isArray(d.reasons) && typeof d.obligations === "object" && d.obligations !== null;
}

type Posted = { ok: true; status: number; body: unknown; headers: Headers } | Extract<SidecarAnswer, { ok: false }>;

/**
 * A payload JSON would not carry as it is (wire-check.ts): refused here, never sent. A rejection, not an
 * unreachable sidecar, so the fallback never applies: the sidecar would have decided a different action.
 */
function invalidPayload(what: string, o: SidecarOptions, payload: unknown): Extract<SidecarAnswer, { ok: false }> | null {
  const problem = wireProblem(payload);
  return problem === null ? null : { ok: false, unreachable: false, code: "INVALID_ACTION", message: `${what} cannot be sent to sidecar ${o.url} as it is: ${problem.message}` };
}

async function post(path: string, what: string, payload: unknown, o: SidecarOptions): Promise<Posted> {
  const doFetch = o.fetch ?? fetch;
  const refused = invalidPayload(what, o, payload);
  if (refused) return refused;
  let body: string;
  try {
    body = JSON.stringify(payload);
  } catch (e) {
    // wireProblem() should have named the value; a throwing toJSON or getter still lands here
    return { ok: false, unreachable: false, code: "INVALID_ACTION", message: `${what} cannot be sent to sidecar ${o.url}: ${(e as Error).message}` };
  }
  let res: Response;
  try {
    res = await doFetch(`${o.url.replace(/\/+$/, "")}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
      body,
      signal: AbortSignal.timeout(o.timeoutMs),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    const why = err.name === "TimeoutError" ? `no answer within ${o.timeoutMs} ms` : (err.cause?.code ?? err.message);
    return { ok: false, unreachable: true, message: `sidecar ${o.url} unreachable: ${why}` };
  }
  try {
    return { ok: true, status: res.status, body: await res.json(), headers: res.headers };
  } catch {
    return { ok: false, unreachable: true, message: `sidecar ${o.url} answered ${res.status} with a body that is not JSON` };
  }
}

/** A refusal (4xx) or an unreachable sidecar (5xx, no decision), from an answer that carries no decision. */
function failure(o: SidecarOptions, status: number, body: unknown): SidecarAnswer {
  const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
  if (status >= 400 && status < 500) {
    return { ok: false, unreachable: false, code: status === 401 ? "SIDECAR_UNAUTHORIZED" : (error?.code ?? `HTTP_${status}`), message: `sidecar ${o.url} refused the request (${status}): ${error?.message ?? "no message"}` };
  }
  return { ok: false, unreachable: true, message: `sidecar ${o.url} answered ${status}${error?.message ? `: ${error.message}` : " without a decision"}` };
}

const refOf = (record: unknown, inputHash: unknown): DecisionRef | null =>
  typeof record === "string" && record !== "" ? { record, inputHash: typeof inputHash === "string" && inputHash !== "" ? inputHash : null } : null;

export async function askSidecar(action: Action, o: SidecarOptions): Promise<SidecarAnswer> {
  const p = await post("/v1/decide", "the action", action, o);
  if (!p.ok) return p;
  if (p.status === 200 && looksLikeDecision(p.body)) {
    return { ok: true, decision: p.body, recorded: refOf(p.headers.get(RECORD_HEADER), p.headers.get(INPUT_HASH_HEADER)), sensitive: parseSensitiveHeader(p.headers.get(SENSITIVE_HEADER)) };
  }
  return failure(o, p.status, p.body);
}

/**
 * Has the sidecar decide and record an approval outcome in its audit log, next to the ESCALATE decision it
 * resolves. Not ok means it was not recorded: the caller must not run the held call.
 */
export async function recordOutcomeAtSidecar(action: ApprovalActionV1, o: SidecarOptions): Promise<SidecarAnswer> {
  const p = await post("/v1/approvals/outcome", "the approval outcome", action, o);
  if (!p.ok) return p;
  const body = p.body as { decision?: unknown; recorded?: { record?: unknown; inputHash?: unknown } | null } | null;
  if (p.status === 200 && looksLikeDecision(body?.decision)) return { ok: true, decision: body.decision, recorded: refOf(body.recorded?.record, body.recorded?.inputHash), sensitive: [] };
  return failure(o, p.status, p.body);
}
