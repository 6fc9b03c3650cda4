// Asks a `warden serve` sidecar for a decision; every failure is reported as a value so guard() can fail closed.
import { VERDICTS, type Action, type Decision } from "../types.js";

export type SidecarAnswer =
  | { ok: true; decision: Decision }
  /** unreachable: network error, timeout, 5xx or an unreadable answer (the declared fallback applies). */
  | { ok: false; unreachable: true; message: string }
  /** rejected: the sidecar answered but refused the request (401, 400): always a BLOCK. */
  | { ok: false; unreachable: false; code: string; message: string };

export interface SidecarOptions {
  url: string;
  token?: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

function looksLikeDecision(v: unknown): v is Decision {
  if (typeof v !== "object" || v === null) return false;
  const d = v as Record<string, unknown>;
  return typeof d.verdict === "string" && (VERDICTS as readonly string[]).includes(d.verdict) && Array.isArray(d.reasons) && typeof d.obligations === "object" && d.obligations !== null;
}

export async function askSidecar(action: Action, o: SidecarOptions): Promise<SidecarAnswer> {
  const doFetch = o.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(`${o.url.replace(/\/+$/, "")}/v1/decide`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
      body: JSON.stringify(action),
      signal: AbortSignal.timeout(o.timeoutMs),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    const why = err.name === "TimeoutError" ? `no answer within ${o.timeoutMs} ms` : (err.cause?.code ?? err.message);
    return { ok: false, unreachable: true, message: `sidecar ${o.url} unreachable: ${why}` };
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return { ok: false, unreachable: true, message: `sidecar ${o.url} answered ${res.status} with a body that is not JSON` };
  }
  if (res.status === 200 && looksLikeDecision(body)) return { ok: true, decision: body };
  const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
  if (res.status >= 400 && res.status < 500) {
    return { ok: false, unreachable: false, code: res.status === 401 ? "SIDECAR_UNAUTHORIZED" : (error?.code ?? `HTTP_${res.status}`), message: `sidecar ${o.url} refused the request (${res.status}): ${error?.message ?? "no message"}` };
  }
  return { ok: false, unreachable: true, message: `sidecar ${o.url} answered ${res.status}${error?.message ? `: ${error.message}` : " without a decision"}` };
}
