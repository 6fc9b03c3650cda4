// Finds where a dotted field path (`args.cards.*.number`, `*` = any key or index) lands inside a JSON value. Pure.
import { escapePointer } from "./pointer.js";

/** One concrete location: its JSON pointer, the object or array holding it, and its key there. */
export type FieldLocation = [pointer: string, parent: Record<string, unknown> | unknown[], key: string | number];

/** Appends every concrete location of `segs` in `value` (own keys only: a path never reaches the prototype). */
export function locateField(value: unknown, segs: readonly string[], out: FieldLocation[], at = 0, pointer = ""): void {
  if (value === null || typeof value !== "object") return;
  const seg = segs[at] as string;
  const last = at === segs.length - 1;
  const visit = (key: string | number, child: unknown): void => {
    const ptr = `${pointer}/${escapePointer(String(key))}`;
    if (last) out.push([ptr, value as Record<string, unknown>, key]);
    else locateField(child, segs, out, at + 1, ptr);
  };
  if (Array.isArray(value)) {
    if (seg === "*") value.forEach((c, i) => visit(i, c));
    else if (/^\d+$/.test(seg) && Number(seg) < value.length) visit(Number(seg), value[Number(seg)]);
  } else {
    const obj = value as Record<string, unknown>;
    if (seg === "*") for (const k of Object.keys(obj)) visit(k, obj[k]);
    else if (Object.prototype.hasOwnProperty.call(obj, seg)) visit(seg, obj[seg]);
  }
}
