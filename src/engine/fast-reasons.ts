// Per-rule reason renderers for the planned path of decide(): the same reasons as renderReason(), cached by the
// action values a message echoes, so a repeated value costs a lookup and allocates nothing.
import type { CompiledRule } from "../compile/build.js";
import { isLeaf, type LeafIR, type PolicyIR } from "../compile/ir.js";
import { E } from "../compile/leaf.js";
import { makeGetter, MISSING, showValue } from "../compile/fields.js";
import type { Action, Reason } from "../types.js";
import { compileTemplate, operandText, renderReason } from "./reasons.js";

/** Renders the reason of a fired rule from the action. */
export type Renderer = (a: Action) => Reason;

/** One value a message echoes: how to read it from the action and how to show it. */
interface Input {
  read: (a: Action) => unknown;
  show: (v: unknown) => string;
}

/** Returned by a read when the case is left to renderReason (no cache). */
const SLOW: unique symbol = Symbol("slow");
const TOOL_INPUT: Input = { read: (a) => a.tool, show: (v) => (typeof v === "string" ? v : "(none)") };
// "matched tool `x`" needs the kind when there is no tool: that rare case takes the general path.
const MATCHED_TOOL_INPUT: Input = { read: (a) => (typeof a.tool === "string" ? a.tool : SLOW), show: (v) => `tool \`${v as string}\`` };

const CACHE_LIMIT = 512;
const MAX_KEY_LENGTH = 256;
// A full cache that saw fewer hits than a quarter of its entries (values that rarely repeat, e.g. amounts) pauses
// for this many renders.
const PAUSE_RENDERS = 16_384;
/** Marks a value seen once: only a value seen again is cached (Object.freeze is a slow runtime call in V8). */
const SEEN: unique symbol = Symbol("seen");

/**
 * Values that can key the cache: short strings, small integers, booleans, null, missing; never objects (their
 * rendering reads contents), and not fractional numbers (hashing a heap number in a Map is a runtime call in V8
 * that costs about as much as rendering it).
 */
function cacheable(v: unknown): boolean {
  const t = typeof v;
  if (t === "string") return (v as string).length <= MAX_KEY_LENGTH;
  if (t === "number") return ((v as number) | 0) === v;
  return t === "boolean" || v === null || v === undefined || v === MISSING;
}

/**
 * A renderer that reads up to three values, renders on a miss and keeps the (frozen) reason in nested maps keyed
 * by those values, from the second time a value is seen. Bounded: a full cache is cleared, and caching pauses for
 * a while when it was mostly missing.
 */
function cachedBy(reads: Array<(a: Action) => unknown>, produce: (a: Action, v0: unknown, v1: unknown, v2: unknown) => Reason, slow: Renderer): Renderer {
  const depth = reads.length;
  const none = (): undefined => undefined;
  const r0 = reads[0] ?? none;
  const r1 = reads[1] ?? none;
  const r2 = reads[2] ?? none;
  const cache = new Map<unknown, unknown>();
  let size = 0;
  let hits = 0;
  let paused = 0;
  return (a) => {
    const v0 = r0(a);
    const v1 = depth > 1 ? r1(a) : undefined;
    const v2 = depth > 2 ? r2(a) : undefined;
    if ((typeof v0 === "symbol" && v0 === SLOW) || (typeof v1 === "symbol" && v1 === SLOW) || (typeof v2 === "symbol" && v2 === SLOW)) return slow(a);
    if (paused > 0) {
      paused--;
      return produce(a, v0, v1, v2);
    }
    if (!cacheable(v0) || !cacheable(v1) || !cacheable(v2)) return produce(a, v0, v1, v2);
    // Entries are objects (a Reason, or a Map one level down) or SEEN; typeof keeps the comparisons cheap.
    const top = cache.get(v0);
    let level: unknown = top;
    if (depth > 1 && typeof level === "object") level = (level as Map<unknown, unknown>).get(v1);
    if (depth > 2 && typeof level === "object") level = (level as Map<unknown, unknown>).get(v2);
    if (typeof level === "object") {
      hits++;
      return level as Reason;
    }
    const r = produce(a, v0, v1, v2);
    if (top === undefined) {
      // First sighting of v0: remember it, nothing more (a value that never repeats costs one small insert).
      if (size >= CACHE_LIMIT) {
        if (hits * 4 < size) paused = PAUSE_RENDERS;
        cache.clear();
        size = 0;
        hits = 0;
        if (paused > 0) return r;
      }
      cache.set(v0, SEEN);
      size++;
      return r;
    }
    // Seen before: shared from now on, so frozen, with its detail (the indeterminate explanation).
    if (r.detail !== undefined) Object.freeze(r.detail);
    Object.freeze(r);
    if (depth === 1) {
      cache.set(v0, r);
      return r;
    }
    let m1 = typeof top === "object" ? (top as Map<unknown, unknown>) : undefined;
    if (m1 === undefined) cache.set(v0, (m1 = new Map()));
    if (depth === 2) {
      m1.set(v1, r);
    } else {
      let m2 = m1.get(v1) as Map<unknown, unknown> | undefined;
      if (m2 === undefined) m1.set(v1, (m2 = new Map()));
      m2.set(v2, r);
    }
    size++;
    return r;
  };
}

/** The leaf that decides a rule's reason without a trace: null for multi-leaf or scan conditions (undefined: none). */
function simpleLeaf(rule: CompiledRule): LeafIR | null | undefined {
  const when = rule.ir.when;
  if (when === null) return undefined;
  return isLeaf(when) && when.arg.kind !== "scan" ? when : null;
}

/**
 * The reason of a rule whose condition held (no throttle): renderReason(rule, policy, a, T) for every action,
 * computed from a template compiled once. Rules whose deciding leaf needs a trace use renderReason itself.
 */
export function trueRenderer(rule: CompiledRule, policy: PolicyIR): Renderer {
  const ir = rule.ir;
  const slow: Renderer = (a) => renderReason(rule, policy, a, 1);
  const leaf = simpleLeaf(rule);
  if (leaf === null || ir.throttle !== null) return slow;
  const leafInput: Input | null = leaf === undefined ? null : { read: makeGetter(leaf.field), show: showValue };
  const inputs: Input[] = [];
  const parts: Array<string | number> = [];
  const use = (input: Input): void => {
    let i = inputs.indexOf(input);
    if (i < 0) i = inputs.push(input) - 1;
    parts.push(i);
  };
  if (ir.message !== null) {
    const fixed: Record<string, string> = { rule: ir.id, code: ir.code, verdict: ir.verdict, field: leaf?.field ?? "", list: leaf && leaf.arg.kind === "list" ? leaf.arg.name : "" };
    for (const seg of compileTemplate(ir.message)) {
      if (typeof seg === "string") parts.push(seg);
      else if ("get" in seg) use({ read: seg.get, show: showValue });
      else if (seg.name === "tool") use(TOOL_INPUT);
      else if (seg.name === "value" && leafInput) use(leafInput);
      else parts.push(fixed[seg.name] ?? ""); // value without a leaf, limit, window, retry_after: empty here
    }
  } else if (ir.verdict === "ALLOW") {
    parts.push(`allowed by rule \`${ir.id}\``);
  } else if (leaf && leafInput) {
    const operand = operandText(leaf.arg);
    parts.push(`rule \`${ir.id}\` matched: \`${leaf.field}\` ${leaf.op}${operand ? ` ${operand}` : ""} (value \``);
    use(leafInput);
    parts.push("`)");
  } else {
    parts.push(`rule \`${ir.id}\` matched `);
    use(MATCHED_TOOL_INPUT);
  }
  if (inputs.length > 3) return slow;
  // Adjacent literals joined once.
  const joined: Array<string | number> = [];
  for (const p of parts) {
    const last = joined[joined.length - 1];
    if (typeof p === "string" && typeof last === "string") joined[joined.length - 1] = last + p;
    else joined.push(p);
  }
  const field = leaf?.field;
  const make = (message: string): Reason =>
    field === undefined
      ? { rule: ir.id, code: ir.code, verdict: ir.verdict, shadow: ir.shadow, message }
      : { rule: ir.id, code: ir.code, verdict: ir.verdict, shadow: ir.shadow, message, field };
  const show = inputs.map((x) => x.show);
  const produce = (_a: Action, v0: unknown, v1: unknown, v2: unknown): Reason => {
    let m = "";
    for (let i = 0; i < joined.length; i++) {
      const p = joined[i] as string | number;
      m += typeof p === "string" ? p : (show[p] as (v: unknown) => string)(p === 0 ? v0 : p === 1 ? v1 : v2);
    }
    return make(m);
  };
  if (inputs.length === 0) {
    const fixed = Object.freeze(produce(undefined as unknown as Action, undefined, undefined, undefined));
    return () => fixed;
  }
  return cachedBy(inputs.map((x) => x.read), produce, slow);
}

/**
 * The reason of a rule that fired on indeterminate data: renderReason(rule, policy, a, E). For a one-leaf rule it
 * depends only on the values the message echoes and the leaf's value, so it is cached by those.
 */
export function indeterminateRenderer(rule: CompiledRule, policy: PolicyIR): Renderer {
  const ir = rule.ir;
  const slow: Renderer = (a) => renderReason(rule, policy, a, E);
  const leaf = simpleLeaf(rule);
  if (leaf === null || leaf === undefined || ir.throttle !== null) return slow;
  const reads: Array<(a: Action) => unknown> = [makeGetter(leaf.field)];
  if (ir.message !== null) {
    for (const seg of compileTemplate(ir.message)) {
      if (typeof seg === "string") continue;
      if ("get" in seg) reads.push(seg.get);
      else if (seg.name === "tool") reads.push(TOOL_INPUT.read);
    }
  }
  if (reads.length > 3) return slow;
  return cachedBy(reads, (a) => renderReason(rule, policy, a, E), slow);
}
