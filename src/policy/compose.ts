// Composition: merges parents (`extends`) and rule groups (`use`) into one policy; a child never weakens a parent's BLOCK.
import type { PolicyIR, RuleIR, Scalar } from "../compile/ir.js";
import { canonicalize } from "../canonical/jcs.js";
import type { ValidationContext } from "./context.js";
import type { PolicyDocument } from "./document.js";
import { joinPath } from "./source.js";
import { sensitiveTest } from "../compile/sensitive.js";
import { isToolGlob } from "../compile/glob.js";

/** A policy with its own parents already merged in (groups kept for children to `use`). */
export interface ResolvedPolicy {
  ir: PolicyIR;
  groups: Record<string, RuleIR[]>;
  /** Whether `default`/`mode` were set anywhere in the chain. */
  hasDefault: boolean;
}

const same = (a: unknown, b: unknown): boolean => canonicalize(a) === canonicalize(b);

function mergeParent(ctx: ValidationContext, acc: ResolvedPolicy, p: ResolvedPolicy, at: string): void {
  for (const [name, values] of Object.entries(p.ir.lists)) {
    if (Object.hasOwn(acc.ir.lists, name) && !same(acc.ir.lists[name], values)) {
      ctx.error("EXTENDS_MISMATCH", at, `parents define list \`${name}\` differently`);
    } else acc.ir.lists[name] = values;
  }
  for (const [tool, cls] of Object.entries(p.ir.tools)) {
    if (Object.hasOwn(acc.ir.tools, tool) && acc.ir.tools[tool] !== cls) {
      ctx.error("EXTENDS_MISMATCH", at, `parents declare tool \`${tool}\` as \`${acc.ir.tools[tool]}\` and \`${cls}\``);
    } else acc.ir.tools[tool] = cls;
  }
  for (const [name, rules] of Object.entries(p.groups)) {
    if (Object.hasOwn(acc.groups, name) && !same(acc.groups[name], rules)) ctx.error("EXTENDS_MISMATCH", at, `parents define rule group \`${name}\` differently`);
    else acc.groups[name] = rules;
  }
  for (const rule of p.ir.rules) {
    const i = acc.ir.rules.findIndex((r) => r.id === rule.id);
    if (i < 0) acc.ir.rules.push(rule);
    else if (!same(acc.ir.rules[i], rule)) ctx.error("EXTENDS_MISMATCH", at, `parents define rule \`${rule.id}\` differently`);
  }
  acc.ir.sensitive.push(...p.ir.sensitive);
  if (p.hasDefault) {
    // Several parents: the most restrictive default and the enforcing mode win.
    if (!acc.hasDefault || p.ir.default === "BLOCK") acc.ir.default = p.ir.default;
    if (!acc.hasDefault || p.ir.mode === "enforce") acc.ir.mode = p.ir.mode;
    acc.hasDefault = true;
  }
}

/**
 * A budget keyed by a sensitive field would keep that value in clear in the throttle counters and in the `state` of
 * every record. Own rules are checked against every sensitive field; inherited ones against this policy's additions
 * (a parent's own conflicts are reported where it is compiled).
 */
function checkSensitiveKeys(ctx: ValidationContext, acc: ResolvedPolicy, own: RuleIR[], doc: PolicyDocument): void {
  const all = sensitiveTest(acc.ir.sensitive);
  const added = sensitiveTest(doc.sensitive);
  const ownIds = new Set(own.map((r) => r.id));
  for (const rule of acc.ir.rules) {
    const mine = ownIds.has(rule.id);
    const key = rule.throttle?.key.find(mine ? all : added);
    if (key === undefined) continue;
    const at = mine ? joinPath(joinPath(doc.rulePaths.get(rule.id) ?? "rules", "throttle"), "key") : "sensitive";
    ctx.error("SENSITIVE_THROTTLE_KEY", at, `rule \`${rule.id}\` keys its budget by \`${key}\`, a sensitive field: the value would be kept in clear in throttle counters and in every record`, "key the budget by a field that identifies without revealing (an account id, not the card number), or do not mark it sensitive");
  }
}

/**
 * Under a parent whose default is BLOCK, a child's ALLOW rule may only reach tools the policy declares: matched
 * by class, or by exact declared names. A glob, or no tool at all (`tool: "*"`, `kind: message`), would ALLOW
 * what the parent blocks by default as surely as `default: ALLOW`, which is refused. New tools are declared
 * under `tools:`, where a reviewer sees them.
 */
function checkAllowsWithinDeclared(ctx: ValidationContext, acc: ResolvedPolicy, own: readonly RuleIR[], doc: PolicyDocument): void {
  for (const rule of own) {
    const what = allowsPastDeclared(rule, acc.ir.tools);
    if (what === null) continue;
    ctx.error(
      "WEAKENS_PARENT",
      joinPath(doc.rulePaths.get(rule.id) ?? "rules", "match"),
      `rule \`${rule.id}\` would ALLOW ${what}: a parent policy blocks them by default`,
      "declare the tools under `tools:` and match them by exact name or by class",
    );
  }
}

/** What a non-shadow ALLOW rule would allow beyond the declared tools (matched by class or exact name), or null. */
function allowsPastDeclared(rule: RuleIR, tools: Record<string, string>): string | null {
  if (rule.verdict !== "ALLOW" || rule.shadow) return null;
  const m = rule.match;
  if (m.classes !== null) return null;
  const undeclared = m.tools === null ? null : m.tools.filter((t) => isToolGlob(t) || !Object.hasOwn(tools, t));
  if (undeclared !== null && undeclared.length === 0) return null;
  return undeclared === null ? "actions of any tool (and actions without one)" : `tools ${undeclared.map((t) => `\`${t}\``).join(", ")}, which are patterns or not declared`;
}

/**
 * With several parents, one parent's ALLOW rules must not open what another blocks by default: the merged policy
 * takes the most restrictive default, and a catch-all or glob ALLOW from a `default: ALLOW` parent would overrule it
 * as surely as a child's would. Rules a parent shares with the blocking one (a common ancestor) are that one's own.
 */
function checkParentsAllowWithinDeclared(ctx: ValidationContext, acc: ResolvedPolicy, parents: readonly ResolvedPolicy[]): void {
  for (const blocking of parents) {
    if (!blocking.hasDefault || blocking.ir.default !== "BLOCK") continue;
    const its = new Set(blocking.ir.rules.map((r) => r.id));
    for (const other of parents) {
      if (other === blocking) continue;
      for (const rule of other.ir.rules) {
        if (its.has(rule.id)) continue;
        const what = allowsPastDeclared(rule, acc.ir.tools);
        if (what === null) continue;
        ctx.error(
          "WEAKENS_PARENT",
          "extends",
          `rule \`${rule.id}\` of parent policy \`${other.ir.id}\` would ALLOW ${what}: parent policy \`${blocking.ir.id}\` blocks them by default`,
          "extend policies that agree on what runs: declare the tools under `tools:` and match them by exact name or by class",
        );
        its.add(rule.id);
      }
    }
  }
}

/**
 * The approval obligation of a decision comes from the first ESCALATE rule in evaluation order (higher priority
 * tiers first; within a tier, parents' rules before a child's). A child's ESCALATE rule in a higher tier than a
 * parent's would take over the parent's approval whenever both fire (`cfo` replaced by `interns`, with the child's
 * timeout), so it must not outrank any inherited ESCALATE rule: then a parent's approval always wins over a
 * child's, at every level of `extends`.
 */
function checkApprovalsStayWithParents(ctx: ValidationContext, inheritedRules: readonly RuleIR[], own: readonly RuleIR[], doc: PolicyDocument): void {
  let lowest: RuleIR | null = null;
  for (const r of inheritedRules) if (r.verdict === "ESCALATE" && !r.shadow && (lowest === null || r.tier < lowest.tier)) lowest = r;
  if (lowest === null) return;
  for (const rule of own) {
    if (rule.verdict !== "ESCALATE" || rule.shadow || rule.tier <= lowest.tier) continue;
    ctx.error(
      "WEAKENS_PARENT",
      doc.rulePaths.get(rule.id) ?? "rules",
      `ESCALATE rule \`${rule.id}\` (priority ${rule.tier}) outranks ESCALATE rule \`${lowest.id}\` of parent policy \`${lowest.from}\` (priority ${lowest.tier}): when both fire, its approval (\`${rule.approval?.group ?? "default"}\`) would replace the parent's (\`${lowest.approval?.group ?? "default"}\`)`,
      `give it a priority of at most ${lowest.tier}: a parent's approval always comes first, and the ESCALATE verdict does not depend on priority`,
    );
  }
}

export function composePolicy(ctx: ValidationContext, parents: ResolvedPolicy[], doc: PolicyDocument): ResolvedPolicy {
  const acc: ResolvedPolicy = {
    ir: { id: doc.id, version: doc.version, default: "BLOCK", mode: "enforce", lists: {}, tools: {}, sensitive: [], rules: [] },
    groups: {},
    hasDefault: false,
  };
  for (const p of parents) mergeParent(ctx, acc, p, "extends");
  if (parents.length > 1) checkParentsAllowWithinDeclared(ctx, acc, parents);
  const inherited = new Set(acc.ir.rules.map((r) => r.id));
  const inheritedRules = [...acc.ir.rules];

  for (const [name, values] of Object.entries(doc.lists)) {
    if (Object.hasOwn(acc.ir.lists, name) && !same(acc.ir.lists[name], values)) {
      ctx.error("EXTENDS_MISMATCH", joinPath("lists", name), `list \`${name}\` is defined by a parent policy; a child may not change it`, "parent rules rely on it; declare a list with a new name");
    } else acc.ir.lists[name] = values as Scalar[];
  }
  for (const [tool, cls] of Object.entries(doc.tools)) {
    if (Object.hasOwn(acc.ir.tools, tool) && acc.ir.tools[tool] !== cls) {
      ctx.error("EXTENDS_MISMATCH", joinPath("tools", tool), `tool \`${tool}\` is declared \`${acc.ir.tools[tool]}\` by a parent; a child may not reclassify it`);
    } else acc.ir.tools[tool] = cls;
  }
  for (const [name, rules] of Object.entries(doc.groups)) {
    if (Object.hasOwn(acc.groups, name)) ctx.error("EXTENDS_MISMATCH", joinPath("groups", name), `rule group \`${name}\` is already defined by a parent`);
    else acc.groups[name] = rules;
  }

  const own: RuleIR[] = [...doc.rules];
  doc.use.forEach((name, i) => {
    const group = acc.groups[name];
    if (!group) {
      const known = Object.keys(acc.groups);
      ctx.error("UNKNOWN_GROUP", joinPath("use", i), `rule group \`${name}\` is not defined`, known.length ? `defined groups: ${known.join(", ")}` : "define it under `groups:` here or in a parent");
    } else own.push(...group);
  });

  for (const rule of own) {
    const at = doc.rulePaths.get(rule.id) ?? "rules";
    const i = acc.ir.rules.findIndex((r) => r.id === rule.id);
    if (i < 0) {
      acc.ir.rules.push(rule);
      continue;
    }
    const parent = acc.ir.rules[i] as RuleIR;
    if (!inherited.has(rule.id)) {
      ctx.error("DUPLICATE_RULE_ID", at, `rule id \`${rule.id}\` appears twice (rules and a used group)`);
    } else if (!same({ ...parent, from: "" }, { ...rule, from: "" })) {
      // Replacing a parent rule could narrow its condition or loosen its obligation as easily as change its
      // verdict, so composition is add-only: stricter behaviour comes from an added rule, which always wins.
      ctx.error("WEAKENS_PARENT", at, `rule \`${rule.id}\` would replace a ${parent.verdict} rule of parent policy \`${parent.from}\``, "a child can add rules but never replace a parent's; give the new rule its own id (the most restrictive verdict wins)");
    }
  }

  if (parents.length > 0 && acc.hasDefault && acc.ir.default === "BLOCK") checkAllowsWithinDeclared(ctx, acc, own, doc);
  checkApprovalsStayWithParents(ctx, inheritedRules, own.filter((r) => !inherited.has(r.id)), doc);

  acc.ir.sensitive.push(...doc.sensitive);
  acc.ir.sensitive = [...new Set(acc.ir.sensitive)].sort();
  checkSensitiveKeys(ctx, acc, own, doc);
  if (doc.default !== undefined) {
    if (acc.hasDefault && acc.ir.default === "BLOCK" && doc.default === "ALLOW") {
      ctx.error("WEAKENS_PARENT", "default", "a child cannot change a parent's `default: BLOCK` to ALLOW");
    } else acc.ir.default = doc.default;
  }
  if (doc.mode !== undefined) {
    if (acc.hasDefault && acc.ir.mode === "enforce" && doc.mode === "shadow") {
      ctx.error("WEAKENS_PARENT", "mode", "a child cannot put an enforcing parent policy in shadow mode", "roll out in shadow with rules marked `shadow: true` instead");
    } else acc.ir.mode = doc.mode;
  }
  acc.hasDefault = acc.hasDefault || doc.default !== undefined;
  // Higher priority tiers first; within a tier, declaration order (parents first) is kept.
  acc.ir.rules = acc.ir.rules.map((r, i) => ({ r, i })).sort((a, b) => b.r.tier - a.r.tier || a.i - b.i).map((x) => x.r);
  const classes = new Set(Object.values(acc.ir.tools));
  for (const rule of own) {
    for (const c of rule.match.classes ?? []) {
      if (!classes.has(c)) ctx.warn("UNKNOWN_TOOL_CLASS", joinPath(doc.rulePaths.get(rule.id) ?? "rules", "match.class"), `rule \`${rule.id}\` matches class \`${c}\`, which no declared tool has`);
    }
  }
  return acc;
}
