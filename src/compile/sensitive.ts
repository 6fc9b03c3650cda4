// Which field paths a policy's `sensitive:` list covers, so messages never echo a sensitive value. Pure.
import type { PolicyIR } from "./ir.js";

/** What a message shows in place of a sensitive value. */
export const SENSITIVE_MASK = "[sensitive]";

/**
 * Fields that cannot be sensitive: every record names the action's kind, time, tool and agent in clear (that is what
 * an audit is about), and a role decides who may do what.
 */
export const UNPROTECTABLE_FIELDS: ReadonlyArray<readonly string[]> = [["kind"], ["at"], ["tool"], ["agent", "id"], ["agent", "role"]];

/** Why a sensitive path (split on `.`) cannot be protected, or undefined. */
export function unprotectableProblem(path: string, segs: readonly string[]): string | undefined {
  return UNPROTECTABLE_FIELDS.some((u) => pathsOverlap(u, segs)) ? `\`${path}\` cannot be sensitive: every record names the action's kind, time, tool and agent (and role) in clear` : undefined;
}

/** Tells whether a field path (`args.ssn`, `args`) can read a sensitive value. */
export type SensitiveTest = (path: string) => boolean;

const NONE: SensitiveTest = () => false;

/**
 * Two paths overlap when one is a prefix of the other, segment by segment, with `*` matching any one segment.
 * A path inside a sensitive field reads (part of) it; a path above it reads an object that holds it. Both count:
 * a message may show a quantity object's contents, and the cost of a masked message is nothing.
 */
export function pathsOverlap(a: readonly string[], b: readonly string[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x !== y && x !== "*" && y !== "*") return false;
  }
  return true;
}

/** A test for the given sensitive paths (dotted, `*` for any one segment). */
export function sensitiveTest(paths: readonly string[]): SensitiveTest {
  if (paths.length === 0) return NONE;
  const split = paths.map((p) => p.split("."));
  const memo = new Map<string, boolean>();
  return (path) => {
    let hit = memo.get(path);
    if (hit === undefined) {
      const segs = path.split(".");
      hit = split.some((s) => pathsOverlap(s, segs));
      memo.set(path, hit);
    }
    return hit;
  };
}

const byPolicy = new WeakMap<PolicyIR, SensitiveTest>();

/** The test for a policy's own `sensitive:` list, built once per policy. */
export function sensitiveOf(policy: PolicyIR): SensitiveTest {
  let t = byPolicy.get(policy);
  if (t === undefined) byPolicy.set(policy, (t = sensitiveTest(policy.sensitive)));
  return t;
}
