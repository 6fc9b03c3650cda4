// Drill target `http`: fires known-bad actions at a sidecar over real HTTP (a running one, or one started on loopback).
import type { CompiledPolicy } from "../compile/build.js";
import type { Action, Decision } from "../types.js";
import { Governor } from "./governor.js";
import { buildGateway } from "./server.js";

export interface DrillCase {
  name: string;
  action: Action;
  expectCodes: string[];
}

export interface DrillOutcome {
  name: string;
  stopped: boolean;
  verdict: string;
  codes: string[];
  /** Expected reason codes that did not appear (the action was stopped, but for another reason). */
  missingCodes: string[];
  detail: string;
  /** The policy the decision names (a running sidecar may run another than the drill's --policy); null without one. */
  policy: Decision["policy"] | null;
}

export function judge(c: DrillCase, d: Decision | null, reached: boolean, detail: string): DrillOutcome {
  const codes = d ? d.reasons.filter((r) => r.verdict !== "ALLOW").map((r) => r.code) : [];
  const stopped = !reached && d !== null && d.verdict === "BLOCK" && d.enforced;
  return { name: c.name, stopped, verdict: d?.verdict ?? "none", codes, missingCodes: c.expectCodes.filter((x) => !codes.includes(x)), detail, policy: d?.policy ?? null };
}

/** The drill could not talk to the sidecar at all (unreachable, not a sidecar, wrong token): no case was judged. */
export class DrillTargetError extends Error {
  override name = "DrillTargetError";
}

/** Each case gets a fresh sidecar state (no throttle carry-over) unless `url` points at a running sidecar. */
export async function drillHttp(policy: CompiledPolicy, cases: DrillCase[], target: { url?: string; token?: string }): Promise<DrillOutcome[]> {
  const out: DrillOutcome[] = [];
  for (const c of cases) {
    let url = target.url;
    let close: (() => Promise<void>) | null = null;
    if (url === undefined) {
      const { app } = buildGateway({ governor: new Governor(policy) });
      url = await app.listen({ host: "127.0.0.1", port: 0 });
      close = () => app.close();
    }
    try {
      const res = await fetch(`${url.replace(/\/+$/, "")}/v1/decide`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(target.token ? { authorization: `Bearer ${target.token}` } : {}) },
        body: JSON.stringify(c.action),
        signal: AbortSignal.timeout(10_000),
      });
      // Whether a known-bad action gets through cannot be judged from a sidecar that did not decide it.
      if (res.status === 401 || res.status === 403) throw new DrillTargetError(`the sidecar at ${url} refused the drill's credentials (HTTP ${res.status}): pass its API token with --token-file or WARDEN_API_TOKEN`);
      if (res.status === 404) throw new DrillTargetError(`${url} has no /v1/decide (HTTP 404): is it a Warden sidecar?`);
      const body = (await res.json().catch(() => {
        throw new DrillTargetError(`${url}/v1/decide answered HTTP ${res.status} with a body that is not JSON: is it a Warden sidecar?`);
      })) as Decision & { error?: { code: string; message: string } };
      if (res.status === 200) out.push(judge(c, body, false, `HTTP 200 ${body.verdict}`));
      // A 400 means the sidecar refused to decide at all: the action was stopped, but not by policy.
      else out.push({ name: c.name, stopped: res.status === 400, verdict: `HTTP ${res.status}`, codes: body.error ? [body.error.code] : [], missingCodes: c.expectCodes, detail: body.error?.message ?? "", policy: null });
    } catch (e) {
      if (e instanceof DrillTargetError) throw e;
      // A connection that never opened tells nothing about the policy; one that failed mid-way is a real outcome.
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      if (cause === "ECONNREFUSED" || cause === "ENOTFOUND" || cause === "EAI_AGAIN" || cause === "EHOSTUNREACH") throw new DrillTargetError(`cannot reach the sidecar at ${url}: ${cause}`);
      out.push({ name: c.name, stopped: false, verdict: "error", codes: [], missingCodes: c.expectCodes, detail: `sidecar request failed: ${(e as Error).message}`, policy: null });
    } finally {
      await close?.();
    }
  }
  return out;
}
