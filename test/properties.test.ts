// Property tests of the decision core: indexed == linear on random policies and actions, missing or ill-typed
// data never makes a verdict more permissive, and compilation is deterministic (bytes and hashes).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify as toYaml } from "yaml";
import { ArtifactError, compilePolicy, decide, decideLinear, loadCompiled, MemoryThrottleStore, policyHash, replayState, VERDICT_RANK, type CompiledPolicy, type Decision } from "../src/index.js";

// ---------------------------------------------------------------------------------------------
// A small grammar of policies. Every field has a type, so "ill-typed" below is well defined.

type FieldType = "num" | "str" | "qty" | "bool" | "list";
const FIELDS: Record<string, FieldType> = {
  "args.n": "num",
  "args.m.x": "num",
  "args.s": "str",
  "args.q": "qty",
  "args.flag": "bool",
  "args.tags": "list",
  "agent.role": "str",
  "agent.labels.env": "str",
  "context.ip": "str",
  text: "str",
};
const FIELD_NAMES = Object.keys(FIELDS);
const NUMS = [-1, 0, 1, 5, 10, 10.5, 100, 1000.25];
const STRS = ["a", "b", "abc", "ABC", "prod", "staging", "x-y", "10"];
/** Ascending: 0.5 mg/m2 < 0.75 mg/m2 = 750 mcg/m2 < 800 mcg/m2 < 1 mg/m2. */
const QTYS = ["0.5 mg/m2", "0.75 mg/m2", "750 mcg/m2", "800 mcg/m2", "1 mg/m2"];
const TOOLS = { pay: "write", read: "read", "exec.sh": "exec", "mail.send": "write" };

interface GrammarOptions {
  /** Include operators whose meaning changes legitimately when a value is deleted or retyped
   * (exists/missing; the polymorphic size and length operators). */
  structural: boolean;
}

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const ci = fc.option(fc.constant(true), { nil: undefined });
const withCi = (leaf: Record<string, unknown>, ignore: true | undefined) => (ignore ? { ...leaf, ignore_case: true } : leaf);

function leafArb(field: string, o: GrammarOptions): fc.Arbitrary<Record<string, unknown>> {
  const t = FIELDS[field] as FieldType;
  const options: Array<fc.Arbitrary<Record<string, unknown>>> = [];
  if (t === "num") {
    options.push(
      fc.tuple(pick(["eq", "ne"]), pick(NUMS)).map(([op, v]) => ({ field, [op]: v })),
      fc.tuple(pick(["lt", "lte", "gt", "gte"]), pick([...NUMS, "10.50", "0.1", "99.999999999999999999"])).map(([op, v]) => ({ field, [op]: v })),
      fc.tuple(pick(NUMS), pick(NUMS)).map(([a, b]) => ({ field, between: [Math.min(a, b), Math.max(a, b)] })),
      fc.tuple(pick(["in", "not_in"]), fc.subarray(NUMS, { minLength: 1, maxLength: 3 })).map(([op, v]) => ({ field, [op]: v })),
    );
  }
  if (t === "str") {
    options.push(
      fc.tuple(pick(["eq", "ne"]), pick(STRS), ci).map(([op, v, i]) => withCi({ field, [op]: v }, i)),
      fc.tuple(pick(["in", "not_in"]), fc.oneof(fc.subarray(STRS, { minLength: 1, maxLength: 3 }), fc.constant({ list: "envs" })), ci).map(([op, v, i]) => withCi({ field, [op]: v }, i)),
      fc.tuple(pick(["contains", "starts_with", "ends_with"]), pick([...STRS, "x", "B"]), ci).map(([op, v, i]) => withCi({ field, [op]: v }, i)),
    );
  }
  if (t === "qty") {
    options.push(
      fc.tuple(pick(["lt", "lte", "gt", "gte"]), pick(QTYS)).map(([op, v]) => ({ field, [op]: v })),
      fc.tuple(fc.nat(QTYS.length - 1), fc.nat(QTYS.length - 1)).map(([a, b]) => ({ field, between: [QTYS[Math.min(a, b)], QTYS[Math.max(a, b)]] })),
    );
  }
  if (t === "bool") options.push(fc.tuple(pick(["eq", "ne"]), fc.boolean()).map(([op, v]) => ({ field, [op]: v })));
  if (t === "list") options.push(fc.tuple(pick(["includes", "includes", "contains"]), pick(STRS), ci).map(([op, v, i]) => withCi({ field, [op]: v }, i)));
  if (o.structural) {
    options.push(pick(["exists", "missing"]).map((op) => ({ field, [op]: true })));
    if (t === "str" || t === "list") options.push(fc.tuple(pick(["longer_than", "shorter_than"]), fc.nat(5)).map(([op, n]) => ({ field, [op]: n })));
    options.push(fc.tuple(pick(["larger_than", "smaller_than"]), pick([0, 3, 12, "0.01 kB"])).map(([op, n]) => ({ field, [op]: n })));
  }
  return fc.oneof(...options);
}

function conditionArb(o: GrammarOptions): fc.Arbitrary<Record<string, unknown>> {
  const leaf = pick(FIELD_NAMES).chain((f) => leafArb(f, o));
  return fc.letrec<{ node: Record<string, unknown> }>((tie) => ({
    node: fc.oneof(
      { maxDepth: 3, depthSize: "small" },
      leaf,
      fc.array(tie("node"), { minLength: 1, maxLength: 3 }).map((all) => ({ all })),
      fc.array(tie("node"), { minLength: 1, maxLength: 3 }).map((any) => ({ any })),
      tie("node").map((not) => ({ not })),
    ),
  })).node;
}

const matchArb = fc.record(
  {
    tool: pick<string | string[]>(["pay", "read", "exec.sh", "mail.*", "*", ["pay", "read"], "undeclared.?"]),
    class: pick<string | string[]>(["read", "write", "exec", ["read", "write"]]),
    kind: pick<string | string[]>(["tool_call", "model_call", ["tool_call", "message"]]),
    role: pick<string | string[]>(["admin", ["viewer", "operator"]]),
    labels: pick([{ env: "prod" }, { env: "staging" }]),
  },
  { requiredKeys: [] },
);

const SANDBOXES = [
  { filesystem: { allow: ["/workspace", "/tmp"], deny: ["/etc/secrets"] }, network: { deny: ["*"] } },
  { filesystem: { allow: ["/workspace"], read_only: ["/usr"] }, network: { allow: ["pypi.org"] }, env: { allow: ["PATH"], set: { LANG: "C" } } },
  { env: { allow: ["HOME", "PATH"], set: { TZ: "UTC" } } },
];
const CHANGES = [{ redact: "args.s" }, { redact: "args.tags", with: "***" }, { replace: "args.m.x", value: 0 }, { clamp: "args.n", min: 0, max: 50 }, { clamp: "args.m.x", max: 10 }];

const verdictArb = fc.oneof(
  fc.constant({ verdict: "ALLOW" }),
  fc.constant({ verdict: "BLOCK" }),
  fc.record({ verdict: fc.constant("ESCALATE"), approval: pick([{ group: "g1" }, { group: "g2", timeout: "5min" }]) }),
  fc.record({ verdict: fc.constant("SANDBOX"), sandbox: pick(SANDBOXES) }),
  fc.record({ verdict: fc.constant("MODIFY"), modify: fc.subarray(CHANGES, { minLength: 1, maxLength: 2 }) }),
  fc.record({
    verdict: fc.constant("THROTTLE"),
    throttle: fc.oneof(
      fc.record({ limit: fc.integer({ min: 1, max: 3 }), per: pick(["1min", "1h"]), window: pick(["sliding", "calendar"]), key: pick([["agent.id"], ["agent.id", "tool"], ["args.s"]]) }),
      fc.record({ limit: fc.integer({ min: 1, max: 3 }), per: pick(["10s", "1min"]), window: fc.constant("gcra"), burst: fc.integer({ min: 1, max: 3 }) }),
    ),
  }),
);

function ruleArb(o: GrammarOptions) {
  return fc.record(
    {
      match: matchArb,
      when: conditionArb(o),
      shadow: fc.boolean(),
      priority: fc.integer({ min: -1, max: 2 }),
      message: pick(["value {value} at {field}", "tool {tool} by {agent.id}; retry {retry_after}; {{literal}}", "{args.s} / {args.n}"]),
      v: verdictArb,
    },
    { requiredKeys: ["v"] },
  );
}

type PolicySource = Record<string, unknown> & { rules: Array<Record<string, unknown>> };

function policyArb(o: GrammarOptions): fc.Arbitrary<PolicySource> {
  return fc
    .record({
      default: pick(["ALLOW", "BLOCK"]),
      mode: fc.oneof({ weight: 5, arbitrary: fc.constant("enforce") }, { weight: 1, arbitrary: fc.constant("shadow") }),
      rules: fc.array(ruleArb(o), { minLength: 1, maxLength: 8 }),
    })
    .map(({ default: dflt, mode, rules }) => ({
      id: "prop",
      version: "1",
      default: dflt,
      mode,
      lists: { envs: ["prod", "Staging", "dev"] },
      tools: TOOLS,
      rules: rules.map(({ v, ...r }, i) => {
        const rule: Record<string, unknown> = { id: `r${i}`, ...r, ...v, code: `CODE_${i}` };
        if (r.shadow === false) delete rule["shadow"];
        return rule;
      }),
    }));
}

// ---------------------------------------------------------------------------------------------
// Well-typed actions (values of each field's type, or absent).

const numV = fc.oneof(pick<number | string>([...NUMS, 0.30000000000000004, "10.50", "100.000000000000000001", -0]), fc.integer({ min: -20, max: 2000 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }));
const strV = fc.oneof(pick([...STRS, "PROD", "Abc", "", "Staging"]), fc.string({ maxLength: 6 }));
const qtyV = fc.oneof(pick<unknown>([...QTYS, "0.7 mg/m2", "751 mcg/m2"]), fc.record({ value: pick<number | string>([0.5, 0.8, "0.75", 760]), unit: pick(["mg/m2", "mcg/m2"]) }));
const opt = { requiredKeys: [] as never[] };

const actionArb = fc
  .record(
    {
      kind: pick(["tool_call", "tool_call", "tool_call", "model_call", "message", "tool_result"]),
      tool: pick(["pay", "read", "exec.sh", "mail.send", "mail.x", "undeclared.x", "other"]),
      at: pick(["2026-03-02T10:00:00Z", "2026-03-02T10:00:30.5Z", "2026-03-02T11:00:00Z"]),
      agent: fc.record({ id: pick(["a1", "a2"]), role: pick(["admin", "viewer", "operator", "guest"]), labels: fc.record({ env: strV }, opt) }, opt),
      args: fc.record({ n: numV, m: fc.record({ x: numV }, opt), s: strV, q: qtyV, flag: fc.boolean(), tags: fc.array(strV, { maxLength: 4 }) }, opt),
      text: strV,
      context: fc.record({ ip: strV }, opt),
    },
    { requiredKeys: ["kind"] },
  )
  .map((a) => ((a.kind === "tool_call" || a.kind === "tool_result") && a.tool === undefined ? { ...a, tool: "pay" } : a));

// ---------------------------------------------------------------------------------------------
// Mutations: delete a field, or replace it with a value that is ill-typed for that field.

const ILL: Record<FieldType, unknown[]> = {
  num: [null, true, false, "abc", "NaN", "Infinity", "", "1,5", "0x10", " 5", "5 apples", [5], [], {}, { value: 5 }, NaN, Infinity, -Infinity],
  str: [null, 5, 0, -1.5, NaN, true, false, {}, { a: "x" }, [1], [null]],
  qty: [null, 5, "0.5", "abc", "0.5 furlongs", "0.5 mg", "1 h", ["0.5 mg/m2"], { value: 1 }, { unit: "mg/m2" }, { value: "x", unit: "mg/m2" }, true],
  bool: [null, "true", "false", 1, 0, [], {}, [true]],
  list: [null, 5, {}, true, NaN, [1], [null], [{}]],
};
/** Values that are ill-typed for a parent object (args, agent, agent.labels, context, args.m). */
const ILL_OBJECT = [null, 5, "x", true, [], [{}]];

/** Every path in the action that a mutation may target (never `kind` or `tool`: they choose which rules apply). */
function mutablePaths(a: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (path !== "") out.push(path);
    if (typeof v === "object" && v !== null) for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], path === "" ? k : `${path}.${k}`);
  };
  for (const k of Object.keys(a)) if (k !== "kind" && k !== "tool") walk(a[k], k);
  return out;
}

/** Leaf operators that read each field, found by walking the policy's conditions and match roles/labels. */
function operatorsByField(src: PolicySource): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (f: string, op: string) => (out.get(f) ?? out.set(f, new Set()).get(f)!).add(op);
  const walk = (c: unknown): void => {
    if (typeof c !== "object" || c === null) return;
    const o = c as Record<string, unknown>;
    if (Array.isArray(o["all"])) o["all"].forEach(walk);
    else if (Array.isArray(o["any"])) o["any"].forEach(walk);
    else if (o["not"] !== undefined) walk(o["not"]);
    else for (const k of Object.keys(o)) if (k !== "field" && k !== "ignore_case") add(o["field"] as string, k);
  };
  for (const r of src.rules) {
    walk(r["when"]);
    const m = r["match"] as Record<string, unknown> | undefined;
    if (m?.["role"] !== undefined) add("agent.role", "in");
    if (m?.["labels"] !== undefined) add("agent.labels.env", "eq");
  }
  return out;
}


function illTypedFor(path: string, ops: Set<string> | undefined): unknown[] {
  const t = FIELDS[path];
  if (t === undefined) {
    if (/^args\.tags\.\d+$/.test(path)) return ILL.str.filter((v) => typeof v !== "string");
    return ILL_OBJECT;
  }
  const pool = ILL[t];
  // `contains` is polymorphic by design (substring of a string, element of a list; an ALLOW rule using it gets
  // the CONTAINS_IN_ALLOW warning): a string for a list field, or a list of strings for a string field, is a
  // value it reads, not an ill-typed one. Every other operator must treat those shapes as indeterminate.
  if (ops?.has("contains")) return pool;
  if (t === "list") return [...pool, "x", "abc", "staging", ""];
  if (t === "str") return [...pool, ["x"], ["abc", "prod"], []];
  return pool;
}

function setPath(root: Record<string, unknown>, path: string, value: unknown, del: boolean): Record<string, unknown> {
  const copy = structuredClone(root);
  const segs = path.split(".");
  let o: Record<string, unknown> = copy;
  for (const s of segs.slice(0, -1)) o = o[s] as Record<string, unknown>;
  const last = segs[segs.length - 1] as string;
  if (del && !Array.isArray(o)) delete o[last];
  else o[last] = value;
  return copy;
}

// ---------------------------------------------------------------------------------------------

function compileOk(src: unknown): CompiledPolicy {
  const r = compilePolicy(JSON.stringify(src), { file: "prop.json" });
  if (!r.ok) throw new Error(`generated policy does not compile:\n${r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n")}\n${JSON.stringify(src)}`);
  return r.policy;
}

const rank = (d: Decision) => VERDICT_RANK[d.verdict];
const wouldBe = (d: Decision) => VERDICT_RANK[d.shadowVerdict ?? d.verdict];
const RUNS = Number(process.env["WARDEN_PROP_RUNS"] ?? 300);

test("random policies compile without errors (the grammar only produces valid policies)", () => {
  fc.assert(fc.property(policyArb({ structural: true }), (src) => void compileOk(src)), { numRuns: Math.ceil(RUNS / 3) });
});

test("indexed decide() equals decideLinear() on random policies and action sequences, throttle state included", () => {
  const anyAction = fc.oneof(
    { weight: 6, arbitrary: actionArb },
    { weight: 2, arbitrary: fc.tuple(actionArb, fc.nat(), fc.nat()).map(([a, i, j]) => {
      const paths = mutablePaths(a);
      if (paths.length === 0) return a;
      const p = paths[i % paths.length] as string;
      const pool = [...(FIELDS[p] ? ILL[FIELDS[p]] : ILL_OBJECT), ...ILL.str];
      return setPath(a, p, pool[j % pool.length], j % 5 === 0);
    }) },
    { weight: 1, arbitrary: fc.jsonValue() },
  );
  fc.assert(
    fc.property(policyArb({ structural: true }), fc.array(anyAction, { minLength: 1, maxLength: 6 }), (src, actions) => {
      const p = compileOk(src);
      const s1 = new MemoryThrottleStore();
      const s2 = new MemoryThrottleStore();
      for (const a of actions) {
        const d1 = decide(p, a, { throttle: s1 });
        const d2 = decideLinear(p, a, { throttle: s2 });
        assert.deepEqual(d1, d2);
        // Pure: deciding again before the caller commits sees the same counters and gives the same decision.
        assert.deepEqual(decide(p, a, { throttle: s1 }), d1);
        s1.commit(d1);
        s2.commit(d2);
      }
    }),
    { numRuns: RUNS * 3 },
  );
});

test("indexed == linear with more than 31 applicable rules and long action streams (decision cache, wide fired sets)", () => {
  const wide = fc.array(ruleArb({ structural: true }), { minLength: 33, maxLength: 40 }).map((rules) =>
    rules.map(({ v, match, ...r }, i) => {
      // Keep only role/labels (conditions): every rule applies to every action, so the candidate list is wide.
      const m: Record<string, unknown> = {};
      if (match?.role !== undefined) m["role"] = match.role;
      if (match?.labels !== undefined) m["labels"] = match.labels;
      return { id: `w${i}`, ...r, ...(Object.keys(m).length ? { match: m } : {}), ...v, code: `W_${i}` };
    }),
  );
  fc.assert(
    fc.property(wide, pick(["ALLOW", "BLOCK"]), fc.array(actionArb, { minLength: 20, maxLength: 60 }), (rules, dflt, actions) => {
      const p = compileOk({ id: "wide", version: "1", default: dflt, lists: { envs: ["prod"] }, tools: TOOLS, rules });
      const s1 = new MemoryThrottleStore();
      const s2 = new MemoryThrottleStore();
      // Twice through the stream: the second pass hits the indexed evaluator's cached decisions.
      for (const a of [...actions, ...actions]) {
        const d1 = decide(p, a, { throttle: s1 });
        const d2 = decideLinear(p, a, { throttle: s2 });
        assert.deepEqual(d1, d2);
        s1.commit(d1);
        s2.commit(d2);
      }
    }),
    { numRuns: Math.ceil(RUNS / 6) },
  );
});

function monotoneProperty() {
  return fc.property(policyArb({ structural: false }), actionArb, fc.nat(), fc.nat(), (src, action, i, j) => {
    const p = compileOk(src);
    const frozen = structuredClone(action);
    const before = decide(p, action);
    assert.deepEqual(structuredClone(action), frozen, "decide() must not mutate the action");
    // A clamp on a present value it cannot clamp (a decimal string) fails closed; removing that value lets the
    // MODIFY through unapplied. That is the obligation's rule, not a condition's (see the clamp regression test).
    fc.pre(![...before.reasons, ...before.shadow].some((r) => r.code === "MODIFY_FAILED"));
    const paths = mutablePaths(action);
    fc.pre(paths.length > 0);
    const path = paths[i % paths.length] as string;
    const pool = illTypedFor(path, operatorsByField(src).get(path));
    const del = j % (pool.length + 1) === pool.length;
    const mutated = setPath(action, path, pool[j % (pool.length + 1)], del);
    const after = decide(p, mutated);
    const what = `${del ? "deleting" : `replacing with ${JSON.stringify(pool[j % (pool.length + 1)])}`} \`${path}\``;
    assert.ok(rank(after) >= rank(before), `${what} loosened ${before.verdict} to ${after.verdict}\nbefore: ${JSON.stringify(before.reasons)}\nafter: ${JSON.stringify(after.reasons)}`);
    assert.ok(wouldBe(after) >= wouldBe(before), `${what} loosened the shadow verdict ${before.shadowVerdict} to ${after.shadowVerdict}`);
  });
}

test("deleting a field or replacing it with an ill-typed value never makes the verdict more permissive", () => {
  fc.assert(monotoneProperty(), { numRuns: RUNS * 4 });
});

test("same, on the finance example: ill-typed or missing payment fields never loosen a decision", async () => {
  const { readFileSync } = await import("node:fs");
  const r = compilePolicy(readFileSync("examples/policies/finance.yaml", "utf8"), { file: "finance.yaml" });
  assert.ok(r.ok);
  const payment = fc.record({
    kind: fc.constant("tool_call"),
    tool: pick(["payments.send", "ledger.update", "ledger.read"]),
    agent: fc.record({ id: fc.constant("fin-7"), role: pick(["operator", "viewer", "admin"]) }, { requiredKeys: ["id"] }),
    args: fc.record({ amount: fc.oneof(fc.integer({ min: 0, max: 20000 }), pick(["10000", "10000.0000000000000001", "9999.99"])), currency: pick(["USD", "EUR"]), counterparty: pick(["acme-corp", "globex", "evil-inc"]) }, { requiredKeys: [] }),
  });
  fc.assert(
    fc.property(payment, fc.nat(), fc.nat(), (a, i, j) => {
      const before = decide(r.policy, a);
      const paths = mutablePaths(a);
      const path = paths[i % paths.length] as string;
      const types: Record<string, FieldType> = { "args.amount": "num", "args.currency": "str", "args.counterparty": "str", "agent.role": "str", "agent.id": "str" };
      const t = types[path];
      const pool = t ? ILL[t] : ILL_OBJECT;
      const del = j % 3 === 0;
      const after = decide(r.policy, setPath(a, path, pool[j % pool.length], del));
      assert.ok(rank(after) >= rank(before), `${del ? "deleting" : "retyping"} \`${path}\` loosened ${before.verdict} to ${after.verdict}`);
    }),
    { numRuns: RUNS * 2 },
  );
});

// Regressions for bugs these properties found (fixed in the engine).
test("in / not_in are typed: a scalar of another type is indeterminate, so an ALLOW on `not_in` does not fire", () => {
  const p = compileOk({ id: "t", version: "1", default: "BLOCK", rules: [{ id: "non-prod", match: { tool: "deploy" }, when: { field: "args.env", not_in: ["prod"] }, verdict: "ALLOW" }] });
  assert.equal(decide(p, { kind: "tool_call", tool: "deploy", args: { env: "prod" } }).verdict, "BLOCK");
  for (const env of [5, true, null]) {
    assert.equal(decide(p, { kind: "tool_call", tool: "deploy", args: { env } }).verdict, "BLOCK", `env = ${JSON.stringify(env)} must not be allowed`);
  }
});

test("list membership: `includes` is never satisfied by a string; `contains` in an ALLOW rule is flagged", () => {
  const rule = (op: string) => ({ id: "t", version: "1", default: "BLOCK", rules: [{ id: "trusted", match: { tool: "run" }, when: { field: "args.tags", [op]: "trusted" }, verdict: "ALLOW" }] });
  const p = compileOk(rule("includes"));
  assert.equal(decide(p, { kind: "tool_call", tool: "run", args: { tags: ["trusted"] } }).verdict, "ALLOW");
  assert.equal(decide(p, { kind: "tool_call", tool: "run", args: { tags: ["untrusted"] } }).verdict, "BLOCK");
  for (const tags of ["untrusted", "trusted", { trusted: true }, 1, null]) {
    assert.equal(decide(p, { kind: "tool_call", tool: "run", args: { tags } }).verdict, "BLOCK", `tags = ${JSON.stringify(tags)} is not a list`);
  }
  const c = compilePolicy(JSON.stringify(rule("contains")), { file: "c.json" });
  assert.ok(c.ok);
  assert.ok(c.diagnostics.some((d) => d.code === "CONTAINS_IN_ALLOW" && d.severity === "warning"), "contains in an ALLOW rule is warned about");
  // The documented polymorphism: a string satisfies `contains` by substring.
  assert.equal(decide(c.policy, { kind: "tool_call", tool: "run", args: { tags: "untrusted" } }).verdict, "ALLOW");
});

test("a THROTTLE fired by indeterminate data carries a positive retryAfterMs and does not claim the budget is used up", () => {
  const p = compileOk({ id: "t", version: "1", default: "ALLOW", rules: [{ id: "costly", match: { tool: "t" }, when: { field: "args.cost", gt: 10 }, verdict: "THROTTLE", code: "COSTLY", throttle: { limit: 5, per: "1h" } }] });
  const d = decide(p, { kind: "tool_call", tool: "t", at: "2026-03-02T10:00:00Z", args: {} });
  assert.equal(d.verdict, "THROTTLE");
  assert.ok(d.obligations.retryAfterMs > 0, `retryAfterMs is ${d.obligations.retryAfterMs}: a THROTTLE that says "retry now" loops forever`);
  assert.doesNotMatch(d.reasons[0]!.message, /used up/, "the budget is not used up; the data is missing");
});

// ---------------------------------------------------------------------------------------------
// Determinism of compilation.

function shuffleKeys(v: unknown, seed: { s: number }): unknown {
  if (Array.isArray(v)) return v.map((x) => shuffleKeys(x, seed));
  if (typeof v !== "object" || v === null) return v;
  const keys = Object.keys(v);
  for (let i = keys.length - 1; i > 0; i--) {
    seed.s = (seed.s * 1103515245 + 12345) >>> 0;
    const j = seed.s % (i + 1);
    [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = shuffleKeys((v as Record<string, unknown>)[k], seed);
  return out;
}

test("compiling the same policy twice gives byte-identical artifacts and hashes; key order and YAML vs JSON do not matter", () => {
  fc.assert(
    fc.property(policyArb({ structural: true }), fc.integer({ min: 1, max: 2 ** 31 }), actionArb, (src, seed, action) => {
      const a = compileOk(src);
      const b = compileOk(structuredClone(src));
      assert.equal(a.artifact, b.artifact);
      assert.equal(a.hash, b.hash);
      assert.match(a.hash, /^sha256:[0-9a-f]{64}$/);
      const shuffled = shuffleKeys(src, { s: seed });
      const c = compileOk(shuffled);
      assert.equal(c.hash, a.hash, "reordering mapping keys changed the hash");
      assert.equal(c.artifact, a.artifact, "reordering mapping keys changed the artifact");
      const y = compilePolicy(toYaml(shuffled), { file: "prop.yaml" });
      assert.ok(y.ok, "YAML form compiles");
      assert.equal(y.policy.hash, a.hash, "YAML and JSON forms hash differently");
      // The artifact loads back to an equivalent policy.
      const loaded = loadCompiled(a.artifact);
      assert.equal(loaded.hash, a.hash);
      assert.equal(loaded.artifact, a.artifact);
      assert.deepEqual(decide(loaded, action), decide(a, action));
    }),
    { numRuns: Math.ceil(RUNS / 2) },
  );
});

test("a change to the policy's meaning changes the hash", () => {
  fc.assert(
    fc.property(policyArb({ structural: true }), (src) => {
      const a = compileOk(src);
      const flipped = { ...src, default: src["default"] === "ALLOW" ? "BLOCK" : "ALLOW" };
      assert.notEqual(compileOk(flipped).hash, a.hash);
      const renamed = { ...src, rules: src.rules.map((r, i) => (i === 0 ? { ...r, id: "renamed" } : r)) };
      assert.notEqual(compileOk(renamed).hash, a.hash);
    }),
    { numRuns: Math.ceil(RUNS / 3) },
  );
});

// ---------------------------------------------------------------------------------------------
// Throttle budgets against a reference model: "N per window" means exactly what users mean.

interface ModelState { allowed: number[]; windowStart: number; count: number; tat: number | null }

/** The reference: sliding (at most N allowed in any window (t-W, t]), calendar (per aligned UTC window), gcra (virtual scheduling). */
function modelDecide(mode: string, limit: number, perMs: number, burst: number, s: ModelState, t: number): { allowed: boolean; retry: number } {
  if (mode === "sliding") {
    const inWindow = s.allowed.filter((x) => x > t - perMs && x <= t);
    if (inWindow.length < limit) {
      s.allowed.push(t);
      return { allowed: true, retry: 0 };
    }
    const oldest = inWindow[inWindow.length - limit] as number;
    return { allowed: false, retry: Math.max(1, Math.ceil(oldest + perMs - t)) };
  }
  if (mode === "calendar") {
    const ws = Math.floor(t / perMs) * perMs;
    if (ws !== s.windowStart) {
      s.windowStart = ws;
      s.count = 0;
    }
    if (s.count < limit) {
      s.count++;
      return { allowed: true, retry: 0 };
    }
    return { allowed: false, retry: Math.max(1, ws + perMs - t) };
  }
  const interval = perMs / limit;
  const tau = (burst - 1) * interval;
  const tat = Math.max(s.tat ?? t, t);
  if (tat - t <= tau) {
    s.tat = tat + interval;
    return { allowed: true, retry: 0 };
  }
  return { allowed: false, retry: Math.max(1, Math.ceil(tat - tau - t)) };
}

const PERS: Record<string, number> = { "1s": 1000, "10s": 10_000, "1min": 60_000, "1h": 3_600_000 };

test("throttle budgets match a reference model call by call (verdict, retryAfterMs, count), per key", () => {
  fc.assert(
    fc.property(
      pick(["sliding", "calendar", "gcra"]),
      fc.integer({ min: 1, max: 5 }),
      pick(Object.keys(PERS)),
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.tuple(pick(["a1", "a2"]), fc.double({ min: 0, max: 0.8, noNaN: true })), { minLength: 1, maxLength: 40 }),
      (mode, limit, per, burst, calls) => {
        const perMs = PERS[per] as number;
        const throttle: Record<string, unknown> = { limit, per, window: mode, key: ["agent.id"] };
        if (mode === "gcra") throttle["burst"] = burst;
        const p = compileOk({ id: "t", version: "1", default: "ALLOW", rules: [{ id: "budget", verdict: "THROTTLE", code: "BUDGET", throttle }] });
        const store = new MemoryThrottleStore();
        const models = new Map<string, ModelState>();
        let t = Date.UTC(2026, 2, 2, 9, 59, 30);
        for (const [agent, gap] of calls) {
          t += Math.floor(gap * perMs * (mode === "gcra" ? 1 / limit : 1));
          const d = decide(p, { kind: "tool_call", tool: "x", at: new Date(t).toISOString(), agent: { id: agent } }, { throttle: store });
          store.commit(d);
          const m = models.get(agent) ?? { allowed: [], windowStart: -1, count: 0, tat: null };
          models.set(agent, m);
          const want = modelDecide(mode, limit, perMs, mode === "gcra" ? burst : 0, m, t);
          const where = `${mode} ${limit}/${per} burst ${burst}, ${agent} at +${t - Date.UTC(2026, 2, 2, 9, 59, 30)} ms`;
          assert.equal(d.verdict, want.allowed ? "ALLOW" : "THROTTLE", where);
          assert.equal(d.obligations.retryAfterMs, want.retry, `retryAfterMs, ${where}`);
          const obs = d.state.throttle[`budget:${agent}`];
          assert.ok(obs, "the observation is keyed by rule and agent");
          assert.equal(obs.allowed, want.allowed);
        }
      },
    ),
    { numRuns: RUNS },
  );
});

// Regression, fixed in the engine after this test found it — engine gap: a call stamped earlier than calls already counted only looks back (t-W, t], so backdated `at` values evade the budget; the HTTP sidecar keeps a caller-supplied `at`
test("a sliding budget holds in every window even when calls arrive with out-of-order times", () => {
  const p = compileOk({ id: "t", version: "1", default: "ALLOW", rules: [{ id: "budget", verdict: "THROTTLE", code: "BUDGET", throttle: { limit: 1, per: "1h" } }] });
  const store = new MemoryThrottleStore();
  const call = (at: string) => {
    const d = decide(p, { kind: "tool_call", tool: "x", at, agent: { id: "a" } }, { throttle: store });
    store.commit(d);
    return d.verdict;
  };
  assert.equal(call("2026-03-02T10:30:00Z"), "ALLOW");
  // Each call is stamped earlier than the last: every one-hour window around them already holds an allowed call.
  assert.equal(call("2026-03-02T10:00:00Z"), "THROTTLE", "10:00 and 10:30 would both be allowed inside one hour");
  assert.equal(call("2026-03-02T09:45:00Z"), "THROTTLE");
});

// ---------------------------------------------------------------------------------------------
// Shadow mode, shadow rules and rule order.

const strip = (d: Decision) => ({ verdict: d.verdict, reasons: d.reasons.map((r) => `${r.rule}/${r.code}/${r.verdict}`).sort() });

test("shadow mode reports exactly what enforce mode would decide, and enforces nothing", () => {
  fc.assert(
    fc.property(policyArb({ structural: true }), actionArb, (src, action) => {
      const enforce = decide(compileOk({ ...src, mode: "enforce" }), action);
      const shadow = decide(compileOk({ ...src, mode: "shadow" }), action);
      if (enforce.reasons[0]?.rule === "engine") {
        assert.deepEqual(shadow.verdict, "BLOCK", "a malformed action is blocked in both modes");
        return;
      }
      assert.equal(shadow.verdict, "ALLOW");
      assert.equal(shadow.enforced, false);
      assert.equal(shadow.shadowVerdict, enforce.verdict);
      assert.deepEqual(shadow.reasons, []);
      assert.deepEqual(shadow.obligations, { retryAfterMs: 0, sandbox: null, modify: null, approval: null });
      assert.deepEqual(shadow.shadow.map((r) => r.rule).sort(), [...enforce.reasons, ...enforce.shadow].map((r) => r.rule).sort());
      assert.ok(shadow.shadow.every((r) => r.shadow));
    }),
    { numRuns: RUNS },
  );
});

test("marking a rule `shadow: true` enforces exactly what removing it would", () => {
  fc.assert(
    fc.property(policyArb({ structural: true }), actionArb, fc.nat(), (src, action, k) => {
      const i = k % src.rules.length;
      const shadowed = { ...src, mode: "enforce", rules: src.rules.map((r, j) => (j === i ? { ...r, shadow: true } : r)) };
      const removed = { ...src, mode: "enforce", rules: src.rules.filter((_, j) => j !== i) };
      const a = decide(compileOk(shadowed), action);
      const b = decide(compileOk(removed), action);
      assert.deepEqual(strip(a), strip(b));
      assert.deepEqual(a.obligations, b.obligations);
      assert.ok(!a.reasons.some((r) => r.rule === `r${i}`), "a shadow rule is never among the enforced reasons");
    }),
    { numRuns: RUNS },
  );
});

test("the verdict does not depend on the order rules are declared in", () => {
  fc.assert(
    fc.property(policyArb({ structural: true }), actionArb, fc.integer({ min: 1, max: 2 ** 31 }), (src, action, seed) => {
      const rules = [...src.rules];
      let s = seed;
      for (let i = rules.length - 1; i > 0; i--) {
        s = (s * 1103515245 + 12345) >>> 0;
        const j = s % (i + 1);
        [rules[i], rules[j]] = [rules[j]!, rules[i]!];
      }
      const a = decide(compileOk(src), action);
      const b = decide(compileOk({ ...src, rules }), action);
      assert.deepEqual(strip(b), strip(a));
      assert.equal(b.shadowVerdict, a.shadowVerdict);
    }),
    { numRuns: RUNS },
  );
});

// ---------------------------------------------------------------------------------------------
// Composition: a child policy keeps every restrictive rule of its parent.

test("a child policy (extends, of one or two parents) still fires every restrictive rule each parent fires, never loses a parent's BLOCK or approval", () => {
  const anyAction = fc.oneof(actionArb, fc.tuple(actionArb, fc.nat(), fc.nat()).map(([a, i, j]) => {
    const paths = mutablePaths(a);
    if (paths.length === 0) return a;
    const p = paths[i % paths.length] as string;
    const pool = FIELDS[p] ? ILL[FIELDS[p]] : ILL_OBJECT;
    return setPath(a, p, pool[j % pool.length], j % 4 === 0);
  }));
  // The second parent (when there is one) is policy `prop2` with rules `q0`, `q1`, … (same lists and tools).
  const secondArb = fc.option(policyArb({ structural: true }), { nil: undefined, freq: 2 });
  fc.assert(
    fc.property(policyArb({ structural: true }), secondArb, fc.array(ruleArb({ structural: true }), { minLength: 1, maxLength: 5 }), fc.option(pick(["ALLOW", "BLOCK"]), { nil: undefined }), anyAction, (parentSrc, secondSrc, childRules, childDefault, action) => {
      const parent = { ...parentSrc, mode: "enforce" };
      const parents: Array<{ file: string; prefix: string; src: Record<string, unknown> & { rules: Array<Record<string, unknown>> } }> = [{ file: "parent.json", prefix: "r", src: parent }];
      if (secondSrc !== undefined) {
        const rules = secondSrc.rules.map((r) => ({ ...r, id: `q${String(r["id"]).slice(1)}`, code: `Q${String(r["code"])}` }));
        parents.push({ file: "parent2.json", prefix: "q", src: { ...secondSrc, id: "prop2", mode: "enforce", rules } });
      }
      const child: Record<string, unknown> = {
        id: "child",
        version: "2",
        extends: parents.map((p) => p.file),
        rules: childRules.map(({ v, ...r }, i) => ({ id: `c${i}`, ...r, ...v, code: `CHILD_${i}` })),
      };
      if (childDefault !== undefined) child["default"] = childDefault;
      const byFile = new Map(parents.map((p) => [p.file, JSON.stringify(p.src)]));
      const r = compilePolicy(JSON.stringify(child), { file: "child.json", readFile: (f) => byFile.get(f) ?? "" });
      // Under a default-BLOCK parent, an ALLOW rule from elsewhere (the child, or another parent) must stay within
      // declared tools (by class, or exact names).
      const widens = (rule: Record<string, unknown>): boolean => {
        if (rule["verdict"] !== "ALLOW" || rule["shadow"] === true) return false;
        const m = (rule["match"] ?? {}) as { tool?: string | string[]; class?: unknown };
        if (m.class !== undefined) return false;
        if (m.tool === undefined) return true;
        return ([] as string[]).concat(m.tool).some((t) => /[*?]/.test(t) || !Object.hasOwn(TOOLS, t));
      };
      const blocks = (p: { src: Record<string, unknown> }): boolean => p.src["default"] === "BLOCK";
      const parentBlocks = parents.some(blocks);
      const childRuleList = child["rules"] as Array<Record<string, unknown>>;
      // One parent's catch-all ALLOW would open what the other blocks by default.
      const parentWidens = parents.some((b) => blocks(b) && parents.some((o) => o !== b && o.src.rules.some(widens)));
      // A child ESCALATE rule outranking an inherited one would take over its approval.
      const tier = (rule: Record<string, unknown>): number => (typeof rule["priority"] === "number" ? rule["priority"] : 0);
      const escalates = (rule: Record<string, unknown>): boolean => rule["verdict"] === "ESCALATE" && rule["shadow"] !== true;
      const inheritedTiers = parents.flatMap((p) => p.src.rules.filter(escalates).map(tier));
      const outranks = inheritedTiers.length > 0 && childRuleList.some((x) => escalates(x) && tier(x) > Math.min(...inheritedTiers));
      if (!r.ok) {
        // The only refusals allowed here: a child loosening the parents' default, allowing past it, or taking over
        // a parent's approval; or one parent allowing past another's default.
        assert.ok(r.diagnostics.filter((d) => d.severity === "error").every((d) => d.code === "WEAKENS_PARENT"), JSON.stringify(r.diagnostics));
        assert.ok(childDefault === "ALLOW" || (parentBlocks && childRuleList.some(widens)) || parentWidens || outranks, JSON.stringify(r.diagnostics));
        return;
      }
      if (parentBlocks) assert.ok(!childRuleList.some(widens), "a child ALLOW past the parent's default BLOCK compiled");
      assert.ok(!parentWidens, "one parent's ALLOW past another parent's default BLOCK compiled");
      assert.ok(!outranks, "a child ESCALATE rule outranking a parent's compiled");
      const c = decide(r.policy, action);
      for (const pp of parents) {
        const p = decide(compileOk(pp.src), action);
        const own = (code: string): boolean => code === "MODIFY_FAILED" || code === "MODIFY_NOT_ALLOWED";
        for (const reason of p.reasons) {
          if (reason.verdict === "ALLOW" || reason.rule === "default" || reason.rule === "engine" || own(reason.code)) continue;
          assert.ok(c.reasons.some((x) => x.rule === reason.rule && x.verdict === reason.verdict), `parent rule \`${reason.rule}\` (${reason.verdict}) did not fire in the child`);
        }
        if (p.reasons.some((x) => x.verdict === "BLOCK" && x.rule !== "default" && !own(x.code))) assert.equal(c.verdict, "BLOCK");
        if (p.verdict === "BLOCK" && p.reasons[0]?.rule === "default") {
          assert.ok(c.verdict !== "ALLOW" || c.reasons.some((x) => x.verdict === "ALLOW" && x.rule !== "default" && !x.rule.startsWith(pp.prefix)), "only an ALLOW rule of the child (or another parent) can allow what a parent's default blocked");
        }
        // The approval obligation stays a parent's when a parent's ESCALATE rule fired.
        if (p.obligations.approval !== null) assert.ok(c.obligations.approval !== null && !c.obligations.approval.rule.startsWith("c"), `a child rule took over parent approval: ${JSON.stringify(c.obligations.approval)}`);
      }
    }),
    { numRuns: RUNS },
  );
});

// Regression (review): `default: ALLOW` in a child was refused, but a catch-all ALLOW rule did the same.
test("a child cannot ALLOW past a parent's default BLOCK with a catch-all, a glob or an undeclared tool; declared tools it can", () => {
  const parent = { id: "parent", version: "1", default: "BLOCK", tools: { t: "read" }, rules: [{ id: "t-ok", match: { tool: "t" }, verdict: "ALLOW" }] };
  const child = (extra: Record<string, unknown>, rule: Record<string, unknown>) =>
    compilePolicy(JSON.stringify({ id: "c", version: "2", extends: "parent.json", ...extra, rules: [{ id: "wide", verdict: "ALLOW", ...rule }] }), { file: "c.json", readFile: () => JSON.stringify(parent) });
  for (const rule of [{ match: { tool: "*" }, priority: 100 }, {}, { match: { tool: "rm_*" } }, { match: { tool: "rm_rf" } }, { match: { kind: "message" } }, { match: { tool: ["t", "rm_rf"] } }]) {
    const r = child({}, rule);
    assert.equal(r.ok, false, JSON.stringify(rule));
    assert.ok(!r.ok && r.diagnostics.some((d) => d.code === "WEAKENS_PARENT" && d.span?.path === "rules.0.match" && /would ALLOW/.test(d.message)), JSON.stringify(!r.ok && r.diagnostics));
  }
  for (const [extra, rule] of [[{}, { match: { tool: "t" } }], [{}, { match: { class: "read" } }], [{ tools: { deploy: "exec" } }, { match: { tool: "deploy" } }], [{}, { match: { tool: "*" }, shadow: true }]] as const) {
    const r = child(extra, rule);
    assert.ok(r.ok, `${JSON.stringify(rule)}: ${JSON.stringify(!r.ok && r.diagnostics)}`);
  }
  const undeclared = { kind: "tool_call", tool: "rm_rf" };
  const ok = child({ tools: { deploy: "exec" } }, { match: { tool: "deploy" } });
  assert.ok(ok.ok);
  assert.equal(decide(ok.policy, undeclared).verdict, "BLOCK");
});

// Regression, fixed in the engine after this test found it — design gap: compose.ts only compares verdict ranks when a child overrides a parent rule id; an ESCALATE/THROTTLE/SANDBOX rule can be replaced by the same verdict with a `when` that never matches or a budget of 1e6/ms
test("a child cannot weaken a parent's non-BLOCK restriction by overriding the rule with a narrower condition or laxer obligation", () => {
  const parent = { id: "parent", version: "1", default: "BLOCK", tools: { pay: "write" }, rules: [
    { id: "allow-pay", match: { tool: "pay" }, verdict: "ALLOW" },
    { id: "big", match: { tool: "pay" }, when: { field: "args.amount", gt: 10000 }, verdict: "ESCALATE", code: "BIG", approval: { group: "cfo" } },
  ] };
  const child = { id: "child", version: "2", extends: "parent.json", rules: [
    { id: "big", match: { tool: "pay" }, when: { field: "args.amount", gt: 1e12 }, verdict: "ESCALATE", code: "BIG", approval: { group: "nobody" } },
  ] };
  const r = compilePolicy(JSON.stringify(child), { file: "child.json", readFile: () => JSON.stringify(parent) });
  // Composition is add-only: replacing any parent rule is refused.
  assert.equal(r.ok, false, "the child replaced the parent's ESCALATE rule with a narrower one");
  assert.ok(r.diagnostics.some((d) => d.code === "WEAKENS_PARENT" && d.severity === "error" && d.span !== undefined));
});

// ---------------------------------------------------------------------------------------------
// The compiler fails closed: broken policies give diagnostics (code, message, file:line:col), never exceptions.

function paths(v: unknown, at: string[] = [], out: string[][] = []): string[][] {
  out.push(at);
  if (typeof v === "object" && v !== null) for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...at, k], out);
  return out;
}

function mutateSource(src: unknown, path: string[], value: unknown, del: boolean): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(src) as Record<string, unknown>;
  let o: Record<string, unknown> = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  if (del) {
    if (Array.isArray(o)) o.splice(Number(last), 1);
    else delete o[last];
  } else o[last] = value;
  return copy;
}

test("mutated policies never make the compiler throw; every error has a code, a message and a position", () => {
  const junk = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    pick<unknown>(["", "1h", "10 kB", "0.75 mg/m2", "furlongs", "*", "a.b..c", "args.__proto__", "__proto__", "(", "BLOCK", "ALLOW", -1, 1e21, 0.1, 2 ** 53 + 1, "10000.0000000000000001", [], {}, null, true]),
  );
  fc.assert(
    fc.property(policyArb({ structural: true }), fc.nat(), junk, fc.boolean(), fc.boolean(), (src, i, value, del, yaml) => {
      const all = paths(src);
      const path = all[i % all.length] as string[];
      const mutated = mutateSource(src, path, value, del);
      const text = yaml ? toYaml(mutated) : JSON.stringify(mutated);
      let r: ReturnType<typeof compilePolicy>;
      try {
        r = compilePolicy(text, { file: yaml ? "m.yaml" : "m.json" });
      } catch (e) {
        assert.fail(`compilePolicy threw on ${text.slice(0, 300)}: ${e instanceof Error ? e.stack : String(e)}`);
      }
      for (const d of r.diagnostics) {
        assert.ok(/^[A-Z][A-Z0-9_]+$/.test(d.code), `diagnostic code \`${d.code}\``);
        assert.ok(d.message.length > 0);
        if (d.severity === "error") assert.ok(d.span && d.span.line >= 1 && d.span.col >= 1 && d.span.file === (yaml ? "m.yaml" : "m.json"), `error without a position: ${JSON.stringify(d)}`);
      }
      if (!r.ok) assert.ok(r.diagnostics.some((d) => d.severity === "error"), "a refused policy says why");
      else {
        // Whatever compiled must decide without throwing.
        decide(r.policy, { kind: "tool_call", tool: "pay", args: { n: 1 } });
      }
    }),
    { numRuns: RUNS * 2 },
  );
});

test("random text never makes the compiler throw", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "binary", maxLength: 100 }), fc.jsonValue().map((v) => JSON.stringify(v)), fc.jsonValue().map((v) => toYaml(v))), (text) => {
      let r: ReturnType<typeof compilePolicy>;
      try {
        r = compilePolicy(text, { file: "t.yaml" });
      } catch (e) {
        assert.fail(`compilePolicy threw on ${JSON.stringify(text).slice(0, 200)}: ${e instanceof Error ? e.message : String(e)}`);
      }
      assert.equal(r.ok, false);
      assert.ok(r.diagnostics.some((d) => d.severity === "error" && d.code.length > 0));
    }),
    { numRuns: RUNS * 2 },
  );
});

// ---------------------------------------------------------------------------------------------
// Action times: `at` drives every throttle window, so it must parse exactly.

// Regression, fixed in the engine after this test found it — engine bug: action-check.ts parseTime uses Date.UTC, which maps years 0000-0099 to 1900-1999 (`0026-03-02T10:00:00Z` == `1926-03-02T10:00:00Z`), and accepts offsets such as `+99:99` and `+24:00`
test("RFC 3339 times parse to the same instant as an independent reading, for every year and offset", async () => {
  const { parseTime } = await import("../src/engine/action-check.js");
  const two = (n: number) => String(n).padStart(2, "0");
  fc.assert(
    fc.property(
      fc.date({ min: new Date("0000-01-01T00:00:00.000Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true }),
      fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
      (date, offsetMin) => {
        const t = date.getTime();
        const local = new Date(t + offsetMin * 60_000);
        if (local.getUTCFullYear() < 0 || local.getUTCFullYear() > 9999) return;
        const sign = offsetMin < 0 ? "-" : "+";
        const abs = Math.abs(offsetMin);
        const text = `${String(local.getUTCFullYear()).padStart(4, "0")}-${two(local.getUTCMonth() + 1)}-${two(local.getUTCDate())}T${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())}.${String(local.getUTCMilliseconds()).padStart(3, "0")}${offsetMin === 0 ? "Z" : `${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`}`;
        assert.equal(parseTime(text), t, text);
      },
    ),
    { numRuns: RUNS * 3 },
  );
  for (const bad of ["2026-03-02T10:00:00+99:99", "2026-03-02T10:00:00+24:00", "2026-03-02T10:00:00+05:60"]) assert.equal(parseTime(bad), undefined, bad);
});

// ---------------------------------------------------------------------------------------------
// Obligations merge restrictively.

// Regression, fixed in the engine after this test found it — engine gap: obligations.ts mergeSandboxes skips empty allow lists when intersecting ("unspecified"), so a profile that allows no paths/hosts/env merged with one that allows /workspace ends up allowing /workspace; docs/semantics.md says allow lists intersect, and the IR cannot tell an empty list from an absent one
test("merged sandbox profiles allow no more than any fired profile (an empty allow list allows nothing)", () => {
  const p = compileOk({ id: "sb", version: "1", default: "ALLOW", rules: [
    { id: "workspace", verdict: "SANDBOX", code: "WS", sandbox: { filesystem: { allow: ["/workspace"] }, network: { allow: ["pypi.org"] }, env: { allow: ["PATH"] } } },
    { id: "lockdown", when: { field: "args.untrusted", eq: true }, verdict: "SANDBOX", code: "LOCKDOWN", sandbox: { filesystem: { allow: [] }, network: { allow: [], deny: ["*"] }, env: { allow: [] } } },
  ] });
  const sb = decide(p, { kind: "tool_call", tool: "x", args: { untrusted: true } }).obligations.sandbox;
  assert.ok(sb);
  assert.deepEqual(sb.filesystem.allow, [], "lockdown allows no filesystem path");
  assert.deepEqual(sb.network.allow, [], "lockdown allows no host");
  assert.deepEqual(sb.env.allow, [], "lockdown passes no environment variable");
});

test("merged sandbox profiles: allows are within every profile's allows, denies and read-only paths are the union", () => {
  const list = fc.subarray(["/workspace", "/tmp", "/usr", "/etc", "/home"], { minLength: 1 });
  const profile = fc.record({ filesystem: fc.record({ allow: list, read_only: fc.subarray(["/usr", "/opt"]), deny: fc.subarray(["/etc/secrets", "/root"]) }), network: fc.record({ allow: fc.subarray(["a.example", "b.example", "pypi.org"], { minLength: 1 }), deny: fc.subarray(["*", "evil.example"]) }) });
  fc.assert(
    fc.property(fc.array(profile, { minLength: 1, maxLength: 4 }), (profiles) => {
      const p = compileOk({ id: "sb", version: "1", default: "ALLOW", rules: profiles.map((sandbox, i) => ({ id: `s${i}`, verdict: "SANDBOX", code: `S_${i}`, sandbox })) });
      const sb = decide(p, { kind: "tool_call", tool: "x" }).obligations.sandbox;
      assert.ok(sb);
      for (const x of sb.filesystem.allow) assert.ok(profiles.every((q) => q.filesystem.allow.includes(x)), `${x} is allowed by the merge but not by every profile`);
      for (const x of sb.network.allow) assert.ok(profiles.every((q) => q.network.allow.includes(x)));
      const union = (f: (q: (typeof profiles)[number]) => string[]) => [...new Set(profiles.flatMap(f))].sort();
      assert.deepEqual([...sb.filesystem.deny].sort(), union((q) => q.filesystem.deny));
      assert.deepEqual([...sb.filesystem.readOnly].sort(), union((q) => q.filesystem.read_only));
      assert.deepEqual([...sb.network.deny].sort(), union((q) => q.network.deny));
    }),
    { numRuns: RUNS },
  );
});

test("example policies compile to the same artifact bytes in another process and in any compile order", async () => {
  const { readdirSync, readFileSync } = await import("node:fs");
  const { spawnSync } = await import("node:child_process");
  const { createHash } = await import("node:crypto");
  // Policies with `scan:` conditions are left out: building the rule packs' automata costs seconds per process, and
  // the scanner's own tests cover artifact determinism for them. A `matches` pattern is small and stays in.
  const files = readdirSync("examples/policies")
    .filter((f) => f.endsWith(".yaml") && !f.endsWith(".test.yaml"))
    .filter((f) => !/\bscan:/.test(readFileSync(`examples/policies/${f}`, "utf8")))
    .sort();
  assert.ok(files.length >= 5, `compared ${files.length} example policies`);
  const digest = (order: string[]) => {
    const out: Record<string, string> = {};
    for (const f of order) {
      const r = compilePolicy(readFileSync(`examples/policies/${f}`, "utf8"), { file: `examples/policies/${f}`, readFile: (p) => readFileSync(p, "utf8") });
      assert.ok(r.ok, f);
      out[f] = `${r.policy.hash} ${createHash("sha256").update(r.policy.artifact).digest("hex")}`;
    }
    return out;
  };
  const forward = digest(files);
  assert.deepEqual(digest([...files].reverse()), forward, "compile order changed an artifact");
  const script = `import { readFileSync } from "node:fs"; import { createHash } from "node:crypto"; import { compilePolicy } from "./src/index.ts";
    const out = {}; for (const f of ${JSON.stringify([...files].reverse())}) { const r = compilePolicy(readFileSync("examples/policies/" + f, "utf8"), { file: "examples/policies/" + f, readFile: (p) => readFileSync(p, "utf8") }); out[f] = r.policy.hash + " " + createHash("sha256").update(r.policy.artifact).digest("hex"); }
    process.stdout.write(JSON.stringify(out));`;
  const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout), forward, "another process compiled different bytes");
});

function windowInvariant(modes: string[]) {
  return fc.property(
      pick(modes),
      fc.integer({ min: 1, max: 4 }),
      pick(["1s", "1min"]),
      fc.integer({ min: 1, max: 3 }),
      fc.array(fc.integer({ min: 0, max: 180_000 }), { minLength: 1, maxLength: 40 }),
      (mode, limit, per, burst, offsets) => {
        const perMs = PERS[per] as number;
        const throttle: Record<string, unknown> = { limit, per, window: mode };
        if (mode === "gcra") throttle["burst"] = burst;
        const p = compileOk({ id: "t", version: "1", default: "ALLOW", rules: [{ id: "budget", verdict: "THROTTLE", code: "BUDGET", throttle }] });
        const store = new MemoryThrottleStore();
        const base = Date.UTC(2026, 2, 2, 10, 0, 0);
        const allowed: number[] = [];
        for (const off of offsets) {
          const d = decide(p, { kind: "tool_call", tool: "x", at: new Date(base + off).toISOString(), agent: { id: "a" } }, { throttle: store });
          store.commit(d);
          if (d.verdict === "ALLOW") allowed.push(base + off);
          else assert.ok(d.obligations.retryAfterMs > 0);
        }
        allowed.sort((x, y) => x - y);
        const where = `${mode} ${limit}/${per} burst ${burst}, allowed at ${allowed.map((x) => x - base).join(", ")}`;
        if (mode === "sliding") {
          // No window of length `per` holds more than `limit` allowed calls.
          for (let i = 0; i + limit < allowed.length; i++) assert.ok((allowed[i + limit] as number) - (allowed[i] as number) >= perMs, where);
        } else if (mode === "calendar") {
          const counts = new Map<number, number>();
          for (const t of allowed) counts.set(Math.floor(t / perMs), (counts.get(Math.floor(t / perMs)) ?? 0) + 1);
          for (const n of counts.values()) assert.ok(n <= limit, where);
        } else {
          // GCRA: any interval [t1, t2] holds at most burst + (t2 - t1) / interval allowed calls.
          const interval = perMs / limit;
          for (let i = 0; i < allowed.length; i++) {
            for (let j = i; j < allowed.length; j++) {
              assert.ok(j - i + 1 <= burst + Math.floor(((allowed[j] as number) - (allowed[i] as number)) / interval + 1e-9), where);
            }
          }
        }
      },
    );
}

test("gcra rates hold in every interval whatever order the call times arrive in", () => {
  fc.assert(windowInvariant(["gcra"]), { numRuns: RUNS });
});

// Regression, fixed in the engine after this test found it — engine gap: the calendar store keeps one window per key, so a call stamped in an earlier window resets it: limit 1 per 1s, calls at +120000, +0, +120000 ms are all allowed (two in one window)
test("a calendar budget holds in every window whatever order the call times arrive in", () => {
  fc.assert(windowInvariant(["calendar"]), { numRuns: RUNS });
});

// Regression, fixed in the engine after this test found it — engine gap: the sliding store keeps only the last `limit` allowed times, so a backdated call cannot see an earlier allowed call that was trimmed: limit 1 per 1s, calls at +0, +1000, +0 ms are all allowed (two in [0, 1000))
test("a sliding budget holds in every window whatever order the call times arrive in", () => {
  fc.assert(windowInvariant(["sliding"]), { numRuns: RUNS });
});

test("loadCompiled refuses an artifact whose policy is not valid IR, even when its hash matches", async () => {
  const { readFileSync } = await import("node:fs");
  const base = compilePolicy(readFileSync("examples/policies/finance.yaml", "utf8"), { file: "finance.yaml" });
  assert.ok(base.ok);
  const tampered = (edit: (ir: Record<string, any>) => void): string => {
    const doc = JSON.parse(base.policy.artifact) as { policy: Record<string, any>; hash: string };
    edit(doc.policy);
    doc.hash = policyHash(doc.policy as never);
    return JSON.stringify(doc);
  };
  const edits: Array<[string, (ir: Record<string, any>) => void]> = [
    ["unknown operator", (ir) => { ir["rules"][0].when = { field: "args.amount", op: "newer_op", arg: { kind: "none" }, ignoreCase: false }; }],
    ["unknown verdict", (ir) => { ir["rules"][2].verdict = "MAYBE"; }],
    ["unknown default", (ir) => { ir["default"] = "MAYBE"; }],
    ["missing list", (ir) => { delete ir["lists"].counterparties; }],
    ["rules not a list", (ir) => { ir["rules"] = {}; }],
  ];
  for (const [what, edit] of edits) assert.throws(() => loadCompiled(tampered(edit)), ArtifactError, `${what} was accepted`);
});

test("decisions have one mutability contract, whatever rules fired", async () => {
  const { readFileSync } = await import("node:fs");
  const r = compilePolicy(readFileSync("examples/policies/finance.yaml", "utf8"), { file: "finance.yaml" });
  assert.ok(r.ok);
  const staticOnly = decide(r.policy, { kind: "tool_call", tool: "payments.send", agent: { role: "operator" }, args: { amount: 1, counterparty: "globex" } });
  const templated = decide(r.policy, { kind: "tool_call", tool: "payments.send", agent: { role: "operator" }, args: { amount: 1, counterparty: "evil" } });
  assert.equal(Object.isFrozen(staticOnly), Object.isFrozen(templated), `frozen: ${Object.isFrozen(staticOnly)} vs ${Object.isFrozen(templated)}`);
});

test("a calendar straggler stamped just before the window turned is judged against that (empty) window, not refused", () => {
  const p = compileOk({ id: "t", version: "1", default: "ALLOW", rules: [{ id: "b", verdict: "THROTTLE", code: "B", throttle: { limit: 1, per: "1h", window: "calendar" } }] });
  const store = new MemoryThrottleStore();
  const call = (at: string) => {
    const d = decide(p, { kind: "tool_call", tool: "x", at, agent: { id: "a" } }, { throttle: store });
    store.commit(d);
    return d.verdict;
  };
  assert.equal(call("2026-03-02T11:00:10Z"), "ALLOW");
  assert.equal(call("2026-03-02T10:59:50Z"), "ALLOW", "the 10:00 window holds no call yet");
  assert.equal(call("2026-03-02T10:59:55Z"), "THROTTLE");
});

test("replaying a decision with its recorded throttle state reproduces it exactly, in and out of time order", () => {
  fc.assert(
    fc.property(policyArb({ structural: true }), fc.array(fc.tuple(actionArb, fc.integer({ min: -90_000, max: 90_000 })), { minLength: 1, maxLength: 12 }), (src, steps) => {
      const p = compileOk(src);
      const store = new MemoryThrottleStore();
      const base = Date.UTC(2026, 2, 2, 10, 0, 0);
      for (const [action, off] of steps) {
        const a = "at" in action ? { ...action, at: new Date(base + off).toISOString() } : action;
        const d = decide(p, a, { throttle: store });
        store.commit(d);
        assert.deepEqual(decide(p, a, replayState(d.state)), d);
      }
    }),
    { numRuns: RUNS },
  );
});

test("clamp reads exact decimal strings as numbers, as conditions do", () => {
  const p = compileOk({ id: "c", version: "1", default: "ALLOW", rules: [{ id: "cap", verdict: "MODIFY", code: "CAP", modify: [{ clamp: "args.limit", max: 100 }] }] });
  const d = decide(p, { kind: "tool_call", tool: "x", args: { limit: "500" } });
  assert.equal(d.verdict, "MODIFY", d.reasons.map((r) => r.message).join("; "));
  assert.equal((d.obligations.modify?.action.args as Record<string, unknown>)["limit"], 100);
  assert.equal(decide(p, { kind: "tool_call", tool: "x", args: {} }).verdict, "MODIFY");
});
