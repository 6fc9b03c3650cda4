// RFC 6901 JSON pointers over plain JSON data: escaping a key, and finding the parent of the value a pointer names.

export const escapePointer = (s: string): string => s.replace(/~/g, "~0").replace(/\//g, "~1");

/** The container and key a pointer names (the key may be absent from it), or null when the path does not exist. */
export function resolvePointer(root: unknown, ptr: string): [Record<string | number, unknown>, string] | null {
  const segs = ptr.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  let cur: unknown = root;
  for (let i = 0; i < segs.length - 1; i++) {
    if (cur === null || typeof cur !== "object") return null;
    cur = (cur as Record<string, unknown>)[segs[i] as string];
  }
  if (cur === null || typeof cur !== "object" || segs.length === 0) return null;
  return [cur as Record<string | number, unknown>, segs[segs.length - 1] as string];
}
