// Validates `when` conditions (all / any / not / leaf operators) into condition IR.
import type { ArgIR, CondIR, LeafIR, Op, Scalar, ScanArgIR } from "../compile/ir.js";
import { compileScanArg } from "../compile/scan-leaf.js";
import { parseRegex } from "../scan/parse.js";
import { lengthRange } from "../scan/ast.js";
import { compareDecimal, doubleIsExact, formatDecimal, parseDecimal } from "../compile/decimal.js";
import { compareQuantity, parseQuantity, quantityText, toBaseNumber } from "../compile/units.js";
import { describeType, isRecord, type ValidationContext } from "./context.js";
import { joinPath } from "./source.js";
import { safeEcho } from "../compile/fields.js";

export const OPERATORS: readonly Op[] = [
  "eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "between", "exists", "missing",
  "contains", "includes", "starts_with", "ends_with", "longer_than", "shorter_than", "larger_than", "smaller_than",
  "matches", "scan",
];
const SCAN_OPS: readonly Op[] = ["matches", "scan"];
const SEVERITIES = ["low", "medium", "high", "critical"] as const;
const STRING_OPS: readonly Op[] = ["eq", "ne", "in", "not_in", "contains", "includes", "starts_with", "ends_with"];
const LEAF_KEYS = ["field", "ignore_case", ...OPERATORS];
const COMBINATORS = ["all", "any", "not"];

/** Action fields a condition may name; `*` means any sub-path is allowed. */
const FIELD_ROOTS: Record<string, "leaf" | "tree" | "agent"> = {
  kind: "leaf", at: "leaf", tool: "leaf", text: "leaf", model: "leaf",
  agent: "agent", args: "tree", context: "tree", result: "tree",
};

export interface ConditionScope {
  lists: Record<string, Scalar[]>;
}

/** Why `field` cannot name an action field, or undefined when it can. */
export function fieldPathProblem(field: string): { message: string; help?: string } | undefined {
  const segs = field.split(".");
  const root = segs[0] as string;
  const kind = FIELD_ROOTS[root];
  if (field.length === 0 || segs.some((s) => s.length === 0)) return { message: `field \`${field}\` has an empty segment`, help: "write paths like `args.amount`" };
  if (segs.some((s) => s.includes("*"))) return { message: `field \`${field}\` uses a glob; globs are only allowed in scan conditions` };
  if (kind === undefined) return { message: `field \`${field}\` does not start with an action field`, help: `action fields: ${Object.keys(FIELD_ROOTS).join(", ")}` };
  if (kind === "leaf" && segs.length > 1) return { message: `field \`${root}\` is a string; \`${field}\` cannot exist` };
  if (kind === "agent") {
    const sub = segs[1];
    const ok = segs.length === 1 || ((sub === "id" || sub === "role") && segs.length === 2) || (sub === "labels" && segs.length <= 3);
    if (!ok) return { message: `field \`${field}\` is not an agent field`, help: "agent fields: agent.id, agent.role, agent.labels.<name>" };
  }
  return undefined;
}

/** Checks a field path such as `args.counterparty`; reports and returns false when impossible. */
export function checkFieldPath(ctx: ValidationContext, field: unknown, path: string): field is string {
  if (typeof field !== "string") {
    ctx.error("TYPE_MISMATCH", path, `field must be a dotted path such as \`args.amount\`, got ${describeType(field)}`);
    return false;
  }
  const problem = fieldPathProblem(field);
  if (problem) ctx.error("UNKNOWN_FIELD_PATH", path, problem.message, problem.help);
  return problem === undefined;
}

export function readCondition(ctx: ValidationContext, v: unknown, path: string, scope: ConditionScope): CondIR | undefined {
  if (!isRecord(v)) {
    ctx.error("TYPE_MISMATCH", path, `a condition must be a mapping (\`all\`, \`any\`, \`not\` or \`field\` + operator), got ${describeType(v)}`);
    return undefined;
  }
  const keys = Object.keys(v);
  const combinators = keys.filter((k) => COMBINATORS.includes(k));
  if (combinators.length > 0) {
    if (keys.length > 1) {
      ctx.error("AMBIGUOUS_CONDITION", path, `a condition with \`${combinators[0]}\` must have no other keys (found ${keys.map((k) => `\`${k}\``).join(", ")})`, "nest the other parts inside `all`");
      return undefined;
    }
    const key = combinators[0] as "all" | "any" | "not";
    const inner = v[key];
    const p = joinPath(path, key);
    if (key === "not") {
      const c = readCondition(ctx, inner, p, scope);
      return c && { not: c };
    }
    if (!Array.isArray(inner)) {
      ctx.error("TYPE_MISMATCH", p, `\`${key}\` takes a list of conditions, got ${describeType(inner)}`);
      return undefined;
    }
    if (inner.length === 0) {
      ctx.error("EMPTY_CONDITION", p, `\`${key}\` has no conditions`, key === "all" ? "an empty `all` would match everything; remove `when` instead" : "an empty `any` can never match; remove the rule or add conditions");
      return undefined;
    }
    const items = inner.map((c, i) => readCondition(ctx, c, joinPath(p, i), scope));
    if (items.some((c) => c === undefined)) return undefined;
    return key === "all" ? { all: items as CondIR[] } : { any: items as CondIR[] };
  }
  return readLeaf(ctx, v, path, scope);
}

function readLeaf(ctx: ValidationContext, v: Record<string, unknown>, path: string, scope: ConditionScope): LeafIR | undefined {
  const unknown = Object.keys(v).filter((k) => !LEAF_KEYS.includes(k));
  if (unknown.length > 0) {
    for (const k of unknown) {
      ctx.error("UNKNOWN_OPERATOR", joinPath(path, k), `unknown operator \`${k}\``, `operators: ${OPERATORS.join(", ")}; combinators: all, any, not`, true);
    }
    return undefined;
  }
  const ops = OPERATORS.filter((o) => Object.hasOwn(v, o));
  if (!Object.hasOwn(v, "field")) {
    ctx.error("EMPTY_CONDITION", path, "condition has no `field`", "write e.g. `{ field: args.amount, gt: 10000 }`");
    return undefined;
  }
  if (ops.length === 0) {
    ctx.error("EMPTY_CONDITION", path, `condition on \`${String(v["field"])}\` has no operator`, `operators: ${OPERATORS.join(", ")}`);
    return undefined;
  }
  if (ops.length > 1) {
    ctx.error("AMBIGUOUS_CONDITION", path, `condition has several operators (${ops.map((o) => `\`${o}\``).join(", ")})`, "use `all` with one condition per operator");
    return undefined;
  }
  const op = ops[0] as Op;
  // Scan conditions may name a subtree with a trailing glob (`args.*`, `result.**`): every string below it is scanned.
  let field = v["field"];
  if (SCAN_OPS.includes(op) && typeof field === "string") field = field.replace(/\.\*\*?$/, "");
  if (!checkFieldPath(ctx, field, joinPath(path, "field"))) return undefined;
  const ignoreCase = v["ignore_case"] ?? false;
  if (typeof ignoreCase !== "boolean") {
    ctx.error("TYPE_MISMATCH", joinPath(path, "ignore_case"), `\`ignore_case\` must be true or false, got ${describeType(ignoreCase)}`);
    return undefined;
  }
  if (ignoreCase && !STRING_OPS.includes(op) && op !== "matches") {
    ctx.error("INVALID_VALUE", joinPath(path, "ignore_case"), `\`ignore_case\` does not apply to \`${op}\``, `it applies to ${STRING_OPS.join(", ")}`);
    return undefined;
  }
  const arg = readOperand(ctx, op, v[op], joinPath(path, op), scope);
  if (!arg) return undefined;
  if (ignoreCase && op !== "matches" && !stringish(arg, scope)) {
    ctx.error("TYPE_MISMATCH", joinPath(path, op), `\`ignore_case\` needs string operands for \`${op}\``);
    return undefined;
  }
  if (arg.kind === "scan") {
    if (ignoreCase) arg.patterns = arg.patterns.map((p) => ({ ...p, caseInsensitive: true }));
    const compiled = compileScanArg(arg, ctx.src.file);
    if (!compiled.ok) {
      for (const d of compiled.diagnostics.filter((x) => x.severity === "error")) {
        const help = d.help ?? "the scanner supports an RE2-like subset without backreferences or lookaround (src/scan/README.md)";
        // the scanner names the pattern by its internal id (`matches[0]`): say which pattern, and point at the construct
        const m = op === "matches" ? /^pattern `(?:[^`]*\.)?matches\[(\d+)\]`: ([\s\S]*)$/.exec(d.message) : null;
        const pattern = m ? arg.patterns[Number(m[1])]?.pattern : undefined;
        if (m && pattern !== undefined) {
          const at = Array.isArray(v[op]) ? joinPath(joinPath(path, op), Number(m[1])) : joinPath(path, op);
          const inner = d.span?.line === 1 ? d.span.col - 1 : null;
          ctx.errorInScalar("INVALID_REGEX", at, pattern, inner, `\`matches\` pattern \`${safeEcho(pattern, 80)}\` cannot be compiled to an automaton: ${m[2] ?? ""}`, help);
        } else ctx.error("INVALID_REGEX", joinPath(path, op), `${op === "matches" ? "pattern" : "scan"} cannot be compiled to an automaton: ${d.message}`, help);
      }
      return undefined;
    }
    for (const p of arg.patterns) {
      // The scanner never reports an empty match, so `^\s*$` does not fire on "" (a blank field slips by).
      const parsed = parseRegex(p.pattern, { caseInsensitive: p.caseInsensitive });
      if (parsed.ok && lengthRange(parsed.node)[0] === 0) {
        ctx.warn("EMPTY_MATCH_PATTERN", joinPath(path, op), `pattern \`${p.pattern}\` can match the empty string, and an empty match is never reported: empty text does not fire this condition`, "to catch empty or blank text add `{ field: …, shorter_than: 1 }` (or `matches: \"^\\\\s+$\"` for blank), or make part of the pattern required");
      }
    }
  }
  return { field, op, arg, ignoreCase };
}

function stringish(arg: ArgIR, scope: ConditionScope): boolean {
  if (arg.kind === "string") return true;
  if (arg.kind === "set") return arg.values.every((x) => typeof x === "string");
  if (arg.kind === "list") return (scope.lists[arg.name] ?? []).every((x) => typeof x === "string");
  return false;
}

function readOperand(ctx: ValidationContext, op: Op, raw: unknown, path: string, scope: ConditionScope): ArgIR | undefined {
  switch (op) {
    case "exists":
    case "missing":
      if (raw !== true) {
        ctx.error("INVALID_VALUE", path, `\`${op}\` takes \`true\`, got ${describeType(raw)}`, op === "exists" ? "for the opposite use `missing: true`" : "for the opposite use `exists: true`");
        return undefined;
      }
      return { kind: "none" };
    case "eq":
    case "ne":
    case "contains":
    case "includes":
      return readScalar(ctx, raw, path, op);
    case "starts_with":
    case "ends_with":
      if (typeof raw !== "string") {
        ctx.error("TYPE_MISMATCH", path, `\`${op}\` takes a string, got ${describeType(raw)}`);
        return undefined;
      }
      return { kind: "string", value: raw };
    case "in":
    case "not_in":
      return readSet(ctx, raw, path, op, scope);
    case "lt":
    case "lte":
    case "gt":
    case "gte":
      return readOrdered(ctx, raw, path, op);
    case "between": {
      if (!Array.isArray(raw) || raw.length !== 2) {
        ctx.error("TYPE_MISMATCH", path, `\`between\` takes a list of two bounds \`[low, high]\`, got ${describeType(raw)}`);
        return undefined;
      }
      const lo = readOrdered(ctx, raw[0], joinPath(path, 0), op);
      const hi = readOrdered(ctx, raw[1], joinPath(path, 1), op);
      if (!lo || !hi) return undefined;
      if (lo.kind !== hi.kind) {
        ctx.error("UNIT_MISMATCH", path, "`between` bounds must both be numbers or both quantities");
        return undefined;
      }
      if (lo.kind === "quantity" && hi.kind === "quantity") {
        const a = parseQuantity(lo.text);
        const b = parseQuantity(hi.text);
        const cmp = a.ok && b.ok ? compareQuantity(a.quantity, b.quantity) : undefined;
        if (cmp === undefined) {
          ctx.error("UNIT_MISMATCH", path, `\`between\` bounds \`${lo.text}\` and \`${hi.text}\` have incompatible units`);
          return undefined;
        }
        if (cmp > 0) ctx.error("INVALID_VALUE", path, `\`between\` low bound \`${lo.text}\` is above high bound \`${hi.text}\``);
      }
      if (lo.kind === "number" && hi.kind === "number") {
        const a = parseDecimal(lo.text);
        const b = parseDecimal(hi.text);
        // a range with its bounds reversed holds for no value: the rule could never fire
        if (a && b && compareDecimal(a, b) > 0) ctx.error("INVALID_VALUE", path, `\`between\` low bound \`${lo.text}\` is above high bound \`${hi.text}\``, "write `[low, high]`; no value lies in a reversed range, so the rule would never fire");
      }
      return { kind: "range", lo, hi };
    }
    case "matches":
    case "scan":
      return readScan(ctx, op, raw, path);
    case "longer_than":
    case "shorter_than":
      if (typeof raw !== "number" || !Number.isSafeInteger(raw) || raw < 0) {
        ctx.error("TYPE_MISMATCH", path, `\`${op}\` takes a non-negative whole number (characters or items), got ${describeType(raw)}`);
        return undefined;
      }
      return { kind: "count", value: raw };
    case "larger_than":
    case "smaller_than": {
      if (typeof raw === "number" && Number.isSafeInteger(raw) && raw >= 0) return { kind: "bytes", value: raw };
      const q = parseQuantity(raw);
      if (q.ok && q.quantity.unit.dimension === "size") {
        const bytes = toBaseNumber(q.quantity);
        if (Number.isSafeInteger(Math.ceil(bytes)) && bytes >= 0) return { kind: "bytes", value: bytes };
      }
      ctx.error("TYPE_MISMATCH", path, `\`${op}\` takes a size such as \`10 kB\` or a number of bytes, got ${describeType(raw)}`, "units: B, kB, MB, GB, KiB, MiB, GiB");
      return undefined;
    }
  }
}

function readScan(ctx: ValidationContext, op: Op, raw: unknown, path: string): ArgIR | undefined {
  if (op === "matches") {
    const list = typeof raw === "string" ? [raw] : raw;
    if (Array.isArray(list) && list.length > 0 && list.every((x) => typeof x === "string") && list.some((x) => x === "")) {
      ctx.error("INVALID_VALUE", path, "`matches` has an empty pattern, which would match nothing the scanner reports", "remove it, or write the text it should find");
      return undefined;
    }
    if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== "string" || x.length === 0)) {
      ctx.error("TYPE_MISMATCH", path, `\`matches\` takes a regular expression or a list of them, got ${describeType(raw)}`);
      return undefined;
    }
    return { kind: "scan", packs: [], minSeverity: "low", patterns: (list as string[]).map((pattern, i) => ({ id: `matches[${i}]`, pattern, caseInsensitive: false })) };
  }
  const spec = typeof raw === "string" || Array.isArray(raw) ? { packs: raw } : raw;
  if (!isRecord(spec)) {
    ctx.error("TYPE_MISMATCH", path, `\`scan\` takes a pack name, a list of packs, or \`{ packs, min_severity }\`, got ${describeType(raw)}`);
    return undefined;
  }
  ctx.checkKeys(spec, path, ["packs", "min_severity"], "scan");
  const packsRaw = spec["packs"];
  const packs = typeof packsRaw === "string" ? [packsRaw] : packsRaw;
  const known = ["injection", "secrets", "pii", "shell"];
  if (!Array.isArray(packs) || packs.length === 0 || packs.some((p) => typeof p !== "string" || (!known.includes(p) && p !== "all"))) {
    ctx.error("INVALID_VALUE", path, `\`scan\` packs must be among ${known.join(", ")} or \`all\`, got ${describeType(packsRaw)}`);
    return undefined;
  }
  const min = spec["min_severity"] ?? "low";
  if (!(SEVERITIES as readonly unknown[]).includes(min)) {
    ctx.error("INVALID_VALUE", joinPath(path, "min_severity"), `\`min_severity\` must be one of ${SEVERITIES.join(", ")}, got ${describeType(min)}`);
    return undefined;
  }
  const names = (packs as string[]).includes("all") ? known : [...new Set(packs as string[])].sort();
  return { kind: "scan", packs: names, minSeverity: min as ScanArgIR["minSeverity"], patterns: [] };
}

function readScalar(ctx: ValidationContext, raw: unknown, path: string, op: Op): ArgIR | undefined {
  if (typeof raw === "string") return { kind: "string", value: raw };
  if (typeof raw === "boolean") return { kind: "bool", value: raw };
  if (raw === null) return { kind: "null" };
  if (typeof raw === "number") return readNumber(ctx, raw, path);
  if (isRecord(raw) && (Object.hasOwn(raw, "quantity") || Object.hasOwn(raw, "decimal"))) return readOrdered(ctx, raw, path, op);
  ctx.error("TYPE_MISMATCH", path, `\`${op}\` takes a string, number, boolean or null, got ${describeType(raw)}`, "for quantities write `{ quantity: \"0.75 mg/m2\" }`");
  return undefined;
}

function readNumber(ctx: ValidationContext, raw: number, path: string): ArgIR | undefined {
  if (!ctx.checkNumber(raw, path)) return undefined;
  const text = ctx.src.numberText.get(path) ?? String(raw);
  const exact = parseDecimal(text);
  if (exact && !doubleIsExact(exact)) {
    ctx.error("LOSSY_NUMBER", path, `number \`${text}\` cannot be held exactly by a double`, `quote it (\`"${text}"\`) to compare it as an exact decimal`);
    return undefined;
  }
  // The canonical spelling (`10000.10`, `1.00001e4` → `10000.1`): how a number is written is formatting, and the
  // policy hash must not depend on it (YAML and JSON write numbers differently).
  return { kind: "number", text: exact ? formatDecimal(exact) : String(raw) };
}

function readOrdered(ctx: ValidationContext, raw: unknown, path: string, op: Op): ArgIR | undefined {
  if (typeof raw === "number") return readNumber(ctx, raw, path);
  let text: unknown = raw;
  if (isRecord(raw)) {
    const keys = Object.keys(raw);
    if (keys.length === 1 && (keys[0] === "quantity" || keys[0] === "decimal")) text = raw[keys[0]];
    else if (keys.length === 2 && Object.hasOwn(raw, "value") && Object.hasOwn(raw, "unit")) text = `${String(raw["value"])} ${String(raw["unit"])}`;
  }
  if (typeof text === "string") {
    const d = parseDecimal(text.trim());
    if (d) return { kind: "number", text: text.trim() };
    const q = parseQuantity(text);
    if (q.ok) return { kind: "quantity", text: quantityText(q.quantity) };
    if (!q.ok && q.problem === "unknown-unit") {
      if (/^\d[\d_]*_\d/.test(text)) ctx.error("UNKNOWN_UNIT", path, `\`${text}\` is not a number: digit separators (\`_\`) are not allowed`, `write \`${text.replace(/_/g, "")}\``);
      else ctx.error("UNKNOWN_UNIT", path, `unknown unit \`${q.unit ?? ""}\` in \`${text}\``, "known units include mg, mcg, g, kg, mg/m2, mL, L, ms, s, min, h, d, B, kB, MB, KiB, MiB and 3-letter currency codes");
      return undefined;
    }
  }
  ctx.error("TYPE_MISMATCH", path, `\`${op}\` compares numbers or quantities, got ${describeType(raw)}`, "write a number (`10000`), an exact decimal (`\"10000.00\"`) or a quantity (`\"0.75 mg/m2\"`, `\"1h\"`, `\"10 kB\"`)");
  return undefined;
}

function readSet(ctx: ValidationContext, raw: unknown, path: string, op: Op, scope: ConditionScope): ArgIR | undefined {
  if (isRecord(raw) && Object.keys(raw).length === 1 && Object.hasOwn(raw, "list")) {
    const name = raw["list"];
    if (typeof name !== "string" || !Object.hasOwn(scope.lists, name)) {
      const known = Object.keys(scope.lists);
      ctx.error("UNKNOWN_LIST", joinPath(path, "list"), `list \`${String(name)}\` is not declared`, known.length ? `declared lists: ${known.join(", ")}` : "declare it under `lists:`");
      return undefined;
    }
    return { kind: "list", name };
  }
  if (!Array.isArray(raw)) {
    ctx.error("TYPE_MISMATCH", path, `\`${op}\` takes a list of values or \`{ list: name }\`, got ${describeType(raw)}`);
    return undefined;
  }
  const values = readScalarList(ctx, raw, path);
  return values && { kind: "set", values };
}

/** A list of scalars (strings, finite numbers, booleans, null), as in `lists:` and inline `in:`. */
export function readScalarList(ctx: ValidationContext, raw: unknown[], path: string): Scalar[] | undefined {
  let ok = true;
  for (let i = 0; i < raw.length; i++) {
    const x = raw[i];
    const p = joinPath(path, i);
    if (typeof x === "number") ok = ctx.checkNumber(x, p) && ok;
    else if (!(typeof x === "string" || typeof x === "boolean" || x === null)) {
      ctx.error("TYPE_MISMATCH", p, `list items must be strings, numbers, booleans or null, got ${describeType(x)}`);
      ok = false;
    }
  }
  return ok ? (raw as Scalar[]) : undefined;
}
