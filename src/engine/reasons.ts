// Turns a fired rule into a Reason: the deciding field, and the rule's message template filled in.
import type { CompiledRule } from "../compile/build.js";
import { evalCondition, type LeafTrace } from "../compile/interpret.js";
import type { ArgIR, PolicyIR } from "../compile/ir.js";
import { E, leafProblem, type Tri } from "../compile/leaf.js";
import { readField, showValue, MISSING } from "../compile/fields.js";
import type { Action, Reason, ThrottleObservation } from "../types.js";

function operandText(arg: ArgIR): string {
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
  }
}

/** The leaf that decided: the first indeterminate one, else the last one evaluated. */
function decisive(trace: LeafTrace[]): LeafTrace | undefined {
  return trace.find((t) => t.result === E) ?? trace[trace.length - 1];
}

/** A reason that does not depend on the action, computed once at build time when possible. */
export function staticReason(rule: CompiledRule): Reason | null {
  const ir = rule.ir;
  if (ir.message !== null && /\{[^{]/.test(ir.message.replace(/\{\{/g, ""))) return null;
  if (ir.when !== null && !("field" in ir.when)) return null;
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

export function renderReason(rule: CompiledRule, policy: PolicyIR, a: Action, result: Tri, throttle?: ThrottleObservation): Reason {
  const ir = rule.ir;
  const trace: LeafTrace[] = [];
  if (ir.when !== null) evalCondition(ir.when, a, policy.lists, trace);
  const d = decisive(trace);
  const vars: Record<string, string> = {
    rule: ir.id,
    code: ir.code,
    verdict: ir.verdict,
    tool: typeof a.tool === "string" ? a.tool : "(none)",
    field: d?.leaf.field ?? "",
    value: d ? showValue(d.value) : "",
    list: d && d.leaf.arg.kind === "list" ? d.leaf.arg.name : "",
    limit: throttle ? String(throttle.limit) : "",
    window: throttle ? throttle.window : "",
    retry_after: throttle ? `${throttle.retryAfterMs} ms` : "",
  };
  let message: string;
  if (ir.message !== null) {
    message = ir.message.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, name: string | undefined) => {
      if (name === undefined) return m === "{{" ? "{" : "}";
      if (Object.hasOwn(vars, name)) return vars[name] as string;
      const v = readField(a, name);
      return v === MISSING ? "(missing)" : showValue(v);
    });
  } else if (throttle) {
    message = `budget of ${throttle.limit} per ${throttle.window} used up (${throttle.count} calls); retry in ${throttle.retryAfterMs} ms`;
  } else if (ir.verdict === "ALLOW") {
    message = `allowed by rule \`${ir.id}\``;
  } else if (d) {
    const operand = operandText(d.leaf.arg);
    message = `rule \`${ir.id}\` matched: \`${d.leaf.field}\` ${d.leaf.op}${operand ? ` ${operand}` : ""} (value \`${showValue(d.value)}\`)`;
  } else {
    message = `rule \`${ir.id}\` matched ${typeof a.tool === "string" ? `tool \`${a.tool}\`` : `a ${a.kind} action`}`;
  }
  const reason: Reason = { rule: ir.id, code: ir.code, verdict: ir.verdict, shadow: ir.shadow, message };
  if (d) reason.field = d.leaf.field;
  if (result === E && d && d.result === E) {
    const problem = leafProblem(d.leaf, d.value, policy.lists) ?? "a value could not be evaluated";
    reason.message = `${message} (${problem}; treated as a match because missing or ill-typed data never permits)`;
    reason.detail = { indeterminate: problem };
  }
  return reason;
}
