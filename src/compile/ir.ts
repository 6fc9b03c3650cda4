// The normalized policy (IR): what the compiler hashes, serializes and builds evaluators from.
import type { ActionKind, ModifyChange, SandboxProfile, Verdict } from "../types.js";

export type Scalar = string | number | boolean | null;

export interface PolicyIR {
  id: string;
  version: string;
  default: "ALLOW" | "BLOCK";
  mode: "enforce" | "shadow";
  lists: Record<string, Scalar[]>;
  tools: Record<string, string>;
  /** Field paths whose values the recording layer must store redacted or encrypted. */
  sensitive: string[];
  rules: RuleIR[];
}

export interface MatchIR {
  /** Exact names or globs (`payments.*`); null matches any tool (and tool-less actions). */
  tools: string[] | null;
  classes: string[] | null;
  kinds: ActionKind[] | null;
}

export interface ThrottleIR {
  mode: "sliding" | "calendar" | "gcra";
  limit: number;
  /** Window (sliding, calendar) or period of `limit` calls (gcra), as written and in ms. */
  per: string;
  perMs: number;
  /** gcra only: calls allowed at once. */
  burst: number;
  /** Field paths whose values form the counter key. */
  key: string[];
}

export interface ApprovalIR {
  group: string;
  timeout: string;
  timeoutMs: number;
  onTimeout: "deny";
}

export interface RuleIR {
  id: string;
  verdict: Verdict;
  code: string;
  message: string | null;
  shadow: boolean;
  tier: number;
  /** Id of the policy that declared the rule (differs from the root under `extends`). */
  from: string;
  match: MatchIR;
  /** Match conditions on role/labels folded in with the rule's `when`. */
  when: CondIR | null;
  throttle: ThrottleIR | null;
  sandbox: SandboxProfile | null;
  modify: ModifyChange[] | null;
  approval: ApprovalIR | null;
}

export type Op =
  | "eq" | "ne" | "in" | "not_in" | "lt" | "lte" | "gt" | "gte" | "between"
  | "exists" | "missing" | "contains" | "includes" | "starts_with" | "ends_with"
  | "longer_than" | "shorter_than" | "larger_than" | "smaller_than"
  | "matches" | "scan";

/** A scan operand: built-in packs (filtered by severity) and/or the policy's own regexes. */
export interface ScanArgIR {
  kind: "scan";
  packs: string[];
  minSeverity: "low" | "medium" | "high" | "critical";
  patterns: Array<{ id: string; pattern: string; caseInsensitive: boolean }>;
}

export type ArgIR =
  | { kind: "none" }
  | { kind: "number"; text: string }
  | { kind: "quantity"; text: string }
  | { kind: "string"; value: string }
  | { kind: "bool"; value: boolean }
  | { kind: "null" }
  | { kind: "set"; values: Scalar[] }
  | { kind: "list"; name: string }
  | { kind: "range"; lo: ArgIR; hi: ArgIR }
  | { kind: "count"; value: number }
  | { kind: "bytes"; value: number }
  | ScanArgIR;

export interface LeafIR {
  field: string;
  op: Op;
  arg: ArgIR;
  ignoreCase: boolean;
}

export type CondIR = { all: CondIR[] } | { any: CondIR[] } | { not: CondIR } | LeafIR;

export function isLeaf(c: CondIR): c is LeafIR {
  return (c as LeafIR).op !== undefined;
}

/** Every scan operand in a condition, in order. */
export function scanArgs(c: CondIR): ScanArgIR[] {
  if (isLeaf(c)) return c.arg.kind === "scan" ? [c.arg] : [];
  if ("not" in c) return scanArgs(c.not);
  return ("all" in c ? c.all : c.any).flatMap(scanArgs);
}
