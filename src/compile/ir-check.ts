// Structural check of IR read from an artifact: anyone can recompute a hash, so content is checked, not trusted.
import { ACTION_KINDS, VERDICTS } from "../types.js";
import { fieldPathProblem, OPERATORS } from "../policy/conditions.js";
import type { ArgIR, CondIR } from "./ir.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";
const isStrList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const isScalar = (v: unknown): boolean => v === null || isStr(v) || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
const isInt = (v: unknown, min: number): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= min;

function argProblem(a: unknown, lists: Obj): string | undefined {
  if (!isObj(a)) return "operand is not an object";
  switch (a["kind"]) {
    case "none": case "null": return undefined;
    case "number": case "quantity": return isStr(a["text"]) ? undefined : "number/quantity operand without text";
    case "string": return isStr(a["value"]) ? undefined : "string operand without a string";
    case "bool": return typeof a["value"] === "boolean" ? undefined : "bool operand without a boolean";
    case "set": return Array.isArray(a["values"]) && a["values"].every(isScalar) ? undefined : "set operand with non-scalar values";
    case "list": return isStr(a["name"]) && Object.hasOwn(lists, a["name"]) ? undefined : `operand names undeclared list \`${String(a["name"])}\``;
    case "range": return argProblem(a["lo"], lists) ?? argProblem(a["hi"], lists);
    case "count": case "bytes": return isInt(a["value"], 0) || (typeof a["value"] === "number" && a["value"] >= 0) ? undefined : "size operand is not a number";
    case "scan": return isStrList(a["packs"]) && Array.isArray(a["patterns"]) && ["low", "medium", "high", "critical"].includes(a["minSeverity"] as string) ? undefined : "malformed scan operand";
    default: return `unknown operand kind \`${String(a["kind"])}\``;
  }
}

function condProblem(c: unknown, lists: Obj, depth: number): string | undefined {
  if (!isObj(c) || depth > 10_000) return "condition is not an object";
  if (Object.hasOwn(c, "all") || Object.hasOwn(c, "any")) {
    const parts = c["all"] ?? c["any"];
    if (!Array.isArray(parts) || parts.length === 0) return "empty all/any";
    for (const p of parts) {
      const e = condProblem(p, lists, depth + 1);
      if (e) return e;
    }
    return undefined;
  }
  if (Object.hasOwn(c, "not")) return condProblem(c["not"], lists, depth + 1);
  if (!isStr(c["field"]) || !isStr(c["op"]) || typeof c["ignoreCase"] !== "boolean") return "malformed condition leaf";
  const field = c["field"];
  if (fieldPathProblem(field)) return `leaf names impossible field \`${field}\``;
  if (!(OPERATORS as readonly string[]).includes(c["op"])) return `unknown operator \`${c["op"]}\``;
  return argProblem(c["arg"] as ArgIR, lists);
}

/** Why this value is not policy IR this Warden can execute, or undefined when it is. */
export function irProblem(ir: unknown): string | undefined {
  if (!isObj(ir)) return "policy is not an object";
  if (!isStr(ir["id"]) || !isStr(ir["version"])) return "policy id/version missing";
  if (ir["default"] !== "ALLOW" && ir["default"] !== "BLOCK") return `unknown default \`${String(ir["default"])}\``;
  if (ir["mode"] !== "enforce" && ir["mode"] !== "shadow") return `unknown mode \`${String(ir["mode"])}\``;
  const lists = ir["lists"];
  if (!isObj(lists) || !Object.values(lists).every((l) => Array.isArray(l) && l.every(isScalar))) return "malformed lists";
  if (!isObj(ir["tools"]) || !Object.values(ir["tools"]).every(isStr) || !isStrList(ir["sensitive"])) return "malformed tools or sensitive";
  if (!Array.isArray(ir["rules"])) return "rules is not a list";
  const ids = new Set<string>();
  for (const r of ir["rules"] as unknown[]) {
    if (!isObj(r) || !isStr(r["id"]) || ids.has(r["id"])) return "rule without a unique id";
    ids.add(r["id"]);
    const at = `rule \`${r["id"]}\`: `;
    if (!(VERDICTS as readonly string[]).includes(r["verdict"] as string)) return `${at}unknown verdict \`${String(r["verdict"])}\``;
    if (!isStr(r["code"]) || typeof r["shadow"] !== "boolean" || !isInt(r["tier"], -1000) || !isStr(r["from"])) return `${at}malformed code/shadow/priority`;
    if (r["message"] !== null && !isStr(r["message"])) return `${at}malformed message`;
    const m = r["match"];
    if (!isObj(m)) return `${at}malformed match`;
    for (const k of ["tools", "classes", "kinds"]) if (m[k] !== null && !isStrList(m[k])) return `${at}malformed match.${k}`;
    if (Array.isArray(m["kinds"]) && !m["kinds"].every((k) => (ACTION_KINDS as readonly string[]).includes(k as string))) return `${at}unknown action kind`;
    if (r["when"] !== null) {
      const e = condProblem(r["when"] as CondIR, lists, 0);
      if (e) return at + e;
    }
    const need = { THROTTLE: "throttle", SANDBOX: "sandbox", MODIFY: "modify", ESCALATE: "approval" }[r["verdict"] as string];
    for (const k of ["throttle", "sandbox", "modify", "approval"]) {
      if ((r[k] !== null) !== (k === need)) return `${at}\`${k}\` does not fit verdict ${String(r["verdict"])}`;
    }
    const t = r["throttle"];
    if (isObj(t) && (!["sliding", "calendar", "gcra"].includes(t["mode"] as string) || !isInt(t["limit"], 1) || !(typeof t["perMs"] === "number" && t["perMs"] > 0 && Number.isFinite(t["perMs"])) || !isStrList(t["key"]))) return `${at}malformed throttle`;
    if (r["modify"] !== null && !(Array.isArray(r["modify"]) && r["modify"].every((c) => isObj(c) && ["redact", "replace", "clamp", "redact_matches"].includes(c["op"] as string) && isStr(c["field"])))) return `${at}malformed modify`;
    const ap = r["approval"];
    if (isObj(ap) && (!isStr(ap["group"]) || ap["onTimeout"] !== "deny" || typeof ap["timeoutMs"] !== "number")) return `${at}malformed approval`;
  }
  return undefined;
}
