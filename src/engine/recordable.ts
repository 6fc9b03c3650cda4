// A decision that is recorded must be about an action its record can hold: JSON data all the way down.
import type { Decision } from "../types.js";
import { jsonDataProblem } from "./action-check.js";
import { engineBlock } from "./decide.js";

/**
 * `d`, or an enforced BLOCK `INVALID_ACTION` when the action holds a value JSON cannot carry (a lone surrogate,
 * `1e400` read as Infinity, NaN, a class instance). The recorder stores the canonical JSON of the action
 * (RFC 8785); such an action is stored as `invalid` (not replayable), so the decision about it must be the
 * BLOCK that replay expects of invalid input, never an ALLOW nobody can check. Pure.
 */
export function recordable(action: unknown, d: Decision): Decision {
  if (d.verdict === "BLOCK" && d.enforced) return d;
  const problem = typeof action === "object" && action !== null ? jsonDataProblem(action) : undefined;
  if (problem === undefined) return d;
  return engineBlock(d.policy, "engine", "INVALID_ACTION", `malformed action: ${problem.message} (it could not be recorded as decided)`, problem.field || undefined);
}
