// Validates a whole policy document (id, version, default, mode, lists, tools, groups, rules).
import type { RuleIR, Scalar } from "../compile/ir.js";
import { unprotectableProblem } from "../compile/sensitive.js";
import { fieldPathProblem, readScalarList } from "./conditions.js";
import { describeType, isRecord, type ValidationContext } from "./context.js";
import { readRule } from "./rules.js";
import { joinPath } from "./source.js";

const POLICY_KEYS = ["id", "version", "description", "default", "mode", "extends", "lists", "tools", "sensitive", "groups", "use", "rules"];
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export interface PolicyDocument {
  id: string;
  version: string;
  default?: "ALLOW" | "BLOCK";
  mode?: "enforce" | "shadow";
  extends: string[];
  lists: Record<string, Scalar[]>;
  tools: Record<string, string>;
  sensitive: string[];
  groups: Record<string, RuleIR[]>;
  use: string[];
  rules: RuleIR[];
  /** Data path of each rule by id, for error positions during composition. */
  rulePaths: Map<string, string>;
}

/** Reads just `extends` so parents can be loaded before the child's conditions are checked. */
export function readExtends(ctx: ValidationContext, value: unknown): string[] {
  if (!isRecord(value) || value["extends"] === undefined) return [];
  const raw = value["extends"];
  const list = typeof raw === "string" ? [raw] : raw;
  if (!Array.isArray(list) || list.some((x) => typeof x !== "string" || x.length === 0)) {
    ctx.error("TYPE_MISMATCH", "extends", `\`extends\` must be a file path or a list of file paths, got ${describeType(raw)}`);
    return [];
  }
  return list as string[];
}

export function readPolicyDocument(ctx: ValidationContext, value: unknown, inheritedLists: Record<string, Scalar[]>): PolicyDocument | undefined {
  if (!isRecord(value)) {
    ctx.error("NOT_A_POLICY", "", `a policy must be a mapping with \`id\`, \`version\`, \`default\` and \`rules\`, got ${describeType(value)}`);
    return undefined;
  }
  ctx.checkKeys(value, "", POLICY_KEYS, "the policy");
  const id = value["id"];
  if (typeof id !== "string" || !ID_RE.test(id)) {
    ctx.error(id === undefined ? "MISSING_FIELD" : "INVALID_VALUE", "id", `policy \`id\` must be 1-128 letters, digits, \`_ . : -\`, got ${describeType(id)}`);
  }
  const version = value["version"];
  if (!(typeof version === "string" && version.length > 0) && !(typeof version === "number" && Number.isFinite(version))) {
    ctx.error(version === undefined ? "MISSING_FIELD" : "TYPE_MISMATCH", "version", `policy \`version\` must be a string or number, got ${describeType(version)}`, "e.g. `version: \"3\"`");
  }
  const doc: PolicyDocument = {
    id: typeof id === "string" ? id : "",
    version: typeof version === "number" ? (ctx.src.numberText.get("version") ?? String(version)) : typeof version === "string" ? version : "",
    extends: readExtends(ctx, value),
    lists: {},
    tools: {},
    sensitive: [],
    groups: {},
    use: [],
    rules: [],
    rulePaths: new Map(),
  };
  const dflt = value["default"];
  if (dflt !== undefined) {
    if (dflt === "ALLOW" || dflt === "BLOCK") doc.default = dflt;
    else ctx.error("INVALID_VALUE", "default", `\`default\` must be BLOCK or ALLOW, got ${describeType(dflt)}`, "the safe default is `default: BLOCK`");
  } else if (doc.extends.length === 0) {
    ctx.error("MISSING_FIELD", "", "policy has no `default` verdict for actions no rule allows", "add `default: BLOCK`");
  }
  const mode = value["mode"];
  if (mode !== undefined) {
    if (mode === "enforce" || mode === "shadow") doc.mode = mode;
    else ctx.error("INVALID_VALUE", "mode", `\`mode\` must be \`enforce\` or \`shadow\`, got ${describeType(mode)}`);
  }
  readLists(ctx, value["lists"], doc);
  readTools(ctx, value["tools"], doc);
  doc.sensitive = readSensitive(ctx, value["sensitive"]);
  doc.use = readStringList(ctx, value["use"], "use") ?? [];
  const scope = { lists: { ...inheritedLists, ...doc.lists } };
  const seen = new Map<string, string>();
  const addRules = (raw: unknown, path: string, into: RuleIR[]): void => {
    if (raw === undefined) return;
    if (!Array.isArray(raw)) {
      ctx.error("TYPE_MISMATCH", path, `\`${path}\` must be a list of rules, got ${describeType(raw)}`);
      return;
    }
    raw.forEach((r, i) => {
      const p = joinPath(path, i);
      const rule = readRule(ctx, r, p, scope, doc.id);
      // Checked on the id as written, so a duplicate is reported alongside the other errors of either rule.
      const id = isRecord(r) && typeof r["id"] === "string" ? r["id"] : undefined;
      const prev = id === undefined ? undefined : seen.get(id);
      if (prev !== undefined) {
        ctx.error("DUPLICATE_RULE_ID", joinPath(p, "id"), `rule id \`${String(id)}\` is already used at \`${prev}\``, "rule ids must be unique: they are the stable names in decisions and tests");
        return;
      }
      if (id !== undefined) seen.set(id, p);
      if (!rule) return;
      doc.rulePaths.set(rule.id, p);
      into.push(rule);
    });
  };
  addRules(value["rules"], "rules", doc.rules);
  const groups = value["groups"];
  if (groups !== undefined) {
    if (!isRecord(groups)) ctx.error("TYPE_MISMATCH", "groups", "`groups` must map group names to lists of rules");
    else {
      for (const name of Object.keys(groups)) {
        if (protoName(ctx, "group", joinPath("groups", name), name)) continue;
        const into: RuleIR[] = [];
        addRules(groups[name], joinPath("groups", name), into);
        doc.groups[name] = into;
      }
    }
  }
  return doc;
}

/**
 * `sensitive:` paths name action fields (`*` for any one key or index), but not those every record names in clear.
 */
function readSensitive(ctx: ValidationContext, raw: unknown): string[] {
  const list = readStringList(ctx, raw, "sensitive") ?? [];
  return list.filter((path, i) => {
    const at = joinPath("sensitive", i);
    const segs = path.split(".");
    const fail = (message: string): false => (ctx.error("UNKNOWN_FIELD_PATH", at, message, "write paths like `args.ssn` or `args.cards.*.number`"), false);
    if (segs.some((s) => s.includes("*") && s !== "*")) return fail(`sensitive field \`${path}\` has a partial glob: \`*\` must be a whole segment`);
    if (segs[0] === "*") return fail(`sensitive field \`${path}\` must start with an action field, not \`*\``);
    // The field rules with each `*` read as one concrete key; the problem is then reported for the path as written.
    const problem = fieldPathProblem(segs.map((s) => (s === "*" ? "any" : s)).join("."));
    if (problem) return fail(`sensitive ${problem.message.replace(/`[^`]*`/, `\`${path}\``)}`);
    const unprotectable = unprotectableProblem(path, segs);
    if (unprotectable) {
      ctx.error("INVALID_VALUE", at, unprotectable, "mark the fields inside `args`, `context`, `result` or `text` that hold the secret");
      return false;
    }
    return true;
  });
}

function readStringList(ctx: ValidationContext, raw: unknown, path: string): string[] | undefined {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.some((x) => typeof x !== "string")) {
    ctx.error("TYPE_MISMATCH", path, `\`${path}\` must be a list of strings, got ${describeType(raw)}`);
    return undefined;
  }
  return raw as string[];
}

/**
 * `__proto__` as a name: stored into a plain object it would set the prototype instead of adding an entry, so the
 * declaration vanished without a word (a `tools: { __proto__: exec }` policy then ALLOWed what its exec rule
 * blocks). Refused, with the way out.
 */
function protoName(ctx: ValidationContext, what: string, path: string, name: string): boolean {
  if (name !== "__proto__") return false;
  ctx.error("INVALID_VALUE", path, `\`__proto__\` cannot name a ${what} (it is JavaScript's prototype key, so the ${what} would be lost)`, `rename the ${what}`);
  return true;
}

function readLists(ctx: ValidationContext, raw: unknown, doc: PolicyDocument): void {
  if (raw === undefined) return;
  if (!isRecord(raw)) {
    ctx.error("TYPE_MISMATCH", "lists", `\`lists\` must map list names to lists of values, got ${describeType(raw)}`);
    return;
  }
  for (const name of Object.keys(raw)) {
    const items = raw[name];
    const p = joinPath("lists", name);
    if (protoName(ctx, "list", p, name)) continue;
    if (!Array.isArray(items)) {
      ctx.error("TYPE_MISMATCH", p, `list \`${name}\` must be a list of values, got ${describeType(items)}`);
      continue;
    }
    const values = readScalarList(ctx, items, p);
    if (values) doc.lists[name] = values;
  }
}

function readTools(ctx: ValidationContext, raw: unknown, doc: PolicyDocument): void {
  if (raw === undefined) return;
  if (!isRecord(raw)) {
    ctx.error("TYPE_MISMATCH", "tools", `\`tools\` must map tool names to classes (e.g. \`payments.send: write\`), got ${describeType(raw)}`);
    return;
  }
  for (const name of Object.keys(raw)) {
    const cls = raw[name];
    if (protoName(ctx, "tool", joinPath("tools", name), name)) continue;
    if (typeof cls !== "string" || cls.length === 0) {
      ctx.error("TYPE_MISMATCH", joinPath("tools", name), `tool \`${name}\` needs a class such as read, write, payment or exec, got ${describeType(cls)}`);
      continue;
    }
    if (name.includes("*") || name.includes("?")) {
      ctx.error("INVALID_VALUE", joinPath("tools", name), `declared tool \`${name}\` must be an exact name, not a glob`, "use a glob in a rule's `match.tool` instead");
      continue;
    }
    doc.tools[name] = cls;
  }
}
