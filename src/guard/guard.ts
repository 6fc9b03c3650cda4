// guard(tool, options): wrap any async tool function so it only runs when policy says so (in process or via a sidecar).
import { heldRequest } from "../approvals/held-view.js";
import { approvalActionOf, recordApprovalOutcome, type RecordedOutcome } from "../approvals/outcome.js";
import type { ApprovalRecord, ApprovalStore } from "../approvals/store.js";
import type { CompiledPolicy } from "../compile/build.js";
import { plainProto } from "../engine/action-check.js";
import { engineBlock, NO_POLICY_INFO } from "../engine/decide.js";
import { errorText, Governor } from "../gateway/governor.js";
import { decidingReason } from "../mcp/enforce.js";
import type { DecisionRef } from "../record/approval.js";
import { parseFieldPaths } from "../record/input.js";
import type { Action, Decision } from "../types.js";
import type { SandboxLauncher } from "../sandbox/bwrap.js";
import { planSandbox } from "../sandbox/plan.js";
import { sandboxBox, type SandboxBox } from "../sandbox/run.js";
import { WardenBlockedError, WardenThrottledError } from "./errors.js";
import { askSidecar, recordOutcomeAtSidecar, type SidecarOptions } from "./sidecar-client.js";
import { dropUndefined } from "./drop-undefined.js";
import { snapshotArgs, SnapshotRefusedError } from "./snapshot.js";

export interface GuardOptions {
  /** Tool name in actions (default: the function's name). */
  name?: string;
  /** In process: a compiled policy (its throttle state is shared by every guard of the same policy)… */
  policy?: CompiledPolicy;
  /** …or a Governor you own (to share throttles and a recording sink)… */
  governor?: Governor;
  /** …or a `warden serve` sidecar. */
  sidecarUrl?: string;
  token?: string;
  /** Sidecar request timeout (default 2000 ms). */
  timeoutMs?: number;
  /** What to do when the sidecar cannot be asked: BLOCK (default) or ALLOW, declared up front. */
  fallback?: "BLOCK" | "ALLOW";
  agent?: NonNullable<Action["agent"]>;
  context?: Record<string, unknown>;
  /** Where ESCALATE'd calls wait for a human; without it they throw. */
  approvals?: ApprovalStore;
  approvalPollMs?: number;
  /**
   * More fields shown as `[sensitive]` in a held call's approval request (`args.ssn`, `*` for any key). The
   * deciding policy's own `sensitive:` list is always masked: in process, and with `sidecarUrl` as the sidecar's
   * `warden-sensitive` header names it. This list is for fields that policy does not mark.
   */
  sensitive?: readonly string[];
  /**
   * Carries out SANDBOX verdicts: called instead of the tool with the obligation's profile, its plan for this
   * host and `box.exec()` to run programs inside it (bubblewrap unless `sandboxLauncher` says otherwise); it
   * must return what the tool would. Without it a SANDBOX verdict throws. A profile this host cannot enforce
   * (host lists on the network, relative paths) throws SANDBOX_UNENFORCEABLE and nothing runs.
   */
  sandbox?: (box: SandboxBox, args: Record<string, unknown>) => Promise<unknown>;
  sandboxLauncher?: SandboxLauncher;
  /** Sees every decision (and the fallback when the sidecar was unreachable). */
  onDecision?: (decision: Decision | null, action: Action, note?: string) => void;
  clock?: () => Date;
  fetch?: typeof fetch;
}

const governors = new WeakMap<CompiledPolicy, Governor>();

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && plainProto(v);
}

/** Wraps `tool`; the wrapper decides first and throws WardenBlockedError instead of running a stopped call. */
export function guard<A, R, Rest extends unknown[]>(tool: (args: A, ...rest: Rest) => Promise<R>, options: GuardOptions): (args: A, ...rest: Rest) => Promise<R> {
  const name = options.name ?? tool.name;
  if (!name) throw new TypeError("guard(): give the tool a name (options.name) so policy can match it");
  const modes = [options.policy, options.governor, options.sidecarUrl].filter((x) => x !== undefined).length;
  if (modes !== 1) throw new TypeError("guard(): give exactly one of options.policy, options.governor, options.sidecarUrl");
  if (options.sensitive !== undefined) {
    const bad = parseFieldPaths(options.sensitive).errors;
    if (bad.length > 0) throw new TypeError(`guard(): options.sensitive: ${bad.join("; ")}`);
  }
  const fallback = options.fallback ?? "BLOCK";
  if (fallback !== "BLOCK" && fallback !== "ALLOW") throw new TypeError("guard(): fallback is BLOCK or ALLOW");
  const clock = options.clock ?? (() => new Date());
  let governor: Governor | null = options.governor ?? null;
  if (options.policy) {
    governor = governors.get(options.policy) ?? new Governor(options.policy);
    governors.set(options.policy, governor);
  }

  const sidecar: SidecarOptions | null = options.sidecarUrl === undefined ? null : { url: options.sidecarUrl, ...(options.token ? { token: options.token } : {}), timeoutMs: options.timeoutMs ?? 2000, ...(options.fetch ? { fetch: options.fetch } : {}) };

  const decideAction = async (action: Action): Promise<{ decision: Decision; recorded?: DecisionRef | null; sensitive: readonly string[] } | { fallbackAllow: string }> => {
    if (governor) {
      try {
        return await governor.decideRecorded(action);
      } catch (e) {
        return { decision: engineBlock(governor.policy?.info ?? NO_POLICY_INFO, "engine", "RUNTIME_ERROR", `internal error while deciding: ${errorText(e)}`), sensitive: [] };
      }
    }
    const answer = await askSidecar(action, sidecar as SidecarOptions);
    if (answer.ok) return { decision: answer.decision, recorded: answer.recorded, sensitive: answer.sensitive };
    if (!answer.unreachable) throw new WardenBlockedError(name, answer.code, `${name}: blocked: ${answer.message}`, null);
    if (fallback === "ALLOW") return { fallbackAllow: answer.message };
    throw new WardenBlockedError(name, "SIDECAR_UNREACHABLE", `${name}: blocked (fallback BLOCK): ${answer.message}`, null);
  };

  return async (callerInput: A, ...rest: Rest): Promise<R> => {
    // Decide on a private copy and run the tool on that same copy: a caller that changes its object while the
    // decision or an approval is pending must not change what runs (it would run what nobody decided or approved).
    let input: A;
    try {
      input = snapshotArgs(callerInput);
    } catch (e) {
      if (!(e instanceof SnapshotRefusedError)) throw e;
      throw new WardenBlockedError(name, "INVALID_ACTION", `${name}: blocked: ${e.message}`, null);
    }
    // Read off the copy, never the caller's value again (every object in it is one the copy made).
    const wrapped = !isPlainObject(input);
    const args = wrapped ? { input } : (input as Record<string, unknown>);
    // A recording governor decides what its record can hold: `undefined` properties left out, as JSON would.
    const action: Action = { kind: "tool_call", at: clock().toISOString(), tool: name, args: governor?.recording ? dropUndefined(args) : args };
    if (options.agent) action.agent = options.agent;
    if (options.context) action.context = options.context;
    let outcome;
    try {
      outcome = await decideAction(action);
    } catch (e) {
      options.onDecision?.(null, action, e instanceof Error ? e.message : String(e));
      throw e;
    }
    if ("fallbackAllow" in outcome) {
      options.onDecision?.(null, action, `fallback ALLOW: ${outcome.fallbackAllow}`);
      return tool(input, ...rest);
    }
    const d = outcome.decision;
    options.onDecision?.(d, action);
    const r = decidingReason(d);
    const why = r ? `${r.code}: ${r.message}` : d.verdict;
    switch (d.verdict) {
      case "ALLOW":
        return tool(input, ...rest);
      case "MODIFY": {
        const modified = d.obligations.modify?.action.args;
        if (!modified) throw new WardenBlockedError(name, "MODIFY_UNAVAILABLE", `${name}: blocked: the required changes could not be applied`, d);
        return tool((wrapped ? modified.input : modified) as A, ...rest);
      }
      case "THROTTLE":
        throw new WardenThrottledError(name, r?.code ?? "THROTTLED", `${name}: throttled (${why}); retry after ${d.obligations.retryAfterMs} ms`, d, d.obligations.retryAfterMs);
      case "SANDBOX": {
        const profile = d.obligations.sandbox;
        if (!options.sandbox || !profile) throw new WardenBlockedError(name, r?.code ?? "SANDBOX_REQUIRED", `${name}: requires a sandbox (${why}) and guard() has no sandbox executor; not run`, d);
        const plan = planSandbox(profile, process.env);
        if (!plan.ok) throw new WardenBlockedError(name, "SANDBOX_UNENFORCEABLE", `${name}: requires a sandbox this host cannot enforce (${plan.error}); not run`, d);
        // MODIFY changes apply inside the sandbox too
        const modified = d.obligations.modify?.action.args;
        return (await options.sandbox(sandboxBox(profile, plan.plan, options.sandboxLauncher), modified ?? args)) as R;
      }
      case "ESCALATE": {
        // MODIFY obligations still apply to a held call: the approver sees, and the tool gets, the modified arguments.
        const modified = d.obligations.modify?.action.args;
        await waitForApproval(name, modified ?? args, d, why, outcome.recorded ?? null, outcome.sensitive);
        return modified ? tool((wrapped ? modified.input : modified) as A, ...rest) : tool(input, ...rest);
      }
      default:
        throw new WardenBlockedError(name, r?.code ?? "BLOCKED", `${name}: blocked by policy \`${d.policy.id}\` (${why})`, d);
    }
  };

  async function waitForApproval(name: string, args: Record<string, unknown>, d: Decision, why: string, recorded: DecisionRef | null, policySensitive: readonly string[]): Promise<void> {
    const store = options.approvals;
    const r = decidingReason(d);
    if (!store || !r) throw new WardenBlockedError(name, r?.code ?? "ESCALATE", `${name}: needs approval (${why}) and guard() has no approval store; not run`, d);
    // Masked in the stored request: the sensitive fields of the policy that decided (in process, or as the sidecar's
    // `warden-sensitive` header names them) and any given in options.sensitive (for a sidecar too old to send them).
    const sensitive = [...policySensitive, ...(options.sensitive ?? [])];
    const req = store.request(heldRequest(d, r, { tool: name, args, agent: options.agent }, sensitive), d.obligations.approval?.timeoutMs ?? 300_000);
    const rec = await store.waitFor(req.id, { pollMs: options.approvalPollMs ?? 100 });
    // The outcome goes where the ESCALATE decision went (the governor's sink, or the sidecar's audit log), bound to it.
    const outcome = sidecar ? await recordAtSidecar(sidecar, rec, name, recorded, d) : await recordApprovalOutcome(governor, rec, name, recorded, clock);
    if (rec.status !== "approved") throw new WardenBlockedError(name, r.code, `${name}: approval ${req.id} ${rec.status} (${why}); not run`, d, "ESCALATE");
    // Fail closed: an approval that is not in the audit log (or not well formed) does not let the call run.
    if (outcome.error !== null) throw new WardenBlockedError(name, "AUDIT_UNAVAILABLE", `${name}: approval ${req.id} was approved but could not be recorded (${outcome.error}); not run`, d, "ESCALATE");
    if (outcome.decision.verdict !== "ALLOW") throw new WardenBlockedError(name, outcome.decision.reasons[0]?.code ?? "APPROVAL_INVALID", `${name}: approval ${req.id} is not valid (${outcome.decision.reasons[0]?.message ?? "no reason"}); not run`, d, "ESCALATE");
  }

  async function recordAtSidecar(o: SidecarOptions, rec: ApprovalRecord, tool: string, ref: DecisionRef | null, held: Decision): Promise<RecordedOutcome> {
    const action = approvalActionOf(rec, tool, ref, clock);
    const a = await recordOutcomeAtSidecar(action, o);
    if (a.ok) return { action, decision: a.decision, error: null };
    // Not recorded: the held decision stands (the caller refuses to run the call).
    return { action, decision: held, error: a.message };
  }
}
