// Turns a fired rule into a Reason: the deciding field, and the rule's message template filled in.
import type { CompiledRule } from "../compile/build.js";
import { evalCondition, type LeafTrace } from "../compile/interpret.js";
import { isLeaf, type ArgIR, type CondIR, type LeafIR, type PolicyIR } from "../compile/ir.js";
import { packsFor, scanValue, type FieldFinding, type HiddenKeys, type KeyFound, type ScanStats } from "../compile/scan-leaf.js";
import { scanWithPacks } from "../scan/pack.js";
import { E, leafProblem, type Tri } from "../compile/leaf.js";
import { makeGetter, showValue, type Getter } from "../compile/fields.js";
import { pathsOverlap, SENSITIVE_MASK, sensitiveOf, type SensitiveTest } from "../compile/sensitive.js";
import type { Action, Reason, ThrottleObservation } from "../types.js";

export function operandText(arg: ArgIR): string {
  switch (arg.kind) {
    case "number": case "quantity": return arg.text;
    case "string": return `\`${arg.value}\``;
    case "bool": return String(arg.value);
    case "null": return "null";
    case "set": return `[${arg.values.slice(0, 5).map(String).join(", ")}${arg.values.length > 5 ? ", ..." : ""}]`;
    case "list": return `list \`${arg.name}\``;
    case "range": return `${operandText(arg.lo)}..${operandText(arg.hi)}`;
    case "count": case "bytes": return String(arg.value);
    case "none": return "";
    case "scan": return [...arg.packs.map((n) => `pack \`${n}\``), ...arg.patterns.map((x) => `/${x.pattern}/`)].join(", ");
  }
}

/**
 * The default message of a rule decided on a sensitive field: neither the value nor the operand (`in [the one
 * stolen card]` that matched would tell the value).
 */
export function sensitiveLeafMessage(rule: string, leaf: LeafIR): string {
  return `rule \`${rule}\` matched: \`${leaf.field}\` ${leaf.op} (operand and value not shown: the field is sensitive)`;
}

/** The leaf that decided: the first indeterminate one, else the last one evaluated. */
function decisive(trace: LeafTrace[]): LeafTrace | undefined {
  return trace.find((t) => t.result === E) ?? trace[trace.length - 1];
}

/** A reason that does not depend on the action, computed once at build time when possible. */
export function staticReason(rule: CompiledRule): Reason | null {
  const ir = rule.ir;
  if (ir.message !== null && /\{[^{]/.test(ir.message.replace(/\{\{/g, ""))) return null;
  if (ir.when !== null && (!("field" in ir.when) || ir.when.arg.kind === "scan")) return null;
  if (ir.message === null && ir.verdict !== "ALLOW" && ir.when !== null) return null;
  const reason: Reason = {
    rule: ir.id,
    code: ir.code,
    verdict: ir.verdict,
    shadow: ir.shadow,
    message: ir.message !== null ? ir.message.replace(/\{\{/g, "{").replace(/\}\}/g, "}") : ir.verdict === "ALLOW" ? `allowed by rule \`${ir.id}\`` : `rule \`${ir.id}\` matched`,
  };
  if (ir.when !== null && "field" in ir.when) reason.field = ir.when.field;
  return Object.freeze(reason);
}

export type Segment = string | { name: string } | { get: Getter; path: string };

/**
 * A message template split once into literal text, named variables and field getters. A field the policy marks
 * sensitive becomes the literal mask: messages go into signed records, which keep no sensitive value in clear.
 */
export function compileTemplate(template: string, sensitive: SensitiveTest): Segment[] {
  const out: Segment[] = [];
  const re = /\{\{|\}\}|\{([^{}]*)\}/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(template)) !== null) {
    if (m.index > last) out.push(template.slice(last, m.index));
    const name = m[1];
    if (name === undefined) out.push(m[0] === "{{" ? "{" : "}");
    else if (TEMPLATE_VARS.has(name)) out.push({ name });
    else if (sensitive(name)) out.push(SENSITIVE_MASK);
    else out.push({ get: makeGetter(name), path: name });
    last = re.lastIndex;
  }
  if (last < template.length) out.push(template.slice(last));
  return out;
}

const TEMPLATE_VARS = new Set(["rule", "code", "verdict", "tool", "field", "value", "list", "limit", "window", "retry_after"]);

/**
 * What a message shows in place of text a `scan`/`matches` condition read: the findings (masked, with offsets)
 * say what was found where; the text itself holds the secret the scan was looking for.
 */
export const SCANNED_MASK = "[scanned text not shown]";

/** The fields (split on `.`) that the scan conditions of a condition read. */
function scannedFields(c: CondIR, out: string[][] = []): string[][] {
  if (isLeaf(c)) {
    if (c.arg.kind === "scan") out.push(c.field.split("."));
  } else if ("not" in c) scannedFields(c.not, out);
  else for (const x of "all" in c ? c.all : c.any) scannedFields(x, out);
  return out;
}

interface Plan {
  template: Segment[] | null;
  leaf: LeafIR | null;
  get: Getter | null;
  /** Fields read by the rule's scan conditions: a message never echoes them (nor what holds them). */
  scanned: string[][];
}
const plans = new WeakMap<CompiledRule, Plan>();

function planFor(rule: CompiledRule, policy: PolicyIR): Plan {
  let p = plans.get(rule);
  if (!p) {
    const when = rule.ir.when;
    const leaf = when !== null && isLeaf(when) ? when : null;
    const scanned = when === null ? [] : scannedFields(when);
    let template = rule.ir.message === null ? null : compileTemplate(rule.ir.message, sensitiveOf(policy));
    if (template !== null && scanned.length > 0) {
      template = template.map((seg) => (typeof seg !== "string" && "get" in seg && scanned.some((f) => pathsOverlap(f, seg.path.split("."))) ? SCANNED_MASK : seg));
    }
    p = { template, leaf, get: leaf ? makeGetter(leaf.field) : null, scanned };
    plans.set(rule, p);
  }
  return p;
}

const hiddenByPolicy = new WeakMap<PolicyIR, HiddenKeys>();

/** The policy's sensitive paths, split: keys at or below them never appear in a finding's field. */
function hiddenKeysOf(policy: PolicyIR): HiddenKeys {
  let h = hiddenByPolicy.get(policy);
  if (h === undefined) hiddenByPolicy.set(policy, (h = policy.sensitive.map((p) => p.split("."))));
  return h;
}

const keysFoundByPolicy = new WeakMap<PolicyIR, KeyFound | null>();

/** Every scan/matches leaf of a condition (under `not` too), with its field split on `.`. */
function scanLeaves(c: CondIR, out: Array<{ field: string[]; leaf: LeafIR }>): void {
  if (isLeaf(c)) {
    if (c.arg.kind === "scan") out.push({ field: c.field.split("."), leaf: c });
  } else if ("not" in c) scanLeaves(c.not, out);
  else for (const x of "all" in c ? c.all : c.any) scanLeaves(x, out);
}

/**
 * The keys some scan/matches condition of the policy finds something in, wherever it reads them (the key sits at
 * or below the condition's field): each rule's findings hide them in their field paths, so a key one rule found a
 * secret in cannot appear in clear in another rule's path (docs/policy-language.md). Null: no scan condition.
 * Only asked for keys on a finding's path, so a decision without findings costs nothing more.
 */
function keysFoundOf(policy: PolicyIR): KeyFound | null {
  let k = keysFoundByPolicy.get(policy);
  if (k === undefined) {
    const leaves: Array<{ field: string[]; leaf: LeafIR }> = [];
    for (const r of policy.rules) if (r.when !== null) scanLeaves(r.when, leaves);
    k = leaves.length === 0 ? null : (segs, key) => leaves.some((l) => l.field.length <= segs.length && l.field.every((x, i) => x === segs[i]) && l.leaf.arg.kind === "scan" && scanWithPacks(packsFor(l.leaf.arg), key).length > 0);
    keysFoundByPolicy.set(policy, k);
  }
  return k;
}

export function renderReason(rule: CompiledRule, policy: PolicyIR, a: Action, result: Tri, throttle?: ThrottleObservation): Reason {
  const ir = rule.ir;
  const plan = planFor(rule, policy);
  const sensitive = sensitiveOf(policy);
  let d: LeafTrace | undefined;
  if (plan.leaf !== null && plan.get !== null) {
    // One-leaf rules: the decisive leaf is known; read its value without re-evaluating the condition.
    d = { leaf: plan.leaf, value: plan.get(a), result };
  } else {
    const trace: LeafTrace[] = [];
    if (ir.when !== null) evalCondition(ir.when, a, policy.lists, trace);
    d = decisive(trace);
  }
  const isScanned = (field: string): boolean => plan.scanned.length > 0 && plan.scanned.some((f) => pathsOverlap(f, field.split(".")));
  const shownValue = (field: string, v: unknown): string => (sensitive(field) ? SENSITIVE_MASK : isScanned(field) ? SCANNED_MASK : showValue(v));
  const variable = (name: string): string => {
    switch (name) {
      case "rule": return ir.id;
      case "code": return ir.code;
      case "verdict": return ir.verdict;
      case "tool": return typeof a.tool === "string" ? a.tool : "(none)";
      case "field": return d?.leaf.field ?? "";
      case "value": return d ? shownValue(d.leaf.field, d.value) : "";
      case "list": return d && d.leaf.arg.kind === "list" ? d.leaf.arg.name : "";
      case "limit": return throttle ? String(throttle.limit) : "";
      case "window": return throttle ? throttle.window : "";
      default: return throttle ? `${throttle.retryAfterMs} ms` : "";
    }
  };
  let message: string;
  if (plan.template !== null) {
    message = "";
    for (const seg of plan.template) {
      message += typeof seg === "string" ? seg : "name" in seg ? variable(seg.name) : showValue(seg.get(a));
    }
  } else if (throttle && result !== E) {
    message = `budget of ${throttle.limit} per ${throttle.window} used up (${throttle.count} calls); retry in ${throttle.retryAfterMs} ms`;
  } else if (ir.verdict === "ALLOW") {
    message = `allowed by rule \`${ir.id}\``;
  } else if (d && sensitive(d.leaf.field)) {
    message = sensitiveLeafMessage(ir.id, d.leaf);
  } else if (d) {
    const operand = operandText(d.leaf.arg);
    message = `rule \`${ir.id}\` matched: \`${d.leaf.field}\` ${d.leaf.op}${operand ? ` ${operand}` : ""} (value \`${shownValue(d.leaf.field, d.value)}\`)`;
  } else {
    message = `rule \`${ir.id}\` matched ${typeof a.tool === "string" ? `tool \`${a.tool}\`` : `a ${a.kind} action`}`;
  }
  const reason: Reason = { rule: ir.id, code: ir.code, verdict: ir.verdict, shadow: ir.shadow, message };
  if (d) reason.field = d.leaf.field;
  if (d && d.result !== E && d.leaf.arg.kind === "scan") {
    // Scanner findings: pattern, concrete field, offsets, and the match masked (never in clear).
    // At most 20 findings are listed (one string can hold 100,000); the reason says how many more were seen.
    const stats: ScanStats = { omitted: 0, stopped: false };
    const findings = scanValue(packsFor(d.leaf.arg), d.value, d.leaf.field, 20, hiddenKeysOf(policy), keysFoundOf(policy), stats);
    if (findings.length > 0) {
      reason.detail = { findings };
      const f = findings[0] as FieldFinding;
      reason.field = f.field;
      const more = findings.length - 1 + stats.omitted;
      let tail = "";
      if (stats.omitted > 0 || stats.stopped) {
        reason.detail.omitted = stats.omitted;
        if (stats.stopped) reason.detail.truncated = true;
        tail = ` (${findings.length} listed${stats.omitted > 0 ? `, ${stats.omitted} more not listed` : ""}${stats.stopped ? "; the rest of the field was not scanned" : ""})`;
      }
      if (ir.message === null) reason.message = `rule \`${ir.id}\` matched: \`${f.field}\` has ${f.patternId} at offset ${f.start} (\`${f.masked}\`)${more > 0 ? ` and ${stats.stopped ? "at least " : ""}${more} more` : ""}${tail}`;
    }
  }
  if (result === E && d && d.result === E) {
    const problem = leafProblem(d.leaf, d.value, policy.lists) ?? "a value could not be evaluated";
    reason.message = `${message} (${problem}; treated as a match because missing or ill-typed data never permits)`;
    reason.detail = { indeterminate: problem };
  }
  return reason;
}

