// Per-rule reason renderers for the planned path of decide(): the same reasons as renderReason(), cached by the
// action values a message echoes, so a repeated value costs a lookup and allocates nothing. Renderers are class
// instances, not closures: V8 optimizes a closure per instance (a rule that fires rarely would run unoptimized,
// in the tail), a method once for every rule.
import type { CompiledRule } from "../compile/build.js";
import { isLeaf, type LeafIR, type PolicyIR, type RuleIR } from "../compile/ir.js";
import { E, type Tri } from "../compile/leaf.js";
import { makeGetter, MISSING, showValue, type Getter } from "../compile/fields.js";
import type { Action, Reason } from "../types.js";
import { compileTemplate, operandText, renderReason, sensitiveLeafMessage } from "./reasons.js";
import { SENSITIVE_MASK, sensitiveOf } from "../compile/sensitive.js";

/** Renders the reason of a fired rule from the action. */
export interface Renderer {
  render(a: Action): Reason;
}

/** One value a message echoes: how to read it from the action and how to show it. */
interface Input {
  read: (a: Action) => unknown;
  show: (v: unknown) => string;
}

/** Returned by a read when the case is left to renderReason (no cache). */
const SLOW: unique symbol = Symbol("slow");
const readTool = (a: Action): unknown => a.tool;
const TOOL_INPUT: Input = { read: readTool, show: (v) => (typeof v === "string" ? v : "(none)") };
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

/** renderReason() itself, for rules whose deciding leaf needs a trace (and as the fallback). */
class GeneralRenderer implements Renderer {
  constructor(
    private readonly rule: CompiledRule,
    private readonly policy: PolicyIR,
    private readonly result: Tri,
  ) {}

  render(a: Action): Reason {
    return renderReason(this.rule, this.policy, a, this.result);
  }
}

/** A reason that depends on nothing in the action. */
class FixedRenderer implements Renderer {
  constructor(private readonly reason: Reason) {}

  render(): Reason {
    return this.reason;
  }
}

/** Builds the reason from up to three values read from the action. */
interface Producer {
  produce(a: Action, v0: unknown, v1: unknown, v2: unknown): Reason;
}

/** A message template with up to three echoed values, compiled once. */
class TemplateProducer implements Producer {
  constructor(
    private readonly ir: RuleIR,
    /** Literal text, or the index of the value to show. */
    private readonly parts: ReadonlyArray<string | number>,
    private readonly show: ReadonlyArray<(v: unknown) => string>,
    private readonly field: string | undefined,
  ) {}

  produce(_a: Action, v0: unknown, v1: unknown, v2: unknown): Reason {
    const parts = this.parts;
    let m = "";
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as string | number;
      m += typeof p === "string" ? p : (this.show[p] as (v: unknown) => string)(p === 0 ? v0 : p === 1 ? v1 : v2);
    }
    const ir = this.ir;
    return this.field === undefined
      ? { rule: ir.id, code: ir.code, verdict: ir.verdict, shadow: ir.shadow, message: m }
      : { rule: ir.id, code: ir.code, verdict: ir.verdict, shadow: ir.shadow, message: m, field: this.field };
  }
}

/** renderReason() as the producer of a cached renderer (indeterminate reasons: rendered on a miss only). */
class GeneralProducer implements Producer {
  constructor(private readonly general: GeneralRenderer) {}

  produce(a: Action): Reason {
    return this.general.render(a);
  }
}

const none = (): undefined => undefined;

/**
 * Reads up to three values, produces the reason on a miss and keeps it (frozen) in nested maps keyed by those
 * values, from the second time a value is seen. Bounded: a full cache is cleared, and caching pauses for a while
 * when it was mostly missing.
 */
class CachedRenderer implements Renderer {
  private readonly depth: number;
  private readonly r0: (a: Action) => unknown;
  private readonly r1: (a: Action) => unknown;
  private readonly r2: (a: Action) => unknown;
  private readonly cache = new Map<unknown, unknown>();
  private size = 0;
  private hits = 0;
  private paused = 0;

  constructor(
    reads: ReadonlyArray<(a: Action) => unknown>,
    private readonly producer: Producer,
    private readonly general: GeneralRenderer,
  ) {
    this.depth = reads.length;
    this.r0 = reads[0] ?? none;
    this.r1 = reads[1] ?? none;
    this.r2 = reads[2] ?? none;
  }

  render(a: Action): Reason {
    const depth = this.depth;
    const v0 = this.r0(a);
    const v1 = depth > 1 ? this.r1(a) : undefined;
    const v2 = depth > 2 ? this.r2(a) : undefined;
    if ((typeof v0 === "symbol" && v0 === SLOW) || (typeof v1 === "symbol" && v1 === SLOW) || (typeof v2 === "symbol" && v2 === SLOW)) return this.general.render(a);
    if (this.paused > 0) {
      this.paused--;
      return this.producer.produce(a, v0, v1, v2);
    }
    if (!cacheable(v0) || !cacheable(v1) || !cacheable(v2)) return this.producer.produce(a, v0, v1, v2);
    // Entries are objects (a Reason, or a Map one level down) or SEEN; typeof keeps the comparisons cheap.
    const cache = this.cache;
    const top = cache.get(v0);
    let level: unknown = top;
    if (depth > 1 && typeof level === "object") level = (level as Map<unknown, unknown>).get(v1);
    if (depth > 2 && typeof level === "object") level = (level as Map<unknown, unknown>).get(v2);
    if (typeof level === "object") {
      this.hits++;
      return level as Reason;
    }
    const r = this.producer.produce(a, v0, v1, v2);
    if (top === undefined) {
      // First sighting of v0: remember it, nothing more (a value that never repeats costs one small insert).
      if (this.size >= CACHE_LIMIT) {
        if (this.hits * 4 < this.size) this.paused = PAUSE_RENDERS;
        cache.clear();
        this.size = 0;
        this.hits = 0;
        if (this.paused > 0) return r;
      }
      cache.set(v0, SEEN);
      this.size++;
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
    this.size++;
    return r;
  }
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
  const slow = new GeneralRenderer(rule, policy, 1);
  const leaf = simpleLeaf(rule);
  if (leaf === null || ir.throttle !== null) return slow;
  // One input per field path, so a field echoed twice (or the leaf's own field) is read once.
  const byPath = new Map<string, Input>();
  const inputFor = (path: string): Input => byPath.get(path) ?? (byPath.set(path, { read: makeGetter(path), show: showValue }).get(path) as Input);
  const sensitive = sensitiveOf(policy);
  // A sensitive leaf's value is never shown (see compileTemplate): a fixed text stands in for it.
  const leafInput: Input | null = leaf === undefined ? null : sensitive(leaf.field) ? { read: none, show: () => SENSITIVE_MASK } : inputFor(leaf.field);
  const inputs: Input[] = [];
  const parts: Array<string | number> = [];
  const use = (input: Input): void => {
    let i = inputs.indexOf(input);
    if (i < 0) i = inputs.push(input) - 1;
    parts.push(i);
  };
  if (ir.message !== null) {
    const fixed: Record<string, string> = { rule: ir.id, code: ir.code, verdict: ir.verdict, field: leaf?.field ?? "", list: leaf && leaf.arg.kind === "list" ? leaf.arg.name : "" };
    for (const seg of compileTemplate(ir.message, sensitive)) {
      if (typeof seg === "string") parts.push(seg);
      else if ("get" in seg) use(inputFor(seg.path));
      else if (seg.name === "tool") use(TOOL_INPUT);
      else if (seg.name === "value" && leafInput) use(leafInput);
      else parts.push(fixed[seg.name] ?? ""); // value without a leaf, limit, window, retry_after: empty here
    }
  } else if (ir.verdict === "ALLOW") {
    parts.push(`allowed by rule \`${ir.id}\``);
  } else if (leaf && sensitive(leaf.field)) {
    parts.push(sensitiveLeafMessage(ir.id, leaf));
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
  const producer = new TemplateProducer(ir, joined, inputs.map((x) => x.show), leaf?.field);
  if (inputs.length === 0) return new FixedRenderer(Object.freeze(producer.produce({} as Action, undefined, undefined, undefined)));
  return new CachedRenderer(inputs.map((x) => x.read), producer, slow);
}

/**
 * The reason of a rule that fired on indeterminate data: renderReason(rule, policy, a, E). For a one-leaf rule it
 * depends only on the values the message echoes and the leaf's value, so it is cached by those.
 */
export function indeterminateRenderer(rule: CompiledRule, policy: PolicyIR): Renderer {
  const ir = rule.ir;
  const slow = new GeneralRenderer(rule, policy, E);
  const leaf = simpleLeaf(rule);
  if (leaf === null || leaf === undefined || ir.throttle !== null) return slow;
  const getters = new Map<string, Getter>();
  const getter = (path: string): Getter => getters.get(path) ?? (getters.set(path, makeGetter(path)).get(path) as Getter);
  const reads: Array<(a: Action) => unknown> = [getter(leaf.field)];
  const add = (read: (a: Action) => unknown): void => {
    if (!reads.includes(read)) reads.push(read);
  };
  if (ir.message !== null) {
    for (const seg of compileTemplate(ir.message, sensitiveOf(policy))) {
      if (typeof seg === "string") continue;
      if ("get" in seg) add(getter(seg.path));
      else if (seg.name === "tool") add(readTool);
    }
  }
  if (reads.length > 3) return slow;
  return new CachedRenderer(reads, new GeneralProducer(slow), slow);
}
