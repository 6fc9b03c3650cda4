// decide(policy, action, state) -> Decision: pure, synchronous, never throws, fails closed.
import type { CandidateList, CompiledPolicy, CompiledRule, PolicyInfo } from "../compile/build.js";
import { E, F, type Tri } from "../compile/leaf.js";
import { evalCondition } from "../compile/interpret.js";
import { scanArgs } from "../compile/ir.js";
import { safeEcho } from "../compile/fields.js";
import {
  VERDICT_RANK,
  type Action,
  type ApprovalObligation,
  type Decision,
  type DecisionState,
  type ModifyChange,
  type Obligations,
  type Reason,
  type SandboxProfile,
  type ThrottleObservation,
  type Verdict,
} from "../types.js";
import { checkAction, parseTime } from "./action-check.js";
import { applyModify, mergeSandboxes } from "./obligations.js";
import { renderReason, staticReason } from "./reasons.js";
import { indeterminateRenderer, trueRenderer, type Renderer } from "./fast-reasons.js";
import { applyThrottle, EMPTY_THROTTLE, nextTat, type ThrottleReader } from "./throttle.js";

type Fired = [CompiledRule, Tri, ThrottleObservation | undefined];

export interface EngineState {
  throttle?: ThrottleReader;
}

const NO_REASONS: readonly Reason[] = Object.freeze([]);
const NO_OBLIGATIONS: Obligations = Object.freeze({ retryAfterMs: 0, sandbox: null, modify: null, approval: null });
const NO_STATE: DecisionState = Object.freeze({ throttle: Object.freeze({}) as Record<string, ThrottleObservation> });
/** The policy named by decisions made without one (no policy loaded, or none known to the caller). */
export const NO_POLICY_INFO: PolicyInfo = Object.freeze({ id: "", version: "", hash: "" });

/** A BLOCK that no rule produced: no policy, a malformed action, or an internal error. */
export function engineBlock(info: PolicyInfo, rule: string, code: string, message: string, field?: string): Decision {
  const reason: Reason = { rule, code, verdict: "BLOCK", shadow: false, message };
  if (field) reason.field = field;
  return { verdict: "BLOCK", enforced: true, reasons: [reason], shadow: NO_REASONS as Reason[], obligations: NO_OBLIGATIONS, state: NO_STATE, policy: info };
}

/** Decides with the compiled index and closures (the production path). */
export function decide(policy: CompiledPolicy | null | undefined, action: unknown, state?: EngineState): Decision {
  return run(policy, action, state, false);
}

/** Decides with no index and the plain interpreter: the reference the indexed path is tested against. */
export function decideLinear(policy: CompiledPolicy | null | undefined, action: unknown, state?: EngineState): Decision {
  return run(policy, action, state, true);
}

function run(policy: CompiledPolicy | null | undefined, action: unknown, state: EngineState | undefined, linear: boolean): Decision {
  if (policy === null || policy === undefined) {
    return engineBlock(NO_POLICY_INFO, "engine", "NO_POLICY", "no policy is loaded, so every action is blocked");
  }
  try {
    const problem = checkAction(action);
    if (problem) return engineBlock(policy.info, "engine", "INVALID_ACTION", `malformed action: ${problem.message}`, problem.field || undefined);
    return evaluate(policy, action as Action, state, linear);
  } catch (e) {
    // An engine fault is never a permission.
    const msg = e instanceof Error ? e.message : String(e);
    return engineBlock(policy.info, "engine", "RUNTIME_ERROR", `internal error while deciding: ${safeEcho(msg, 200)}`);
  }
}

// The common path (enforce mode, at most 31 candidates, no throttle or MODIFY) is planned once per (candidate list,
// fired set): verdict, reason order, the default reason and obligations are computed then and shared, frozen; only
// reasons whose message echoes the action are rendered per call, cached by the echoed values. Every decision is a
// fresh top-level object the caller may extend (e.g. `inputHash`); what it holds may be shared and frozen.
const PLAN_LIMIT = 256;

interface PlanTable {
  /** By tMask when no rule fired on indeterminate data. */
  byTrue: Map<number, Plan>;
  /** By eMask, then tMask. */
  byIndeterminate: Map<number, Map<number, Plan>>;
  size: number;
}

/** One reason position in a plan: a shared reason, or a renderer for a reason that echoes the action. */
interface Slot {
  reason: Reason | null;
  render: Renderer | null;
}

interface Plan {
  /** The action the default reason was built for (candidate lists are per (kind, tool), so always the same). */
  kind: string;
  tool: string | undefined;
  verdict: Verdict;
  /** Sorted reasons when none depends on the action (shared, frozen); else null and `slots` renders them. */
  reasons: readonly Reason[] | null;
  slots: readonly Slot[];
  shadow: readonly Reason[] | null;
  shadowSlots: readonly Slot[];
  obligations: Obligations;
}

function evaluate(policy: CompiledPolicy, a: Action, state: EngineState | undefined, linear: boolean): Decision {
  const rules: CandidateList = linear ? policy.applicable(a.kind, a.tool) : policy.candidates(a.kind, a.tool);
  const n = rules.length;
  const small = n <= 31;
  // Fired rules: bit i of tMask (condition true) or eMask (indeterminate); a byte array past 31 candidates.
  let tMask = 0;
  let eMask = 0;
  const flags = small ? null : new Uint8Array(n);
  let dynamic = !small || linear;
  let observations: Array<ThrottleObservation | undefined> | null = null;
  let throttleState: Record<string, ThrottleObservation> | null = null;

  for (let i = 0; i < n; i++) {
    const r = rules[i] as CompiledRule;
    const res: Tri = r.test === null ? 1 : linear ? evalCondition(r.ir.when!, a, policy.ir.lists) : r.test(a);
    if (res === F) continue;
    // Indeterminate (missing / ill-typed data) fires restrictive rules and never an ALLOW rule.
    if (res === E && r.rank === 0) continue;
    if (r.throttle !== null) {
      const seen = observeThrottle(r, a, state?.throttle ?? EMPTY_THROTTLE);
      (throttleState ??= {})[seen.key] = seen.observation;
      (observations ??= [])[i] = seen.observation;
      dynamic = true;
      if (seen.observation.allowed && res !== E) continue;
    }
    if (r.ir.modify !== null) dynamic = true;
    if (flags !== null) flags[i] = res === E ? 2 : 1;
    else if (res === E) eMask |= 1 << i;
    else tMask |= 1 << i;
  }

  if (dynamic) return assemble(policy, rules, a, tMask, eMask, flags, observations, throttleState);
  if (policy.ir.mode !== "enforce") return shadowModeCached(policy, rules, a, tMask, eMask);
  let table = rules.engineCache as PlanTable | null;
  if (table === null) rules.engineCache = table = { byTrue: new Map(), byIndeterminate: new Map(), size: 0 };
  let plan = eMask === 0 ? table.byTrue.get(tMask) : table.byIndeterminate.get(eMask)?.get(tMask);
  if (plan === undefined) {
    plan = makePlan(policy, rules, a, tMask, eMask);
    if (table.size < PLAN_LIMIT) {
      table.size++;
      if (eMask === 0) table.byTrue.set(tMask, plan);
      else {
        let byT = table.byIndeterminate.get(eMask);
        if (byT === undefined) table.byIndeterminate.set(eMask, (byT = new Map()));
        byT.set(tMask, plan);
      }
    }
  }
  if (plan.kind !== a.kind || plan.tool !== a.tool) return assemble(policy, rules, a, tMask, eMask, null, null, null);
  return {
    verdict: plan.verdict,
    enforced: true,
    reasons: (plan.reasons ?? fill(plan.slots, a)) as Reason[],
    shadow: (plan.shadow ?? fill(plan.shadowSlots, a)) as Reason[],
    obligations: plan.obligations,
    state: NO_STATE,
    policy: policy.info,
  };
}

/**
 * The reasons of a plan with rendered slots: a fresh array (freezing one to share it is a slow runtime call in V8,
 * and which rendered reasons come together varies more than each of them does).
 */
function fill(slots: readonly Slot[], a: Action): Reason[] {
  const out = new Array<Reason>(slots.length);
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i] as Slot;
    out[i] = s.reason ?? (s.render as Renderer).render(a);
  }
  return out;
}

function slotFor(r: CompiledRule, policy: CompiledPolicy, indeterminate: boolean): Slot {
  if (indeterminate) return { reason: null, render: (r.renderIndeterminate ??= indeterminateRenderer(r, policy.ir)) };
  if (r.cachedReason === undefined) r.cachedReason = staticReason(r);
  if (r.cachedReason !== null) return { reason: r.cachedReason, render: null };
  return { reason: null, render: (r.renderTrue ??= trueRenderer(r, policy.ir)) };
}

function allStatic(slots: readonly Slot[]): readonly Reason[] | null {
  return slots.every((s) => s.reason !== null) ? Object.freeze(slots.map((s) => s.reason as Reason)) : null;
}

/** Plans the decision for one fired set (no throttle or MODIFY), from the first action that produced it. */
function makePlan(policy: CompiledPolicy, rules: readonly CompiledRule[], a: Action, tMask: number, eMask: number): Plan {
  const ir = policy.ir;
  let allowFired = false;
  let rank = -1;
  const main: Array<{ rank: number; slot: Slot }> = [];
  const shadowSlots: Slot[] = [];
  const withObligations: Fired[] = [];
  for (let i = 0; i < rules.length; i++) {
    const t = (tMask >>> i) & 1;
    if (!t && !((eMask >>> i) & 1)) continue;
    const r = rules[i] as CompiledRule;
    const slot = slotFor(r, policy, !t);
    if (r.ir.shadow) {
      shadowSlots.push(slot);
      continue;
    }
    main.push({ rank: r.rank, slot });
    if (r.hasObligation) withObligations.push([r, t ? 1 : E, undefined]);
    if (r.rank === 0) allowFired = true;
    else if (r.rank > rank) rank = r.rank;
  }
  const base: Verdict = allowFired ? "ALLOW" : ir.default;
  const verdict: Verdict = rank > VERDICT_RANK[base] ? rankToVerdict(rank) : base;
  if (!allowFired) main.push({ rank: rankOf(ir.default), slot: { reason: Object.freeze(defaultReason(ir.default, a)), render: null } });
  // Stable sort: most restrictive first, rule order within a verdict (as assemble() orders them).
  main.sort((x, y) => y.rank - x.rank);
  const slots = main.map((m) => m.slot);
  return {
    kind: a.kind,
    tool: a.tool,
    verdict,
    reasons: allStatic(slots),
    slots,
    shadow: shadowSlots.length === 0 ? NO_REASONS : allStatic(shadowSlots),
    shadowSlots,
    // Without throttle or MODIFY, obligations (sandbox, approval) depend only on which rules fired.
    obligations: withObligations.length === 0 ? NO_OBLIGATIONS : deepFreeze(collectObligations(withObligations, a).value),
  };
}

function defaultReason(verdict: Verdict, a: Action): Reason {
  return {
    rule: "default",
    code: verdict === "BLOCK" ? "DEFAULT_BLOCK" : "DEFAULT_ALLOW",
    verdict,
    shadow: false,
    message: verdict === "BLOCK" ? `no rule allows ${a.tool !== undefined ? `tool \`${safeEcho(a.tool, 256)}\`` : `this ${a.kind}`}; the policy's default is BLOCK` : "no ALLOW rule matched; the policy's default is ALLOW",
  };
}

// A policy in shadow mode: decisions that depend only on the fired set are cached, frozen, as a whole.
const shadowCache = new WeakMap<readonly CompiledRule[], Map<number, Decision | null>>();

function shadowModeCached(policy: CompiledPolicy, rules: readonly CompiledRule[], a: Action, tMask: number, eMask: number): Decision {
  if (eMask !== 0) return assemble(policy, rules, a, tMask, eMask, null, null, null);
  let byMask = shadowCache.get(rules);
  if (byMask === undefined) shadowCache.set(rules, (byMask = new Map()));
  let hit = byMask.get(tMask);
  if (hit === undefined) {
    // null: some reason echoes the action, so this fired set is assembled every time.
    let echoes = false;
    for (let i = 0; i < rules.length; i++) if ((tMask >>> i) & 1 && slotFor(rules[i] as CompiledRule, policy, false).reason === null) echoes = true;
    hit = echoes ? null : deepFreeze(assemble(policy, rules, a, tMask, 0, null, null, null));
    if (byMask.size < PLAN_LIMIT) byMask.set(tMask, hit);
  }
  if (hit === null) return assemble(policy, rules, a, tMask, 0, null, null, null);
  return copyDecision(hit);
}

function copyDecision(d: Decision): Decision {
  const out: Decision = { verdict: d.verdict, enforced: d.enforced, reasons: d.reasons, shadow: d.shadow, obligations: d.obligations, state: d.state, policy: d.policy };
  if (d.shadowVerdict !== undefined) out.shadowVerdict = d.shadowVerdict;
  return out;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

/** Builds the Decision from the fired set: reasons in rule order, the default, obligations, shadow mode. */
function assemble(
  policy: CompiledPolicy,
  rules: readonly CompiledRule[],
  a: Action,
  tMask: number,
  eMask: number,
  flags: Uint8Array | null,
  observations: Array<ThrottleObservation | undefined> | null,
  throttleState: Record<string, ThrottleObservation> | null,
): Decision {
  const ir = policy.ir;
  let allowFired = false;
  let rank = -1;
  const reasons: Reason[] = [];
  let shadow: Reason[] | null = null;
  let withObligations: Fired[] | null = null;
  for (let i = 0; i < rules.length; i++) {
    const fired = flags !== null ? flags[i] : (tMask >>> i) & 1 ? 1 : (eMask >>> i) & 1 ? 2 : 0;
    if (!fired) continue;
    const r = rules[i] as CompiledRule;
    const res: Tri = fired === 2 ? E : 1;
    const obs = observations?.[i];
    const reason = reasonFor(r, policy, a, res, obs);
    if (r.ir.shadow) {
      (shadow ??= []).push(reason);
      continue;
    }
    reasons.push(reason);
    if (r.hasObligation) (withObligations ??= []).push([r, res, obs]);
    if (r.rank === 0) allowFired = true;
    else if (r.rank > rank) rank = r.rank;
  }

  let obligations: CollectedObligations = withObligations === null ? { value: NO_OBLIGATIONS } : collectObligations(withObligations, a);
  const modified = obligations.value.modify?.action;
  let unallowed: Reason | null = null;
  if (modified !== undefined && modified !== a) {
    // A MODIFY must not turn the action into one the policy refuses: restrictive rules are asked again about the
    // changed copy (what the interception point forwards), so a change cannot walk around a BLOCK.
    const late = refire(policy, rules, flags, tMask, eMask, modified);
    if (late !== null) {
      for (const [r, res] of late) {
        reasons.push(reasonFor(r, policy, modified, res, undefined));
        if (r.hasObligation) (withObligations ??= []).push([r, res, undefined]);
        if (r.rank > rank) rank = r.rank;
      }
      // Rule order again, so the approval still comes from the first ESCALATE rule in evaluation order.
      (withObligations as Fired[]).sort((x, y) => x[0].order - y[0].order);
      obligations = collectObligations(withObligations as Fired[], a);
    }
    // Nor into one it does not allow: an ALLOW rule let the action through, but under `default: BLOCK` the changed
    // copy must itself be allowed by some ALLOW rule (a MODIFY cannot rewrite `/workspace/a` into `/etc/shadow`).
    if (allowFired && ir.default === "BLOCK" && !allowedAgain(rules, modified)) unallowed = modifyNotAllowed(obligations.value, a);
  }
  const base: Verdict = allowFired ? "ALLOW" : ir.default;
  let verdict: Verdict = rank > VERDICT_RANK[base] ? rankToVerdict(rank) : base;
  if (unallowed !== null) {
    verdict = "BLOCK";
    reasons.push(unallowed);
  }
  if (!allowFired) {
    reasons.push(defaultReason(ir.default, a));
  }
  if (obligations.failure) {
    verdict = "BLOCK";
    reasons.push({ rule: obligations.failure.rule, code: "MODIFY_FAILED", verdict: "BLOCK", shadow: false, field: obligations.failure.field, message: obligations.failure.message });
  }
  // Stable sort: most restrictive first, rule order within a verdict.
  if (reasons.length > 1) reasons.sort((x, y) => rankOf(y.verdict) - rankOf(x.verdict));
  const decision: Decision = {
    verdict,
    enforced: true,
    reasons,
    shadow: shadow ?? (NO_REASONS as Reason[]),
    obligations: obligations.value,
    state: throttleState === null ? NO_STATE : { throttle: throttleState },
    policy: policy.info,
  };
  if (ir.mode === "shadow") {
    // A policy in shadow mode computes and reports everything and enforces nothing.
    return {
      verdict: "ALLOW",
      enforced: false,
      reasons: NO_REASONS as Reason[],
      shadow: [...reasons.map((x) => ({ ...x, shadow: true })), ...decision.shadow],
      obligations: NO_OBLIGATIONS,
      state: decision.state,
      policy: policy.info,
      shadowVerdict: verdict,
    };
  }
  return decision;
}

/**
 * The SANDBOX, ESCALATE and BLOCK rules that did not fire on the action but fire on its MODIFY'd copy (budgets
 * are not counted twice: throttle rules are left out). Null when none does.
 */
function refire(policy: CompiledPolicy, rules: readonly CompiledRule[], flags: Uint8Array | null, tMask: number, eMask: number, modified: Action): Array<[CompiledRule, Tri]> | null {
  let late: Array<[CompiledRule, Tri]> | null = null;
  for (let i = 0; i < rules.length; i++) {
    const fired = flags !== null ? flags[i] : ((tMask | eMask) >>> i) & 1;
    const r = rules[i] as CompiledRule;
    if (fired || r.ir.shadow || r.rank < VERDICT_RANK.SANDBOX || r.throttle !== null) continue;
    const res: Tri = r.test === null ? 1 : r.test(modified);
    if (res !== F) (late ??= []).push([r, res]);
  }
  return late;
}

/** Whether a non-shadow ALLOW rule holds (not indeterminate) for the MODIFY'd copy. */
function allowedAgain(rules: readonly CompiledRule[], modified: Action): boolean {
  for (const r of rules) {
    if (r.rank !== 0 || r.ir.shadow) continue;
    if (r.test === null || r.test(modified) === 1) return true;
  }
  return false;
}

function modifyNotAllowed(o: Obligations, a: Action): Reason {
  const changes = o.modify?.changes.filter((c) => c.applied) ?? [];
  const ruleIds = [...new Set(changes.map((c) => c.rule))];
  const fields = [...new Set(changes.map((c) => c.field))];
  const reason: Reason = {
    rule: ruleIds[0] ?? "default",
    code: "MODIFY_NOT_ALLOWED",
    verdict: "BLOCK",
    shadow: false,
    message: `the change by ${ruleIds.map((r) => `rule \`${r}\``).join(", ") || "a MODIFY rule"} leaves ${a.tool !== undefined ? `a call of tool \`${safeEcho(a.tool, 256)}\`` : `a ${a.kind}`} that no rule allows; the policy's default is BLOCK`,
  };
  if (fields[0] !== undefined) reason.field = fields[0];
  return reason;
}

/** VERDICT_RANK by comparison with constant strings (a keyed lookup here was measurable in the sort). */
function rankOf(v: Verdict): number {
  return v === "BLOCK" ? 5 : v === "ESCALATE" ? 4 : v === "SANDBOX" ? 3 : v === "THROTTLE" ? 2 : v === "MODIFY" ? 1 : 0;
}

function rankToVerdict(rank: number): Verdict {
  return (["ALLOW", "MODIFY", "THROTTLE", "SANDBOX", "ESCALATE", "BLOCK"] as const)[rank] as Verdict;
}

function reasonFor(r: CompiledRule, policy: CompiledPolicy, a: Action, res: Tri, obs: ThrottleObservation | undefined): Reason {
  if (res === 1 && obs === undefined) {
    if (r.cachedReason === undefined) r.cachedReason = staticReason(r);
    if (r.cachedReason !== null) return r.cachedReason;
  }
  return renderReason(r, policy.ir, a, res, obs);
}

function observeThrottle(r: CompiledRule, a: Action, reader: ThrottleReader): { key: string; observation: ThrottleObservation } {
  const spec = r.throttle!;
  const key = r.throttleKey!(a);
  const atMs = typeof a.at === "string" ? parseTime(a.at) : undefined;
  if (atMs === undefined) {
    // Without a time no window can be computed: fail closed with a full-window retry.
    const seen = EMPTY_THROTTLE.read(key, spec, 0);
    return { key, observation: { rule: spec.rule, mode: spec.mode, count: 0, limit: spec.limit, window: spec.per, allowed: false, retryAfterMs: Math.ceil(spec.perMs), atMs: 0, perMs: spec.perMs, seen } };
  }
  const seen = reader.read(key, spec, atMs);
  const out = applyThrottle(spec, seen, atMs);
  const observation: ThrottleObservation = { rule: spec.rule, mode: spec.mode, count: out.count, limit: spec.limit, window: spec.per, allowed: out.allowed, retryAfterMs: out.retryAfterMs, atMs, perMs: spec.perMs, seen };
  if (spec.mode === "gcra") observation.nextTat = nextTat(spec, seen, atMs);
  return { key, observation };
}

interface CollectedObligations {
  value: Obligations;
  failure?: { rule: string; field: string; message: string };
}

function collectObligations(fired: Fired[], a: Action): CollectedObligations {
  let retryAfterMs = 0;
  const sandboxes: SandboxProfile[] = [];
  const changes: Array<ModifyChange & { rule: string }> = [];
  let approval: ApprovalObligation | null = null;
  for (const [r, , obs] of fired) {
    const ir = r.ir;
    if (obs && !obs.allowed) retryAfterMs = Math.max(retryAfterMs, obs.retryAfterMs);
    // Fired on indeterminate data with budget left: waiting will not fix the data, so retry after a full window.
    else if (ir.throttle) retryAfterMs = Math.max(retryAfterMs, Math.ceil(ir.throttle.perMs));
    if (ir.sandbox) sandboxes.push(ir.sandbox);
    if (ir.modify) for (const c of ir.modify) changes.push({ ...c, rule: ir.id });
    // Rules are in priority order, so the first approval obligation is the highest tier's.
    if (ir.approval && approval === null) approval = { rule: ir.id, group: ir.approval.group, timeoutMs: ir.approval.timeoutMs, onTimeout: "deny" };
  }
  if (retryAfterMs === 0 && sandboxes.length === 0 && changes.length === 0 && approval === null) return { value: NO_OBLIGATIONS };
  const value: Obligations = { retryAfterMs, sandbox: sandboxes.length ? mergeSandboxes(sandboxes) : null, modify: null, approval };
  if (changes.length === 0) return { value };
  const m = applyModify(a, changes, (id) => {
    const rule = fired.find(([r]) => r.ir.id === id)?.[0];
    return rule?.ir.when ? scanArgs(rule.ir.when) : [];
  });
  value.modify = m.obligation;
  return m.failure ? { value, failure: m.failure } : { value };
}
