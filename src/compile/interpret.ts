// The plain interpreter: walks condition IR with no closures and no index (the reference for differential tests).
import { readField, type FieldValue } from "./fields.js";
import { isLeaf, type CondIR, type LeafIR, type Scalar } from "./ir.js";
import { E, evalLeaf, F, T, type Tri } from "./leaf.js";

export interface LeafTrace {
  leaf: LeafIR;
  value: FieldValue;
  result: Tri;
}

/** Evaluates a condition; when `out` is given, records every leaf it looked at, in order (for reasons and explain). */
export function evalCondition(c: CondIR, a: unknown, lists: Record<string, Scalar[]>, out?: LeafTrace[]): Tri {
  if (isLeaf(c)) {
    const value = readField(a, c.field);
    const result = evalLeaf(c, value, lists);
    out?.push({ leaf: c, value, result });
    return result;
  }
  if ("not" in c) {
    const r = evalCondition(c.not, a, lists, out);
    return r === E ? E : r === T ? F : T;
  }
  const all = "all" in c;
  const parts = all ? c.all : c.any;
  let res: Tri = all ? T : F;
  for (const p of parts) {
    const r = evalCondition(p, a, lists, out);
    if (all && r === F) return F;
    if (!all && r === T) return T;
    if (r === E) res = E;
  }
  return res;
}
