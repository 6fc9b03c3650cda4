// Wire shapes every component shares: Action V1 in, Decision V1 out (see docs/contracts.md).

/** The six verdicts, least to most restrictive. */
export const VERDICTS = ["ALLOW", "MODIFY", "THROTTLE", "SANDBOX", "ESCALATE", "BLOCK"] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Restrictiveness rank: a higher number wins (BLOCK > ESCALATE > SANDBOX > THROTTLE > MODIFY > ALLOW). */
export const VERDICT_RANK: Readonly<Record<Verdict, number>> = {
  ALLOW: 0,
  MODIFY: 1,
  THROTTLE: 2,
  SANDBOX: 3,
  ESCALATE: 4,
  BLOCK: 5,
};

export const ACTION_KINDS = ["tool_call", "model_call", "tool_result", "message"] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** Action V1 (contract): one intercepted step of an agent, normalized. Untrusted input. */
export interface Action {
  kind: ActionKind;
  /** RFC 3339 decision time, set by the interception point. */
  at?: string;
  agent?: { id?: string; role?: string; labels?: Record<string, string> };
  tool?: string;
  args?: Record<string, unknown>;
  text?: string;
  context?: Record<string, unknown>;
  [extra: string]: unknown;
}

/** One rule that fired (or the default / an engine error), with a stable reason code. */
export interface Reason {
  rule: string;
  code: string;
  verdict: Verdict;
  shadow: boolean;
  /** The action field that decided the rule, when there is one (e.g. `args.counterparty`). */
  field?: string;
  message: string;
  /** Scanner findings and similar structured detail (never secrets in clear). */
  detail?: Record<string, unknown>;
}

export interface SandboxProfile {
  filesystem: { allow: string[]; readOnly: string[]; deny: string[] };
  network: { allow: string[]; deny: string[] };
  env: { allow: string[]; set: Record<string, string> };
}

export type ModifyChange =
  | { op: "redact"; field: string; with: string }
  | { op: "replace"; field: string; value: unknown }
  | { op: "clamp"; field: string; min?: number; max?: number }
  /** Replace the spans the rule's `matches` / `scan` conditions found in `field` (and below it). */
  | { op: "redact_matches"; field: string; with: string };

export interface ModifyObligation {
  changes: Array<ModifyChange & { rule: string; applied: boolean }>;
  /** A modified copy of the action; the original is never mutated. */
  action: Action;
}

export interface ApprovalObligation {
  rule: string;
  group: string;
  timeoutMs: number;
  onTimeout: "deny";
}

export interface Obligations {
  retryAfterMs: number;
  sandbox: SandboxProfile | null;
  modify: ModifyObligation | null;
  approval: ApprovalObligation | null;
}

/** A compiled budget: `limit` calls per `per` (sliding or calendar window), or a gcra rate with `burst`. */
export interface ThrottleSpec {
  rule: string;
  mode: "sliding" | "calendar" | "gcra";
  limit: number;
  per: string;
  perMs: number;
  burst: number;
}

/** What decide() observed for one throttle key; the caller commits it (see engine/throttle.ts). */
export interface ThrottleObservation {
  rule: string;
  mode: "sliding" | "calendar" | "gcra";
  /** Calls counted in the window including this one (for gcra: calls the burst has absorbed). */
  count: number;
  limit: number;
  window: string;
  allowed: boolean;
  retryAfterMs: number;
  /** Decision time in ms since the epoch (from `action.at`), for the caller's commit. */
  atMs: number;
  /** Window length (or gcra period) in ms. */
  perMs: number;
  /** The counter value decide() read, so a replay can feed the same state back. */
  seen: ThrottleCounterView;
  /** gcra only: the theoretical arrival time to store if the call proceeds. */
  nextTat?: number;
}

/** A throttle counter as decide() needs it at time `at` (already reduced to the window). */
export type ThrottleCounterView =
  | { mode: "sliding"; count: number; oldest: number | null }
  | { mode: "calendar"; windowStart: number; count: number }
  | { mode: "gcra"; tat: number | null };

export interface DecisionState {
  throttle: Record<string, ThrottleObservation>;
}

/** Decision V1 (contract). */
export interface Decision {
  verdict: Verdict;
  /** false when the verdict comes only from shadow rules or a policy in shadow mode. */
  enforced: boolean;
  reasons: Reason[];
  /** What shadow rules (or a shadow-mode policy) would have done; never enforced. */
  shadow: Reason[];
  obligations: Obligations;
  state: DecisionState;
  policy: { id: string; version: string; hash: string };
  /** sha256 of the JCS action; filled by the recording layer (decide() stays allocation-light). */
  inputHash?: string;
  /** The verdict a shadow-mode policy would have enforced. */
  shadowVerdict?: Verdict;
}
