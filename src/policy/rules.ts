// Validates one rule (id, match, when, verdict, code, message, obligations) into rule IR.
import { isLeaf, type CondIR, type LeafIR, type MatchIR, type RuleIR } from "../compile/ir.js";
import { ACTION_KINDS, VERDICTS, type ActionKind, type Verdict } from "../types.js";
import { checkFieldPath, fieldPathProblem, readCondition, type ConditionScope } from "./conditions.js";
import { describeType, isRecord, type ValidationContext } from "./context.js";
import { readApproval, readModify, readSandbox, readThrottle } from "./obligations.js";
import { joinPath } from "./source.js";

const RULE_KEYS = ["id", "description", "match", "when", "verdict", "code", "message", "shadow", "priority", "throttle", "sandbox", "modify", "approval"];
const MATCH_KEYS = ["tool", "class", "kind", "role", "labels"];
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const CODE_RE = /^[A-Z][A-Z0-9_]{0,63}$/;
const GLOB_RE = /^[A-Za-z0-9_.:/*?-]{1,256}$/;
const TEMPLATE_NAMES = ["value", "field", "rule", "code", "tool", "limit", "window", "list", "retry_after", "verdict"];

const OBLIGATION_FOR: Partial<Record<Verdict, "throttle" | "sandbox" | "modify" | "approval">> = {
  THROTTLE: "throttle",
  SANDBOX: "sandbox",
  MODIFY: "modify",
  ESCALATE: "approval",
};

function oneOrMany(ctx: ValidationContext, raw: unknown, path: string, what: string): string[] | undefined {
  const list = typeof raw === "string" ? [raw] : raw;
  if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== "string" || x.length === 0)) {
    ctx.error("TYPE_MISMATCH", path, `${what} must be a string or a non-empty list of strings, got ${describeType(raw)}`);
    return undefined;
  }
  return list as string[];
}

function readMatch(ctx: ValidationContext, raw: unknown, path: string): { match: MatchIR; conds: CondIR[] } | undefined {
  const match: MatchIR = { tools: null, classes: null, kinds: null };
  const conds: CondIR[] = [];
  if (raw === undefined) return { match, conds };
  if (!isRecord(raw)) {
    ctx.error("TYPE_MISMATCH", path, `\`match\` must be a mapping (tool, class, kind, role, labels), got ${describeType(raw)}`);
    return undefined;
  }
  ctx.checkKeys(raw, path, MATCH_KEYS, "match");
  let ok = true;
  if (raw["tool"] !== undefined) {
    const tools = oneOrMany(ctx, raw["tool"], joinPath(path, "tool"), "`match.tool`");
    if (tools) {
      for (const t of tools) {
        if (!GLOB_RE.test(t)) {
          ctx.error("INVALID_GLOB", joinPath(path, "tool"), `tool pattern \`${t}\` may only use letters, digits, \`_ . : / -\` and the globs \`*\` \`?\``);
          ok = false;
        }
      }
      match.tools = [...new Set(tools)].sort();
    } else ok = false;
  }
  if (raw["class"] !== undefined) {
    const classes = oneOrMany(ctx, raw["class"], joinPath(path, "class"), "`match.class`");
    if (classes) match.classes = [...new Set(classes)].sort();
    else ok = false;
  }
  if (raw["kind"] !== undefined) {
    const kinds = oneOrMany(ctx, raw["kind"], joinPath(path, "kind"), "`match.kind`");
    if (kinds?.every((k) => (ACTION_KINDS as readonly string[]).includes(k))) match.kinds = [...new Set(kinds as ActionKind[])].sort();
    else {
      const bad = kinds?.find((k) => !(ACTION_KINDS as readonly string[]).includes(k));
      ctx.error("INVALID_VALUE", joinPath(path, "kind"), `\`match.kind\` must be one of ${ACTION_KINDS.join(", ")}${bad !== undefined ? `, got ${describeType(bad)}` : ""}`);
      ok = false;
    }
  }
  if (raw["role"] !== undefined) {
    const roles = oneOrMany(ctx, raw["role"], joinPath(path, "role"), "`match.role`");
    if (roles) conds.push({ field: "agent.role", op: "in", arg: { kind: "set", values: [...new Set(roles)].sort() }, ignoreCase: false });
    else ok = false;
  }
  if (raw["labels"] !== undefined) {
    const labels = raw["labels"];
    if (!isRecord(labels) || Object.values(labels).some((v) => typeof v !== "string")) {
      ctx.error("TYPE_MISMATCH", joinPath(path, "labels"), "`match.labels` must map label names to strings");
      ok = false;
    } else {
      for (const k of Object.keys(labels).sort()) {
        if (!checkFieldPath(ctx, `agent.labels.${k}`, joinPath(path, `labels.${k}`))) ok = false;
        conds.push({ field: `agent.labels.${k}`, op: "eq", arg: { kind: "string", value: labels[k] as string }, ignoreCase: false });
      }
    }
  }
  return ok ? { match, conds } : undefined;
}

function leaves(c: CondIR): LeafIR[] {
  if (isLeaf(c)) return [c];
  if ("not" in c) return leaves(c.not);
  return ("all" in c ? c.all : c.any).flatMap(leaves);
}

function checkTemplate(ctx: ValidationContext, template: string, path: string): boolean {
  const re = /\{\{|\}\}|\{([^{}]*)\}/g;
  let m: RegExpExecArray | null;
  let ok = true;
  while ((m = re.exec(template)) !== null) {
    const name = m[1];
    if (name === undefined) continue;
    if (TEMPLATE_NAMES.includes(name)) continue;
    if (fieldPathProblem(name) !== undefined) {
      ctx.error("INVALID_TEMPLATE", path, `message placeholder \`{${name}}\` is neither an action field nor one of ${TEMPLATE_NAMES.map((n) => `{${n}}`).join(", ")}`, "write `{{` and `}}` for literal braces");
      ok = false;
    }
  }
  return ok;
}

export function readRule(ctx: ValidationContext, raw: unknown, path: string, scope: ConditionScope, from: string): RuleIR | undefined {
  if (!isRecord(raw)) {
    ctx.error("TYPE_MISMATCH", path, `a rule must be a mapping, got ${describeType(raw)}`);
    return undefined;
  }
  ctx.checkKeys(raw, path, RULE_KEYS, "a rule");
  const id = raw["id"];
  if (typeof id !== "string" || !ID_RE.test(id)) {
    ctx.error(id === undefined ? "MISSING_FIELD" : "INVALID_VALUE", joinPath(path, "id"), `rule \`id\` must be 1-128 letters, digits, \`_ . : -\`, got ${describeType(id)}`);
    return undefined;
  }
  const verdict = raw["verdict"];
  if (typeof verdict !== "string" || !(VERDICTS as readonly string[]).includes(verdict)) {
    const upper = typeof verdict === "string" && (VERDICTS as readonly string[]).includes(verdict.toUpperCase()) ? verdict.toUpperCase() : null;
    ctx.error(verdict === undefined ? "MISSING_FIELD" : "INVALID_VALUE", joinPath(path, "verdict"), `rule \`${id}\`: \`verdict\` must be one of ${VERDICTS.join(", ")}, got ${describeType(verdict)}`, upper ? `verdicts are upper case: write \`${upper}\`` : undefined);
    return undefined;
  }
  const v = verdict as Verdict;
  const code = raw["code"] ?? (v === "ALLOW" ? "ALLOWED" : undefined);
  if (typeof code !== "string" || !CODE_RE.test(code)) {
    ctx.error(code === undefined ? "MISSING_FIELD" : "INVALID_VALUE", joinPath(path, "code"), code === undefined ? `rule \`${id}\` has no \`code\`: a ${v} rule needs a stable UPPER_SNAKE reason code` : `rule \`${id}\`: \`code\` must be a stable UPPER_SNAKE reason code, got ${describeType(code)}`, "e.g. `COUNTERPARTY_NOT_ALLOWLISTED`");
    return undefined;
  }
  const message = raw["message"] ?? null;
  if (message !== null && (typeof message !== "string" || !checkTemplate(ctx, message, joinPath(path, "message")))) {
    if (typeof message !== "string") ctx.error("TYPE_MISMATCH", joinPath(path, "message"), "`message` must be a string template");
    return undefined;
  }
  const shadow = raw["shadow"] ?? false;
  const tier = raw["priority"] ?? 0;
  if (typeof shadow !== "boolean") {
    const yamlWord = typeof shadow === "string" && /^(yes|no|on|off|y|n)$/i.test(shadow);
    ctx.error("TYPE_MISMATCH", joinPath(path, "shadow"), `\`shadow\` must be true or false, got ${describeType(shadow)}`, yamlWord ? "policies are YAML 1.2, where yes/no/on/off are strings: write true or false" : undefined);
  }
  if (typeof tier !== "number" || !Number.isSafeInteger(tier) || tier < -1000 || tier > 1000) {
    ctx.error("INVALID_VALUE", joinPath(path, "priority"), "`priority` must be a whole number from -1000 to 1000 (higher tiers are evaluated and reported first)");
  }
  const m = readMatch(ctx, raw["match"], joinPath(path, "match"));
  const when = raw["when"] === undefined ? null : readCondition(ctx, raw["when"], joinPath(path, "when"), scope);
  // Obligations: exactly the one the verdict needs.
  const needed = OBLIGATION_FOR[v];
  for (const k of ["throttle", "sandbox", "modify", "approval"] as const) {
    if (raw[k] !== undefined && k !== needed) {
      ctx.error("UNEXPECTED_OBLIGATION", joinPath(path, k), `rule \`${id}\` has verdict ${v}, which does not use \`${k}\``, needed ? `a ${v} rule takes \`${needed}\`` : undefined, true);
    }
  }
  if (needed && raw[needed] === undefined && needed !== "approval") {
    ctx.error("MISSING_OBLIGATION", path, `rule \`${id}\` has verdict ${v} but no \`${needed}\` block`);
    return undefined;
  }
  const throttle = needed === "throttle" ? readThrottle(ctx, raw["throttle"], joinPath(path, "throttle")) : null;
  const sandbox = needed === "sandbox" ? readSandbox(ctx, raw["sandbox"], joinPath(path, "sandbox")) : null;
  const modify = needed === "modify" ? readModify(ctx, raw["modify"], joinPath(path, "modify")) : null;
  const approval = needed === "approval" ? readApproval(ctx, raw["approval"] ?? { group: "default" }, joinPath(path, "approval")) : null;
  if (!m || when === undefined || throttle === undefined || sandbox === undefined || modify === undefined || approval === undefined) return undefined;
  if (typeof shadow !== "boolean" || typeof tier !== "number") return undefined;
  if (v === "ALLOW" && when && leaves(when).some((l) => l.op === "contains")) {
    ctx.warn("CONTAINS_IN_ALLOW", joinPath(path, "when"), `ALLOW rule \`${id}\` uses \`contains\`, which also matches substrings of a string`, "for membership in a list field use `includes` (a string there is then indeterminate and never allows)");
  }
  const parts = [...m.conds, ...(when ? [when] : [])];
  return {
    id,
    verdict: v,
    code,
    message: message as string | null,
    shadow,
    tier,
    from,
    match: m.match,
    when: parts.length === 0 ? null : parts.length === 1 ? (parts[0] as CondIR) : { all: parts },
    throttle,
    sandbox,
    modify,
    approval,
  };
}
