// Checks a policy test case before it runs: a case that cannot fail (an empty or ill-typed expectation, a step
// whose timing cannot be read) is an error, never a pass.
import { parseDurationMs } from "../compile/units.js";
import { VERDICTS } from "../types.js";

type Check = (v: unknown) => string | null;

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const verdict: Check = (v) => (typeof v === "string" && (VERDICTS as readonly string[]).includes(v) ? null : `must be one of ${VERDICTS.join(", ")}`);
const text: Check = (v) => (typeof v === "string" && v.length > 0 ? null : "must be a non-empty string");
const strings = (minLength: number): Check => (v) =>
  Array.isArray(v) && v.length >= minLength && v.every((x) => typeof x === "string" && x.length > 0) ? null : minLength > 0 ? "must be a non-empty list of names" : "must be a list of names";
const mapping: Check = (v) => (isMapping(v) && Object.keys(v).length > 0 ? null : "must be a non-empty mapping");
const sandbox: Check = (v) => {
  if (!isMapping(v) || Object.keys(v).length === 0) return "must name at least one of filesystemDeny, networkDeny, filesystemAllow";
  for (const [k, list] of Object.entries(v)) {
    if (!["filesystemDeny", "networkDeny", "filesystemAllow"].includes(k)) return `takes filesystemDeny, networkDeny, filesystemAllow, not \`${k}\``;
    if (strings(1)(list) !== null) return `.${k} must be a non-empty list of paths or hosts`;
  }
  return null;
};

/** What each expectation key accepts: anything that would assert nothing (`codes: []`, `message: ""`) is refused. */
const EXPECTATION_CHECKS: Record<string, Check> = {
  verdict,
  rules: strings(0),
  codes: strings(1),
  shadow: strings(0),
  shadowVerdict: verdict,
  enforced: (v) => (typeof v === "boolean" ? null : "must be true or false"),
  retryAfterMs: (v) => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? null : "must be a whole number of milliseconds"),
  field: text,
  message: text,
  modified: mapping,
  approvalGroup: text,
  sandbox,
  decision: mapping,
};

/** The problem with case `c` (#`n`), or null. `c.expect` is known to be a mapping of known keys. */
export function caseProblem(c: { name: string; expect: Record<string, unknown>; before?: unknown }, n: number): string | null {
  const where = `case #${n} (\`${c.name}\`)`;
  for (const [k, v] of Object.entries(c.expect)) {
    const why = EXPECTATION_CHECKS[k]?.(v) ?? null;
    if (why !== null) return `${where}: \`expect.${k}\` ${why}, got ${JSON.stringify(v) ?? String(v)}; an expectation that asserts nothing would pass whatever the policy does`;
  }
  if (c.before === undefined) return null;
  if (!Array.isArray(c.before)) return `${where}: \`before\` must be a list of steps ({action, repeat, every})`;
  for (let i = 0; i < c.before.length; i++) {
    const step = c.before[i] as unknown;
    const at = `${where}: \`before[${i}]\``;
    if (!isMapping(step) || step["action"] === undefined) return `${at} needs an \`action\``;
    const extra = Object.keys(step).filter((k) => !["action", "repeat", "every"].includes(k));
    if (extra.length > 0) return `${at}: unknown key ${extra.map((k) => `\`${k}\``).join(", ")}; a step takes action, repeat, every`;
    const repeat = step["repeat"];
    if (repeat !== undefined && !(typeof repeat === "number" && Number.isSafeInteger(repeat) && repeat >= 1)) return `${at}.repeat must be a whole number >= 1, got ${JSON.stringify(repeat)}`;
    const every = step["every"];
    if (every !== undefined && (typeof every !== "string" || parseDurationMs(every) === undefined)) {
      return `${at}.every must be a duration such as \`1min\`, \`30s\` or \`1h\`, got ${JSON.stringify(every)} (units: ms, s, min, h, d, w)`;
    }
  }
  return null;
}
