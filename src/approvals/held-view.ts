// What an approval request shows of a held action: a copy with the policy's sensitive fields masked. The
// approvals file is plain JSON on disk, read by every approver and by anyone who can read its folder; the signed
// record protects those fields (redacted or encrypted), so the approval store must not hold them in clear either.
import { SENSITIVE_MASK } from "../compile/sensitive.js";
import { locateField, type FieldLocation } from "../record/locate.js";
import type { Action, Decision } from "../types.js";
import type { ApprovalRequestV1 } from "./store.js";

export interface HeldView<T> {
  view: T;
  /** JSON pointers (from the view's root) of the values shown as `[sensitive]`, sorted. */
  masked: string[];
}

/** `view` is the held action as the approver sees it (`{tool, args, agent}`); `sensitive` is the policy's list (`args.ssn`). */
export function heldView<T>(view: T, sensitive: readonly string[]): HeldView<T> {
  if (sensitive.length === 0) return { view, masked: [] };
  const paths = sensitive.map((p) => p.split("."));
  // Most held actions carry no sensitive field: look before copying.
  const probe: FieldLocation[] = [];
  for (const segs of paths) locateField(view, segs, probe);
  if (probe.length === 0) return { view, masked: [] };
  // A JSON copy: the store writes the view as JSON anyway, and unlike structuredClone it does not throw on what
  // JSON leaves out (a callback among guard()'s arguments).
  const copy = JSON.parse(JSON.stringify(view)) as T;
  const hits: FieldLocation[] = [];
  for (const segs of paths) locateField(copy, segs, hits);
  const masked = new Set<string>();
  for (const [pointer, parent, key] of hits) {
    masked.add(pointer);
    (parent as Record<string | number, unknown>)[key] = SENSITIVE_MASK;
  }
  return { view: copy, masked: [...masked].sort() };
}

/** The approval request for a held call (what ApprovalStore.request() takes), with sensitive fields masked. */
export function heldRequest(
  d: Decision,
  reason: { rule: string; code: string; message: string },
  held: { tool: string; args: Record<string, unknown>; agent: Action["agent"] | undefined },
  sensitive: readonly string[],
): Omit<ApprovalRequestV1, "type" | "id" | "createdAt" | "expiresAt"> {
  const shown = heldView({ tool: held.tool, args: held.args, ...(held.agent ? { agent: held.agent } : {}) }, sensitive);
  return {
    group: d.obligations.approval?.group ?? "default",
    rule: reason.rule,
    code: reason.code,
    message: reason.message,
    action: shown.view,
    ...(shown.masked.length > 0 ? { masked: shown.masked } : {}),
    policy: d.policy.hash,
  };
}
