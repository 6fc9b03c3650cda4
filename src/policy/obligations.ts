// Validates the obligation blocks a verdict carries: throttle, sandbox, modify, approval.
import type { ApprovalIR, ThrottleIR } from "../compile/ir.js";
import { parseDurationMs } from "../compile/units.js";
import type { ModifyChange, SandboxProfile } from "../types.js";
import { checkFieldPath } from "./conditions.js";
import { describeType, isRecord, type ValidationContext } from "./context.js";
import { joinPath } from "./source.js";

function readDuration(ctx: ValidationContext, raw: unknown, path: string): number | undefined {
  const ms = parseDurationMs(raw);
  if (ms === undefined) ctx.error("INVALID_DURATION", path, `expected a positive duration such as \`1h\`, \`30s\`, \`15m\`-style \`15min\`, got ${describeType(raw)}`, "units: ms, s, min, h, d, w");
  return ms;
}

function readStrings(ctx: ValidationContext, raw: unknown, path: string): string[] | undefined {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.some((x) => typeof x !== "string")) {
    ctx.error("TYPE_MISMATCH", path, `expected a list of strings, got ${describeType(raw)}`);
    return undefined;
  }
  return raw as string[];
}

export function readThrottle(ctx: ValidationContext, raw: unknown, path: string): ThrottleIR | undefined {
  if (!isRecord(raw)) {
    ctx.error("TYPE_MISMATCH", path, `\`throttle\` must be a mapping like \`{ limit: 600, per: 1h, key: [agent.id] }\`, got ${describeType(raw)}`);
    return undefined;
  }
  ctx.checkKeys(raw, path, ["limit", "per", "key", "window", "burst"], "throttle");
  const limit = raw["limit"];
  if (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < 1) {
    ctx.error("INVALID_VALUE", joinPath(path, "limit"), `\`limit\` must be a whole number of calls >= 1, got ${describeType(limit)}`);
    return undefined;
  }
  const per = raw["per"];
  const perMs = readDuration(ctx, per, joinPath(path, "per"));
  const mode = raw["window"] ?? "sliding";
  if (mode !== "sliding" && mode !== "calendar" && mode !== "gcra") {
    ctx.error("INVALID_VALUE", joinPath(path, "window"), `\`window\` must be \`sliding\`, \`calendar\` or \`gcra\`, got ${describeType(mode)}`, "sliding: at most `limit` calls in any window of length `per`; calendar: per aligned UTC window; gcra: a smooth rate with `burst`");
    return undefined;
  }
  const burst = raw["burst"] ?? (mode === "gcra" ? 1 : 0);
  if (raw["burst"] !== undefined && mode !== "gcra") {
    ctx.error("INVALID_VALUE", joinPath(path, "burst"), "`burst` only applies to `window: gcra`");
    return undefined;
  }
  if (typeof burst !== "number" || !Number.isSafeInteger(burst) || burst < (mode === "gcra" ? 1 : 0)) {
    ctx.error("INVALID_VALUE", joinPath(path, "burst"), `\`burst\` must be a whole number >= 1, got ${describeType(burst)}`);
    return undefined;
  }
  if (mode === "calendar" && perMs !== undefined && 86_400_000 % perMs !== 0 && perMs % 86_400_000 !== 0) {
    ctx.error("INVALID_VALUE", joinPath(path, "per"), `a calendar window of \`${String(per)}\` does not align with UTC days`, "use a window that divides a day (1min, 1h, 6h, ...) or whole days");
    return undefined;
  }
  const key = readStrings(ctx, raw["key"] ?? ["agent.id"], joinPath(path, "key"));
  if (!key || perMs === undefined) return undefined;
  if (!key.every((k, i) => checkFieldPath(ctx, k, joinPath(joinPath(path, "key"), i)))) return undefined;
  return { mode, limit, per: String(per), perMs, burst: mode === "gcra" ? Math.max(1, burst) : 0, key };
}

export function readSandbox(ctx: ValidationContext, raw: unknown, path: string): SandboxProfile | undefined {
  if (!isRecord(raw)) {
    ctx.error("TYPE_MISMATCH", path, `\`sandbox\` must be a mapping with \`filesystem\`, \`network\`, \`env\`, got ${describeType(raw)}`);
    return undefined;
  }
  ctx.checkKeys(raw, path, ["filesystem", "network", "env"], "sandbox");
  const part = (name: string, keys: string[]): Record<string, unknown> | undefined => {
    const v = raw[name] ?? {};
    if (!isRecord(v)) {
      ctx.error("TYPE_MISMATCH", joinPath(path, name), `\`${name}\` must be a mapping, got ${describeType(v)}`);
      return undefined;
    }
    ctx.checkKeys(v, joinPath(path, name), keys, `sandbox.${name}`);
    return v;
  };
  const fs = part("filesystem", ["allow", "read_only", "deny"]);
  const net = part("network", ["allow", "deny"]);
  const env = part("env", ["allow", "set"]);
  if (!fs || !net || !env) return undefined;
  const s = (o: Record<string, unknown>, k: string, p: string): string[] => readStrings(ctx, o[k], joinPath(joinPath(path, p), k)) ?? [];
  const set = env["set"] ?? {};
  if (!isRecord(set) || Object.values(set).some((x) => typeof x !== "string")) {
    ctx.error("TYPE_MISMATCH", joinPath(path, "env.set"), "`env.set` must map variable names to strings");
    return undefined;
  }
  // Paths are compared as text when profiles are intersected (a parent's and a child's): a `..` or `.` segment
  // would let `/workspace/../etc` pass as narrower than `/workspace` and then mount `/etc`. Normalized paths only.
  const paths = (k: string): string[] => {
    const list = s(fs, k, "filesystem");
    list.forEach((p, i) => {
      if (p.split("/").some((seg) => seg === "." || seg === "..")) {
        ctx.error("INVALID_VALUE", joinPath(joinPath(joinPath(path, "filesystem"), k), i), `sandbox path \`${p}\` has a \`.\` or \`..\` segment`, "write the path it means without them (e.g. `/etc`, not `/workspace/../etc`)");
      }
    });
    return list;
  };
  return {
    filesystem: { allow: paths("allow"), readOnly: paths("read_only"), deny: paths("deny") },
    network: { allow: s(net, "allow", "network"), deny: s(net, "deny", "network") },
    env: { allow: s(env, "allow", "env"), set: { ...(set as Record<string, string>) } },
  };
}

/** What a MODIFY may change: the call's content, never its identity (kind, time, tool, model, agent). */
const MODIFIABLE = /^(args|context|result)(\.|$)|^text$/;

export function readModify(ctx: ValidationContext, raw: unknown, path: string): ModifyChange[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    ctx.error("TYPE_MISMATCH", path, "`modify` must be a non-empty list of changes (`redact`, `replace` or `clamp`)");
    return undefined;
  }
  const out: ModifyChange[] = [];
  raw.forEach((item, i) => {
    const p = joinPath(path, i);
    if (!isRecord(item)) {
      ctx.error("TYPE_MISMATCH", p, `a change must be a mapping such as \`{ redact: args.ssn }\`, got ${describeType(item)}`);
      return;
    }
    const op = ["redact", "replace", "clamp", "redact_matches"].filter((k) => Object.hasOwn(item, k));
    if (op.length !== 1) {
      ctx.error("AMBIGUOUS_CONDITION", p, "a change needs exactly one of `redact`, `replace`, `clamp`, `redact_matches`");
      return;
    }
    const kind = op[0] as "redact" | "replace" | "clamp" | "redact_matches";
    const field = item[kind];
    if (!checkFieldPath(ctx, field, joinPath(p, kind))) return;
    if (!MODIFIABLE.test(field)) {
      ctx.error("INVALID_VALUE", joinPath(p, kind), `a MODIFY cannot change \`${field}\`: it names the call itself, which interception points forward unchanged (and every record names)`, "change `args.*`, `text`, `context.*` or `result.*`; to refuse a call, use a BLOCK rule");
      return;
    }
    if (kind === "redact" || kind === "redact_matches") {
      ctx.checkKeys(item, p, [kind, "with"], kind);
      const w = item["with"] ?? "[REDACTED]";
      if (typeof w !== "string") ctx.error("TYPE_MISMATCH", joinPath(p, "with"), "`with` must be a string");
      else out.push({ op: kind, field, with: w });
    } else if (kind === "replace") {
      ctx.checkKeys(item, p, ["replace", "value"], "replace");
      if (!Object.hasOwn(item, "value")) ctx.error("MISSING_FIELD", p, "`replace` needs a `value`");
      else out.push({ op: "replace", field, value: item["value"] });
    } else {
      ctx.checkKeys(item, p, ["clamp", "min", "max"], "clamp");
      const min = item["min"];
      const max = item["max"];
      const bad = (x: unknown): boolean => x !== undefined && (typeof x !== "number" || !Number.isFinite(x));
      if (bad(min) || bad(max) || (min === undefined && max === undefined)) {
        ctx.error("TYPE_MISMATCH", p, "`clamp` needs a finite `min` and/or `max`", "e.g. `{ clamp: args.limit, max: 100 }` or `{ clamp: args.n, min: 1, max: 10 }`");
      } else if (typeof min === "number" && typeof max === "number" && min > max) {
        ctx.error("INVALID_VALUE", p, `\`clamp\` min ${min} is above max ${max}`);
      } else {
        const c: ModifyChange = { op: "clamp", field };
        if (typeof min === "number") c.min = min;
        if (typeof max === "number") c.max = max;
        out.push(c);
      }
    }
  });
  return out.length === raw.length ? out : undefined;
}

export function readApproval(ctx: ValidationContext, raw: unknown, path: string): ApprovalIR | undefined {
  if (!isRecord(raw)) {
    ctx.error("TYPE_MISMATCH", path, `\`approval\` must be a mapping like \`{ group: approvers, timeout: 15min }\`, got ${describeType(raw)}`);
    return undefined;
  }
  ctx.checkKeys(raw, path, ["group", "timeout", "on_timeout"], "approval");
  const group = raw["group"];
  if (typeof group !== "string" || group.length === 0) {
    ctx.error("MISSING_FIELD", joinPath(path, "group"), "`approval.group` must name the approver group");
    return undefined;
  }
  const timeout = raw["timeout"] ?? "15min";
  const timeoutMs = readDuration(ctx, timeout, joinPath(path, "timeout"));
  const onTimeout = raw["on_timeout"] ?? "deny";
  if (onTimeout !== "deny") {
    ctx.error("INVALID_VALUE", joinPath(path, "on_timeout"), `\`on_timeout\` must be \`deny\` (an unanswered approval never allows), got ${describeType(onTimeout)}`);
    return undefined;
  }
  return timeoutMs === undefined ? undefined : { group, timeout: String(timeout), timeoutMs, onTimeout: "deny" };
}
