// Builds the executable policy from IR: condition closures, throttle key functions and the (kind, tool) index.
import { compileCondition, type Test } from "./closures.js";
import { makeGetter, MISSING, safeEcho } from "./fields.js";
import { compileGlob, type ToolMatcher } from "./glob.js";
import { scanArgs, type PolicyIR, type RuleIR } from "./ir.js";
import { packsFor } from "./scan-leaf.js";
import { ACTION_KINDS, VERDICT_RANK, type Action, type ActionKind, type Reason, type ThrottleSpec } from "../types.js";

export interface CompiledRule {
  readonly ir: RuleIR;
  /** Position in evaluation order (priority tier, then declaration). */
  readonly order: number;
  /** null when the rule has no conditions (it matches whenever it applies). */
  readonly test: Test | null;
  readonly tools: ToolMatcher[] | null;
  readonly throttle: ThrottleSpec | null;
  readonly throttleKey: ((a: Action) => string) | null;
  /** VERDICT_RANK of the rule's verdict (0 = ALLOW). */
  readonly rank: number;
  /** Whether the rule carries a throttle, sandbox, modify or approval obligation. */
  readonly hasObligation: boolean;
  /** Engine cache: the action-independent reason, once computed (null when it depends on the action). */
  cachedReason?: Reason | null;
  /** Engine caches: the reason renderers for a condition that holds and for one that is indeterminate. */
  renderTrue?: { render(a: Action): Reason };
  renderIndeterminate?: { render(a: Action): Reason };
}

/**
 * The rules that can apply to one (kind, tool), in evaluation order, with a slot the engine keeps its plans for
 * this list in (a property every list has from the start, so reading it is one monomorphic load, not a WeakMap
 * lookup).
 */
export type CandidateList = CompiledRule[] & { engineCache: unknown };

function candidateList(rules: CompiledRule[]): CandidateList {
  const list = rules as CandidateList;
  list.engineCache = null;
  return list;
}

export interface PolicyInfo {
  readonly id: string;
  readonly version: string;
  readonly hash: string;
}

const MEMO_LIMIT = 4096;

export class CompiledPolicy {
  readonly info: PolicyInfo;
  readonly rules: readonly CompiledRule[];
  /** kind -> tool -> rules; `noTool` holds the lists for tool-less actions. */
  private readonly index = new Map<string, Map<string, CandidateList>>();
  /** index.get("tool_call"): the common kind, without a lookup. */
  private toolCalls: Map<string, CandidateList> | undefined;
  private readonly noTool = new Map<string, CandidateList>();
  /** kind -> undeclared tool -> rules (a memo; two levels so a lookup builds no key string). */
  private readonly undeclared = new Map<string, Map<string, CandidateList>>();
  private undeclaredSize = 0;

  /** The deterministic artifact text (canonical JSON); set once by buildPolicy. */
  artifact = "";

  constructor(
    readonly ir: PolicyIR,
    readonly hash: string,
  ) {
    this.info = Object.freeze({ id: ir.id, version: ir.version, hash });
    this.rules = ir.rules.map((r, order) => buildRule(r, order, ir));
    // Scan automata are built now, with the policy, never while deciding.
    for (const r of ir.rules) if (r.when) for (const arg of scanArgs(r.when)) packsFor(arg);
    this.buildIndex();
  }

  /**
   * Each rule is added, in evaluation order, to the list of every (kind, declared tool) it can apply to:
   * cost grows with rules × the tools each one names, not rules × all tools.
   */
  private buildIndex(): void {
    const tools = Object.keys(this.ir.tools);
    for (const kind of ACTION_KINDS) {
      this.noTool.set(kind, this.applicable(kind, undefined));
      this.index.set(kind, new Map(tools.map((t) => [t, candidateList([])])));
    }
    for (const r of this.rules) {
      const m = r.ir.match;
      const exact = m.tools !== null && m.tools.every((t) => !t.includes("*") && !t.includes("?"));
      const named = exact ? (m.tools as string[]).filter((t) => Object.hasOwn(this.ir.tools, t)) : tools;
      for (const tool of named) {
        const cls = this.ir.tools[tool];
        for (const kind of m.kinds ?? ACTION_KINDS) {
          if (appliesTo(r, kind, tool, cls)) this.index.get(kind)?.get(tool)?.push(r);
        }
      }
    }
  }

  get id(): string {
    return this.ir.id;
  }
  get version(): string {
    return this.ir.version;
  }
  get mode(): "enforce" | "shadow" {
    return this.ir.mode;
  }

  /** Rules that can apply to an action of this kind on this tool, in evaluation order. */
  candidates(kind: ActionKind, tool: string | undefined): CandidateList {
    if (tool === undefined) return this.noTool.get(kind) ?? candidateList([]);
    const declared = (kind === "tool_call" ? (this.toolCalls ??= this.index.get(kind)) : this.index.get(kind))?.get(tool);
    if (declared !== undefined) return declared;
    let byTool = this.undeclared.get(kind);
    const hit = byTool?.get(tool);
    if (hit) return hit;
    const list = this.applicable(kind, tool);
    // Memo for undeclared tools; bounded so hostile tool names cannot grow memory.
    if (this.undeclaredSize >= MEMO_LIMIT) {
      this.undeclared.clear();
      this.undeclaredSize = 0;
      byTool = undefined;
    }
    if (byTool === undefined) this.undeclared.set(kind, (byTool = new Map()));
    byTool.set(tool, list);
    this.undeclaredSize++;
    return list;
  }

  /** The unindexed reference: rules filtered one by one (used by the linear evaluator and tests). */
  applicable(kind: ActionKind, tool: string | undefined): CandidateList {
    const cls = tool !== undefined && Object.hasOwn(this.ir.tools, tool) ? this.ir.tools[tool] : undefined;
    return candidateList(this.rules.filter((r) => appliesTo(r, kind, tool, cls)));
  }

  /** Index statistics: how many rules each declared (kind, tool) pair evaluates. */
  indexSummary(): Record<string, Record<string, string[]>> {
    const out: Record<string, Record<string, string[]>> = {};
    for (const kind of ACTION_KINDS) {
      const byTool: Record<string, string[]> = {};
      for (const tool of Object.keys(this.ir.tools).sort()) byTool[tool] = (this.index.get(kind)?.get(tool) ?? []).map((r) => r.ir.id);
      byTool["*undeclared-or-none*"] = (this.noTool.get(kind) ?? []).map((r) => r.ir.id);
      out[kind] = byTool;
    }
    return out;
  }
}

export function appliesTo(r: CompiledRule, kind: ActionKind, tool: string | undefined, cls: string | undefined): boolean {
  const m = r.ir.match;
  if (m.kinds !== null && !m.kinds.includes(kind)) return false;
  if (r.tools !== null && (tool === undefined || !r.tools.some((t) => t(tool)))) return false;
  if (m.classes !== null && (cls === undefined || !m.classes.includes(cls))) return false;
  return true;
}

function buildRule(ir: RuleIR, order: number, policy: PolicyIR): CompiledRule {
  const t = ir.throttle;
  return {
    ir,
    order,
    test: ir.when === null ? null : compileCondition(ir.when, policy.lists),
    tools: ir.match.tools === null ? null : ir.match.tools.map(compileGlob),
    throttle: t && { rule: ir.id, mode: t.mode, limit: t.limit, per: t.per, perMs: t.perMs, burst: t.burst },
    throttleKey: t && makeThrottleKey(ir.id, t.key),
    rank: VERDICT_RANK[ir.verdict],
    hasObligation: ir.throttle !== null || ir.sandbox !== null || ir.modify !== null || ir.approval !== null,
  };
}

/**
 * `search-budget:fin-agent-7`: rule id, then each key field's value, `:`-separated. The id and each value have `%` and
 * `:` escaped (`%25`, `%3A`; a missing value is `%00`), so the parts split back unambiguously and two rules never share
 * a counter: `search-budget:agent-7` (a child's id, `key: []`) is `search-budget%3Aagent-7`, not the counter of rule
 * `search-budget` for agent `agent-7`. An id without `%` or `:` is unchanged, so recorded states of such rules replay.
 */
function makeThrottleKey(ruleId: string, fields: string[]): (a: Action) => string {
  const getters = fields.map(makeGetter);
  const id = escapeKeyPart(ruleId);
  const enc = (v: unknown): string => {
    if (v === MISSING) return "%00";
    let s: string;
    try {
      s = typeof v === "string" ? v : (JSON.stringify(v) ?? "%00");
    } catch {
      // Too deep (or otherwise unserializable) to name: all such values share one, stricter, bucket.
      s = "%unserializable";
    }
    return escapeKeyPart(safeEcho(s, 256));
  };
  return (a) => {
    let key = id;
    for (const g of getters) key += `:${enc(g(a))}`;
    return key;
  };
}

function escapeKeyPart(s: string): string {
  return s.replace(/%/g, "%25").replace(/:/g, "%3A");
}
