// Hostile actions under default-BLOCK policies: random, huge, deep, non-finite, numeric-string, list-for-scalar and
// prototype-key inputs never throw, never ALLOW unless valid data legitimately matched an ALLOW rule, and always explain.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { canonicalize, compilePolicy, decide, decideLinear, explainDecision, MemoryThrottleStore, type CompiledPolicy, type Decision } from "../src/index.js";

function load(name: string): CompiledPolicy {
  const r = compilePolicy(readFileSync(`examples/policies/${name}.yaml`, "utf8"), { file: `${name}.yaml` });
  assert.ok(r.ok, `examples/policies/${name}.yaml compiles`);
  return r.policy;
}
const finance = load("finance");
const ENFORCING = ["finance", "research", "clinical", "shell", "mcp-filesystem"].map((n) => [n, load(n)] as const);
const RUNS = Number(process.env["WARDEN_PROP_RUNS"] ?? 300);

/** Decides with both evaluators; they must agree, and the decision must explain itself and serialize. */
function check(policy: CompiledPolicy, action: unknown, maxBytes = 20_000): Decision {
  let d: Decision;
  let l: Decision;
  try {
    d = decide(policy, action);
    l = decideLinear(policy, action);
  } catch (e) {
    assert.fail(`decide() threw: ${e instanceof Error ? e.stack : String(e)}`);
  }
  assert.deepEqual(l, d, "indexed and linear evaluators disagree");
  assert.ok(d.reasons.length > 0 || d.shadow.length > 0, "a decision always has a reason");
  if (d.verdict !== "ALLOW") {
    assert.ok(d.reasons.length > 0, `a ${d.verdict} decision has no reason`);
    for (const r of d.reasons) {
      assert.ok(typeof r.code === "string" && r.code.length > 0, "reason code is empty");
      assert.ok(typeof r.message === "string" && r.message.length > 0, "reason message is empty");
    }
    assert.ok(d.reasons.some((r) => r.verdict === d.verdict), `no reason carries the decisive verdict ${d.verdict}`);
  }
  // Decisions are recorded and sent over the wire: what the engine writes must serialize canonically and stay
  // small whatever the input size. (A MODIFY obligation's `action` is a copy of the input, so it is left out.)
  const modify = d.obligations.modify && { ...d.obligations.modify, action: "(copy of the input)" };
  const json = canonicalize({ ...d, obligations: { ...d.obligations, modify } });
  assert.ok(json.length < maxBytes, `decision is ${json.length} bytes; reasons must not echo huge inputs`);
  // `warden explain` prints this to terminals: plain lines, no control characters from the action.
  const text = explainDecision(d);
  assert.ok(text.length > 0);
  assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f]/, "explain output carries a control character");
  return d;
}

// ---------------------------------------------------------------------------------------------
// An independent oracle for finance.yaml: exactly when should an action be allowed?

const COUNTERPARTIES = new Set(["acme-corp", "globex", "initech", "umbrella", "hooli", "stark-industries", "wayne-enterprises", "wonka"]);
const KINDS = new Set(["tool_call", "model_call", "tool_result", "message"]);
const RFC3339 = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
/** RFC 3339 date-time with a real calendar date (no February 30th). */
function validTime(s: string): boolean {
  const m = RFC3339.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
}

const plain = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
};
const own = (o: Record<string, unknown>, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);

/** `amount <= 10000` exactly, for a finite number or a strict decimal string; undefined when not a number. */
function amountWithinLimit(v: unknown): boolean | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v <= 10000 : undefined;
  if (typeof v !== "string" || v.length > 820) return undefined;
  const m = /^([+-]?)(\d{1,400})(?:\.(\d{1,400}))?(?:[eE]([+-]?\d{1,6}))?$/.exec(v);
  if (!m) return undefined;
  const digits = BigInt((m[2] ?? "") + (m[3] ?? ""));
  if (digits === 0n || m[1] === "-") return true;
  const exp = Number(m[4] ?? "0") - (m[3] ?? "").length;
  // digits × 10^exp <= 10^4  <=>  digits <= 10^(4 - exp)
  if (4 - exp < 0) return false;
  if (4 - exp > 900) return true;
  return digits <= 10n ** BigInt(4 - exp);
}

function wellFormed(a: unknown): a is Record<string, unknown> {
  if (!plain(a)) return false;
  const kind = own(a, "kind");
  if (typeof kind !== "string" || !KINDS.has(kind)) return false;
  const tool = own(a, "tool");
  if (tool !== undefined && (typeof tool !== "string" || tool.length === 0 || tool.length > 256)) return false;
  if ((kind === "tool_call" || kind === "tool_result") && tool === undefined) return false;
  const at = own(a, "at");
  if (at !== undefined && (typeof at !== "string" || !validTime(at))) return false;
  const agent = own(a, "agent");
  if (agent !== undefined) {
    if (typeof agent !== "object" || agent === null || Array.isArray(agent)) return false;
    for (const k of ["id", "role"]) if (own(agent as Record<string, unknown>, k) !== undefined && typeof own(agent as Record<string, unknown>, k) !== "string") return false;
    const labels = own(agent as Record<string, unknown>, "labels");
    if (labels !== undefined && (typeof labels !== "object" || labels === null || Array.isArray(labels))) return false;
    if (labels !== undefined && Object.values(labels as Record<string, unknown>).some((v) => typeof v !== "string")) return false;
  }
  for (const k of ["args", "context"]) {
    const v = own(a, k);
    if (v !== undefined && (typeof v !== "object" || v === null || Array.isArray(v))) return false;
  }
  const text = own(a, "text");
  return text === undefined || typeof text === "string";
}

/** finance.yaml matches by tool class and name, not by kind: any well-formed kind naming a declared tool counts. */
function financeAllows(a: unknown): boolean {
  if (!wellFormed(a)) return false;
  const tool = own(a, "tool");
  if (tool !== "payments.send" && tool !== "ledger.update" && tool !== "ledger.read") return false;
  if (tool !== "ledger.read") {
    const agent = own(a, "agent") as Record<string, unknown> | undefined;
    const role = agent === undefined ? undefined : own(agent, "role");
    if (typeof role !== "string" || role === "viewer") return false;
  }
  if (tool === "payments.send") {
    const args = own(a, "args") as Record<string, unknown> | undefined;
    if (args === undefined) return false;
    const cp = own(args, "counterparty");
    if (typeof cp !== "string" || !COUNTERPARTIES.has(cp)) return false;
    if (amountWithinLimit(own(args, "amount")) !== true) return false;
  }
  return true;
}

function show(a: unknown): string {
  try {
    return String(JSON.stringify(a)).slice(0, 300);
  } catch {
    return String(a).slice(0, 300);
  }
}

// ---------------------------------------------------------------------------------------------

const PROTO_KEYS = ["__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf", "__defineGetter__", "__lookupGetter__"];
const FIELD_KEYS = ["kind", "tool", "agent", "role", "id", "labels", "args", "amount", "counterparty", "currency", "at", "text", "context"];
const hostileKey = fc.oneof(fc.constantFrom(...PROTO_KEYS, ...FIELD_KEYS), fc.string({ maxLength: 4 }));
const anythingHostile = fc.anything({
  key: hostileKey,
  stringUnit: "binary",
  maxDepth: 4,
  withNullPrototype: true,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
  withBigInt: true,
  withObjectString: true,
});

test("random values of any shape never throw and never ALLOW under default-BLOCK example policies", () => {
  fc.assert(
    fc.property(anythingHostile, (a) => {
      for (const [name, p] of ENFORCING) {
        const d = check(p, a);
        if (d.verdict !== "ALLOW") continue;
        if (name === "finance") assert.ok(financeAllows(a), `finance allowed ${show(a)}`);
        else assert.ok(wellFormed(a), `${name} allowed a malformed action ${show(a)}`);
      }
    }),
    { numRuns: RUNS * 2 },
  );
});

// Near-valid finance actions: every field drawn from valid values and hostile look-alikes.
const scalarJunk = fc.oneof(
  fc.constantFrom<unknown>(null, true, 0, -0, 1e400, -1e400, NaN, "", " ", "null", "undefined", "[object Object]", [], {}, [null], [[]], "\ud800", "a\udc00b", "\u001b[2J\r\n\u0007", "\u202eevil"),
  // Long astral text: echoed values are cut around 64 characters, right where a pair may straddle the cut.
  fc.string({ unit: "binary", minLength: 50, maxLength: 90 }),
);
const amountV = fc.oneof(
  fc.integer({ min: -5, max: 20_000 }),
  fc.constantFrom<unknown>(10000, 10000.000000000002, 9999.999999999998, "10000", "10000.0000000000000001", "9999.99", "1e4", "1.00000000000000000001e4", "+5000", "-0", "5e3", "1e-400", "1e400",
    " 5000", "5000 ", "5,000", "0x1388", "5_000", "\uff15\uff10\uff10\uff10", "5000\u0000", "Infinity", "-Infinity", "NaN", "", [5000], { value: 5000 }, "10000.", ".5", "1e1000000", "9".repeat(500)),
  scalarJunk,
);
const counterpartyV = fc.oneof(fc.constantFrom<unknown>(...COUNTERPARTIES, "ACME-CORP", "acme-corp ", " globex", "acme-corp\u0000", "acme\u2010corp", "evil-inc", ["acme-corp"], { toString: "acme-corp" }), scalarJunk);
const roleV = fc.oneof(fc.constantFrom<unknown>("operator", "admin", "viewer", "Viewer", "viewer ", "", ["operator"], { role: "operator" }), scalarJunk);
const toolV = fc.constantFrom<unknown>("payments.send", "ledger.update", "ledger.read", "payments.send ", "Payments.send", "payments.*", "ledger", "", "x".repeat(300), ["payments.send"], 5, null);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 4 });
const withProto = (o: Record<string, unknown>, nullProto: boolean, extra: string | undefined, extraValue: unknown): Record<string, unknown> => {
  const out: Record<string, unknown> = nullProto ? Object.create(null) : {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  if (extra !== undefined) Object.defineProperty(out, extra, { value: extraValue, enumerable: true, writable: true, configurable: true });
  return out;
};
const hostileObject = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.tuple(fc.record(fields, { requiredKeys: [] }), fc.boolean(), maybe(fc.constantFrom(...PROTO_KEYS)), fc.oneof(scalarJunk, fc.constant({ role: "admin", counterparty: "acme-corp", amount: 1, kind: "tool_call" })))
    .map(([o, nullProto, extra, v]) => withProto(o, nullProto, extra, v));

const financeAction = fc.oneof(
  hostileObject({
    kind: fc.constantFrom<unknown>("tool_call", "tool_call", "tool_call", "model_call", "Tool_call", ["tool_call"], null),
    tool: toolV,
    at: fc.constantFrom<unknown>("2026-03-02T10:00:00Z", "2026-03-02T10:00:00.123456789+02:00", "2026-02-30T10:00:00Z", "2024-02-29t10:00:00z", "2026-02-29T10:00:00Z", "2026-03-02 10:00:00", "", 0),
    agent: fc.oneof(hostileObject({ id: fc.constantFrom<unknown>("fin-7", 7, ""), role: roleV, labels: fc.constantFrom<unknown>({ env: "prod" }, [], "x", { env: 1 }, { env: ["prod"] }) }), scalarJunk),
    args: fc.oneof(hostileObject({ amount: amountV, counterparty: counterpartyV, currency: fc.constantFrom<unknown>("USD", 840, null) }), scalarJunk),
    text: fc.constantFrom<unknown>("pay", 5, null),
    context: fc.constantFrom<unknown>({}, { ip: "10.0.0.1" }, [], "ctx"),
  }),
  fc.constant(Object.create(null) as unknown),
  // A valid payment with exactly one field swapped for a hostile look-alike (so both outcomes are common).
  fc.tuple(fc.constantFrom("amount", "counterparty", "role", "tool", "at"), amountV, counterpartyV, roleV, toolV).map(([which, amount, counterparty, role, tool]) => {
    const a: Record<string, unknown> = { kind: "tool_call", tool: "payments.send", at: "2026-03-02T10:00:00Z", agent: { id: "fin-7", role: "operator" }, args: { amount: 100, currency: "USD", counterparty: "globex" } };
    if (which === "amount") a["args"] = { amount, currency: "USD", counterparty: "globex" };
    if (which === "counterparty") a["args"] = { amount: 100, currency: "USD", counterparty };
    if (which === "role") a["agent"] = { id: "fin-7", role };
    if (which === "tool") a["tool"] = tool;
    if (which === "at") a["at"] = amount;
    return a;
  }),
);

test("near-valid finance actions: decide() allows exactly what an independent oracle allows", () => {
  let allowed = 0;
  fc.assert(
    fc.property(financeAction, (a) => {
      const d = check(finance, a);
      const want = financeAllows(a);
      assert.equal(d.verdict === "ALLOW", want, `oracle says ${want ? "ALLOW" : "not ALLOW"}, decide() says ${d.verdict}: ${d.reasons.map((r) => `${r.code}: ${r.message}`).join("; ")}`);
      if (want) allowed++;
    }),
    { numRuns: RUNS * 10 },
  );
  assert.ok(allowed > 0, "the generator reaches some legitimately allowed actions");
});

test("numeric strings and non-finite numbers for an amount: exact decimals decide, anything else is never a permission", () => {
  const pay = (amount: unknown) => ({ kind: "tool_call", tool: "payments.send", agent: { id: "fin-7", role: "operator" }, args: { amount, currency: "USD", counterparty: "globex" } });
  const cases: Array<[unknown, string]> = [
    [5000, "ALLOW"], ["5000", "ALLOW"], ["+5000", "ALLOW"], ["5e3", "ALLOW"], ["1e-400", "ALLOW"], ["-0", "ALLOW"], ["10000.000", "ALLOW"],
    ["10000.0000000000000001", "ESCALATE"], ["1e400", "ESCALATE"], ["1.00000000000000000001e4", "ESCALATE"], [10000.000000000002, "ESCALATE"],
    [JSON.parse('{"v":1e400}').v, "ESCALATE"], [JSON.parse('{"v":-1e400}').v, "ESCALATE"], [NaN, "ESCALATE"],
    [" 5000", "ESCALATE"], ["5000 ", "ESCALATE"], ["5,000", "ESCALATE"], ["0x1388", "ESCALATE"], ["5_000", "ESCALATE"], ["\uff15\uff10\uff10\uff10", "ESCALATE"],
    ["5000\u0000", "ESCALATE"], ["Infinity", "ESCALATE"], ["NaN", "ESCALATE"], ["", "ESCALATE"], ["10000.", "ESCALATE"], [".5", "ESCALATE"],
    ["1e1000000", "ESCALATE"], ["9".repeat(1000), "ESCALATE"], [[5000], "ESCALATE"], [{ value: 5000 }, "ESCALATE"], [null, "ESCALATE"], [true, "ESCALATE"], [5000n, "ESCALATE"],
  ];
  for (const [amount, verdict] of cases) {
    const d = check(finance, pay(amount));
    assert.equal(d.verdict, verdict, `amount ${typeof amount === "string" ? JSON.stringify(amount).slice(0, 40) : String(amount)}: ${d.reasons.map((r) => r.message).join("; ")}`);
    if (verdict === "ESCALATE") assert.ok(d.reasons.some((r) => r.code === "AMOUNT_NEEDS_APPROVAL" && r.field === "args.amount"));
  }
});

test("lists and objects where scalars belong are never a permission", () => {
  const base = { kind: "tool_call", tool: "payments.send", agent: { id: "fin-7", role: "operator" }, args: { amount: 10, currency: "USD", counterparty: "globex" } };
  const variants: Array<[string, unknown]> = [
    ["kind", { ...base, kind: ["tool_call"] }],
    ["tool", { ...base, tool: ["payments.send"] }],
    ["agent.role", { ...base, agent: { id: "fin-7", role: ["operator"] } }],
    ["agent", { ...base, agent: [{ role: "operator" }] }],
    ["args", { ...base, args: [{ amount: 10, counterparty: "globex" }] }],
    ["args.counterparty", { ...base, args: { amount: 10, counterparty: ["globex"] } }],
    ["args.counterparty", { ...base, args: { amount: 10, counterparty: { name: "globex" } } }],
    ["args.amount", { ...base, args: { amount: [10], counterparty: "globex" } }],
    ["args.amount", { ...base, args: { amount: { value: 10 }, counterparty: "globex" } }],
  ];
  assert.equal(check(finance, base).verdict, "ALLOW");
  for (const [field, a] of variants) {
    const d = check(finance, a);
    assert.notEqual(d.verdict, "ALLOW", `a list or object for \`${field}\` was allowed`);
  }
});

test("prototype keys are plain data: JSON.parse'd __proto__/constructor/toString never grant anything", () => {
  const texts = [
    // A role, counterparty or amount hidden behind __proto__ is not the action's own data.
    '{"kind":"tool_call","tool":"ledger.update","agent":{"id":"x","__proto__":{"role":"operator"}}}',
    '{"kind":"tool_call","tool":"payments.send","agent":{"role":"operator"},"args":{"__proto__":{"counterparty":"globex","amount":1}}}',
    '{"kind":"tool_call","tool":"payments.send","agent":{"role":"operator"},"args":{"amount":1,"__proto__":{"counterparty":"globex"}}}',
    '{"__proto__":{"kind":"tool_call","tool":"ledger.read"}}',
    '{"kind":"tool_call","__proto__":{"tool":"ledger.read"}}',
    '{"kind":"tool_call","tool":"payments.send","agent":{"role":"operator"},"args":{"constructor":{"prototype":{"counterparty":"globex"}},"amount":1}}',
    '{"kind":"tool_call","tool":"payments.send","agent":{"role":"operator"},"args":{"toString":"globex","valueOf":1,"amount":1}}',
    '{"kind":"tool_call","tool":"payments.send","agent":{"role":"operator"},"args":{"hasOwnProperty":"x","counterparty":"hasOwnProperty","amount":1}}',
    '{"kind":"tool_call","tool":"toString"}',
    '{"kind":"tool_call","tool":"__proto__"}',
    '{"kind":"tool_call","tool":"constructor","agent":{"role":"constructor"}}',
    '{"kind":"constructor","tool":"ledger.read"}',
    '{"kind":"tool_call","tool":"hasOwnProperty","args":{"__proto__":null}}',
  ];
  for (const text of texts) {
    const a = JSON.parse(text) as unknown;
    const d = check(finance, a);
    assert.notEqual(d.verdict, "ALLOW", `${text} was allowed`);
    assert.equal(financeAllows(a), false);
  }
  // Own data next to a __proto__ key still counts: prototype keys do not break legitimate decisions either.
  const ok = JSON.parse('{"kind":"tool_call","tool":"payments.send","agent":{"role":"operator","__proto__":{"role":"viewer"}},"args":{"__proto__":{"amount":99999},"amount":1,"counterparty":"globex","constructor":"x"}}') as unknown;
  assert.equal(check(finance, ok).verdict, "ALLOW");
});

test("null-prototype objects are read like plain objects; class instances, boxed values and exotic objects are rejected", () => {
  const nullProto = (o: Record<string, unknown>): Record<string, unknown> => Object.assign(Object.create(null) as Record<string, unknown>, o);
  const a = nullProto({ kind: "tool_call", tool: "payments.send", agent: nullProto({ role: "operator" }), args: nullProto({ amount: 1, counterparty: "globex" }) });
  assert.equal(check(finance, a).verdict, "ALLOW");
  const b = nullProto({ kind: "tool_call", tool: "payments.send", agent: nullProto({ role: "operator" }), args: nullProto({ amount: 1 }) });
  assert.equal(check(finance, b).verdict, "BLOCK");
  class Action { kind = "tool_call"; tool = "ledger.read"; }
  const exotic: unknown[] = [new Action(), new Map([["kind", "tool_call"]]), new Date(0), Object("tool_call"), new Uint8Array(4), Object.create({ kind: "tool_call", tool: "ledger.read" }), () => ({}), Symbol("a"), 1n, undefined];
  for (const x of exotic) {
    const d = check(finance, x);
    assert.equal(d.verdict, "BLOCK");
    assert.equal(d.reasons[0]?.code, "INVALID_ACTION");
  }
});

test("a polluted Object.prototype is never read as action data", () => {
  const proto = Object.prototype as Record<string, unknown>;
  const keys = ["role", "counterparty", "amount", "kind", "tool", "args", "agent"];
  try {
    Object.assign(proto, { role: "operator", counterparty: "globex", amount: 1, kind: "tool_call", tool: "ledger.read", args: { counterparty: "globex", amount: 1 }, agent: { role: "operator" } });
    const cases: unknown[] = [
      {},
      { kind: "tool_call", tool: "payments.send" },
      { kind: "tool_call", tool: "payments.send", agent: {}, args: {} },
      { kind: "tool_call", tool: "ledger.update", agent: { id: "x" } },
    ];
    for (const a of cases) assert.notEqual(check(finance, a).verdict, "ALLOW", `${JSON.stringify(a)} was allowed through a polluted prototype`);
  } finally {
    for (const k of keys) delete proto[k];
  }
  assert.equal(({} as Record<string, unknown>)["role"], undefined, "prototype restored");
});

test("accessors and proxies that throw become BLOCK RUNTIME_ERROR, never an exception or an ALLOW", () => {
  const throwing = { kind: "tool_call", tool: "payments.send", agent: { role: "operator" } } as Record<string, unknown>;
  Object.defineProperty(throwing, "args", { enumerable: true, get() { throw new Error("boom from a getter"); } });
  const proxy = new Proxy({ kind: "tool_call", tool: "ledger.read" }, { get() { throw new Error("boom from a proxy"); }, getOwnPropertyDescriptor() { throw new Error("boom"); }, has() { throw new Error("boom"); } });
  const revoked = Proxy.revocable({ kind: "tool_call", tool: "ledger.read" }, {});
  revoked.revoke();
  for (const a of [throwing, proxy, revoked.proxy]) {
    const d = check(finance, a);
    assert.equal(d.verdict, "BLOCK");
    assert.ok(["RUNTIME_ERROR", "INVALID_ACTION"].includes(d.reasons[0]?.code ?? ""), `got ${d.reasons[0]?.code}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Size and depth.

function deepObject(depth: number, leaf: unknown): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}
function deepArray(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

test("a 10 MB action is decided without crashing; huge values never reach the reasons", { timeout: 120_000 }, () => {
  const big = "x".repeat(10 * 1024 * 1024);
  const op = { kind: "tool_call", tool: "payments.send", agent: { id: "fin-7", role: "operator" } };
  // Valid data plus a 10 MB memo: legitimately allowed.
  assert.equal(check(finance, { ...op, args: { amount: 1, counterparty: "globex", memo: big } }).verdict, "ALLOW");
  // 10 MB in every field a rule reads.
  assert.equal(check(finance, { ...op, args: { amount: 1, counterparty: big } }).verdict, "BLOCK");
  assert.equal(check(finance, { ...op, args: { amount: "1".repeat(10 * 1024 * 1024), counterparty: "globex" } }).verdict, "ESCALATE");
  assert.equal(check(finance, { ...op, agent: { id: big, role: big } }).verdict, "BLOCK");
  assert.equal(check(finance, { kind: "tool_call", tool: big }).reasons[0]?.code, "INVALID_ACTION");
  // 10 MB of JSON spread over many keys and list items, parsed like an interception point would.
  const items = Array.from({ length: 100_000 }, (_, i) => ({ id: i, note: "y".repeat(80) }));
  const text = JSON.stringify({ ...op, args: { amount: 1, counterparty: "globex", items } });
  assert.ok(text.length > 10_000_000, `test input is ${text.length} bytes`);
  assert.equal(check(finance, JSON.parse(text)).verdict, "ALLOW");
  const wide = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, i]));
  assert.notEqual(check(finance, { ...op, args: wide }).verdict, "ALLOW");
  // Every enforcing example, fed 10 MB strings in its fields.
  for (const [, p] of ENFORCING) {
    const d = check(p, { kind: "tool_call", tool: big.slice(0, 200), text: big, agent: { id: big }, args: { q: big, path: big, dose: big, drug: big, amount: big } });
    assert.equal(d.verdict, "BLOCK");
  }
});

test("a 10,000-level deep action never overflows the stack and is never allowed where a rule reads it", { timeout: 60_000 }, () => {
  const op = { kind: "tool_call", tool: "payments.send", agent: { id: "fin-7", role: "operator" } };
  assert.equal(check(finance, { ...op, args: { amount: deepObject(10_000, 1), counterparty: "globex" } }).verdict, "ESCALATE");
  assert.equal(check(finance, { ...op, args: { amount: 1, counterparty: deepArray(10_000) } }).verdict, "BLOCK");
  assert.equal(check(finance, { ...op, agent: deepObject(10_000, "operator") }).verdict, "BLOCK");
  // Deep data no rule reads does not change a legitimate decision.
  assert.equal(check(finance, { ...op, args: { amount: 1, counterparty: "globex", extra: deepObject(10_000, "z") } }).verdict, "ALLOW");
  // Parsed from 10,000-level JSON text, as it would arrive on the wire.
  const text = `{"kind":"tool_call","tool":"payments.send","agent":{"role":"operator"},"args":{"counterparty":"globex","amount":${"[".repeat(10_000)}1${"]".repeat(10_000)}}}`;
  assert.equal(check(finance, JSON.parse(text)).verdict, "ESCALATE");
  // Operators that measure whole values (sizes, lengths, scans) and throttle keys over deep values.
  const r = compilePolicy(JSON.stringify({
    id: "deep", version: "1", default: "BLOCK",
    rules: [
      { id: "ok", verdict: "ALLOW" },
      { id: "size", match: { tool: "size" }, when: { field: "args.body", larger_than: "1 MB" }, verdict: "BLOCK", code: "TOO_BIG" },
      { id: "len", match: { tool: "len" }, when: { field: "args.body", shorter_than: 5 }, verdict: "BLOCK", code: "TOO_SHORT" },
      { id: "has", match: { tool: "has" }, when: { field: "args.body", contains: "x" }, verdict: "BLOCK", code: "HAS_X" },
      { id: "scan", match: { tool: "scan" }, when: { field: "args.*", scan: "secrets" }, verdict: "BLOCK", code: "SECRET" },
      { id: "budget", match: { tool: "budget" }, verdict: "THROTTLE", code: "BUDGET", throttle: { limit: 1, per: "1h", key: ["args.body"] } },
      { id: "clamp", match: { tool: "clamp" }, verdict: "MODIFY", code: "CLAMP", modify: [{ clamp: "args.body", max: 1 }] },
    ],
  }), { file: "deep.json" });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostics));
  for (const depth of [10_000, 100_000]) {
    for (const body of [deepObject(depth, "x"), deepArray(depth)]) {
      for (const tool of ["size", "len", "has", "scan", "budget", "clamp"]) {
        const a = { kind: "tool_call", tool, at: "2026-03-02T10:00:00Z", args: { body } };
        const d = check(r.policy, a);
        // A first call within its budget, and a scan that finds no secret, are legitimately allowed.
        if (tool === "budget" || tool === "scan") continue;
        assert.notEqual(d.verdict, "ALLOW", `${tool} allowed a ${depth}-level ${Array.isArray(body) ? "list" : "object"}`);
      }
    }
  }
  // A secret at the bottom of a 100,000-level value is still found.
  const secret = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8";
  for (const body of [deepObject(100_000, secret), [deepArray(50_000), deepObject(50_000, secret)]]) {
    const d = check(r.policy, { kind: "tool_call", tool: "scan", args: { body } });
    assert.equal(d.verdict, "BLOCK");
    assert.equal(d.reasons[0]?.code, "SECRET");
  }
  const store = new MemoryThrottleStore();
  const a = { kind: "tool_call", tool: "budget", at: "2026-03-02T10:00:00Z", args: { body: deepObject(100_000, "k") } };
  store.commit(check(r.policy, a));
  assert.notEqual(decide(r.policy, a, { throttle: store }).verdict, "ALLOW", "a call over budget under a deep throttle key is never allowed");
});

// Regression: throttle keys used to JSON.stringify the whole value and overflow the stack (BLOCK RUNTIME_ERROR).
test("a 10,000-level value in a throttle key is counted like any other key, not an internal error", () => {
  const r = compilePolicy(JSON.stringify({ id: "k", version: "1", default: "BLOCK", rules: [{ id: "ok", verdict: "ALLOW" }, { id: "budget", verdict: "THROTTLE", code: "BUDGET", throttle: { limit: 1, per: "1h", key: ["args.body"] } }] }), { file: "k.json" });
  assert.ok(r.ok);
  const store = new MemoryThrottleStore();
  const a = { kind: "tool_call", tool: "t", at: "2026-03-02T10:00:00Z", args: { body: deepObject(10_000, "k") } };
  const first = check(r.policy, a);
  assert.equal(first.verdict, "ALLOW", first.reasons.map((x) => x.message).join("; "));
  store.commit(first);
  assert.equal(decide(r.policy, a, { throttle: store }).verdict, "THROTTLE");
});

// Regression: scan reasons used to carry the full concrete path (600 KB for one finding 100,000 levels down).
test("scan reasons stay small when the finding sits under a huge or very deep key path", () => {
  const r = compilePolicy(JSON.stringify({ id: "s", version: "1", default: "BLOCK", rules: [{ id: "ok", verdict: "ALLOW" }, { id: "scan", when: { field: "args.*", scan: "secrets" }, verdict: "BLOCK", code: "SECRET" }] }), { file: "s.json" });
  assert.ok(r.ok);
  const secret = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8";
  const longKey: Record<string, unknown> = { ["k".repeat(100_000)]: secret };
  for (const args of [{ body: deepObject(100_000, secret) }, longKey]) {
    const d = check(r.policy, { kind: "tool_call", tool: "x", args }, Infinity);
    assert.equal(d.verdict, "BLOCK");
    const bytes = canonicalize(d.reasons).length;
    assert.ok(bytes < 20_000, `reasons are ${bytes} bytes for one finding`);
  }
});

// ---------------------------------------------------------------------------------------------
// Text the engine echoes back must stay valid, recordable text.

// Regression, fixed in the engine after this test found it — engine bug: showValue (64 chars), throttle keys (256 chars) and the INVALID_ACTION kind message (40 chars) truncate with String.slice and can keep half of a surrogate pair; canonicalize() (used by the recorder) then throws `string holds a lone surrogate`
test("decisions stay canonicalizable (JCS) when an echoed value is cut inside a surrogate pair", () => {
  const emojiAt = (n: number) => `${"a".repeat(n)}\u{1F600}${"b".repeat(300)}`;
  const budget = compilePolicy(JSON.stringify({ id: "k", version: "1", default: "ALLOW", rules: [{ id: "budget", verdict: "THROTTLE", code: "B", throttle: { limit: 1, per: "1h", key: ["args.user"] } }] }), { file: "k.json" });
  assert.ok(budget.ok);
  const decisions: Array<[string, Decision]> = [
    ["reason message (finance counterparty)", decide(finance, { kind: "tool_call", tool: "payments.send", agent: { role: "operator" }, args: { amount: 1, counterparty: emojiAt(60) } })],
    ["throttle state key", decide(budget.policy, { kind: "tool_call", tool: "x", at: "2026-03-02T10:00:00Z", args: { user: emojiAt(255) } })],
    ["INVALID_ACTION message", decide(finance, { kind: "\u{1F600}".repeat(30) })],
  ];
  for (const [where, d] of decisions) assert.doesNotThrow(() => canonicalize(d), `${where}: the decision cannot be recorded`);
});

// Regression, fixed in the engine after this test found it — engine gap: values and tool names are echoed verbatim into messages (showValue, default reason), so an action can put ESC/CR/LF/BEL into `warden check`/`explain` output and forge log lines, and a lone surrogate makes the decision uncanonicalizable
test("reason messages never carry raw control characters or lone surrogates from the action", () => {
  const nasty = "evil`\n\u001b[2Jdecision: ALLOW\r\u0007\ud800";
  const ds = [
    decide(finance, { kind: "tool_call", tool: "payments.send", agent: { role: "operator" }, args: { amount: 1, counterparty: nasty } }),
    decide(finance, { kind: "tool_call", tool: `x${nasty}` }),
  ];
  for (const d of ds) {
    for (const r of d.reasons) {
      assert.doesNotMatch(r.message, /[\u0000-\u001f\u007f]/, `control character in: ${JSON.stringify(r.message)}`);
      assert.doesNotMatch(r.message, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, `lone surrogate in: ${JSON.stringify(r.message)}`);
    }
    assert.doesNotThrow(() => canonicalize(d));
  }
});

// A default-BLOCK policy reading hostile-looking fields with presence, membership, order and scan operators.
const probe = (() => {
  const r = compilePolicy(JSON.stringify({
    id: "probe", version: "1", default: "BLOCK", lists: { names: ["a", "b"] },
    rules: [
      { id: "allow-a", when: { field: "args.amount", lte: 10 }, verdict: "ALLOW" },
      { id: "has-x", when: { field: "args.x", exists: true }, verdict: "ESCALATE", code: "HAS_X" },
      { id: "no-role", when: { field: "agent.role", missing: true }, verdict: "MODIFY", code: "NO_ROLE", modify: [{ replace: "args.tagged", value: true }] },
      { id: "proto", when: { any: [{ field: "args.__proto__", exists: true }, { field: "args.constructor", eq: "x" }] }, verdict: "SANDBOX", code: "PROTO", sandbox: { network: { deny: ["*"] } } },
      { id: "names", when: { field: "args.counterparty", not_in: { list: "names" } }, verdict: "BLOCK", code: "NAME" },
      { id: "tags", when: { field: "args.tags", includes: "a" }, verdict: "BLOCK", code: "TAG" },
    ],
  }), { file: "probe.json" });
  assert.ok(r.ok);
  return r.policy;
})();

// Regression, fixed in the engine after this test found it — engine bug: the generated getters (fields.ts makeGetter) treat an own `undefined` as missing, readField/step (the linear interpreter, explain, templates) as present: `{ args: { x: undefined } }` with `exists: true` decides differently
test("own properties holding `undefined` read the same in both evaluators", () => {
  const a = { kind: "tool_call", tool: "t", agent: { role: undefined }, args: { x: undefined, amount: 1, counterparty: "a" } };
  assert.deepEqual(decide(probe, a), decideLinear(probe, a));
});

test("random values of any shape decide the same in both evaluators on a policy reading every kind of field", () => {
  const action = fc.record({ kind: fc.constantFrom("tool_call", "message"), tool: fc.constant("t"), agent: anythingHostile, args: fc.dictionary(fc.constantFrom("amount", "x", "counterparty", "tags", "__proto__", "constructor", "toString"), anythingHostile) }, { requiredKeys: ["kind", "tool"] });
  fc.assert(fc.property(fc.oneof(action, anythingHostile), (a) => void check(probe, a)), { numRuns: RUNS * 3 });
});

// Regression, fixed in the engine after this test found it — engine bug: generated getters (fields.ts makeGetter) only require own properties when the value equals Object.prototype's or is a function, so `args: Object.create({ counterparty: "globex", amount: 1 })` or a class instance with a `counterparty` getter is ALLOWed by decide() while decideLinear() BLOCKs; checkAction only rejects custom prototypes at the top level
test("inherited data on nested objects (custom prototypes, class getters) is never read as action data", () => {
  class Args {
    amount = 1;
    get counterparty(): string {
      return "globex";
    }
  }
  const actions: unknown[] = [
    { kind: "tool_call", tool: "payments.send", agent: { role: "operator" }, args: Object.create({ counterparty: "globex", amount: 1 }) },
    { kind: "tool_call", tool: "ledger.update", agent: Object.create({ role: "operator" }), args: {} },
    { kind: "tool_call", tool: "payments.send", agent: { role: "operator" }, args: new Args() },
  ];
  for (const a of actions) {
    const d = decide(finance, a);
    assert.deepEqual(d, decideLinear(finance, a), "the evaluators disagree");
    assert.notEqual(d.verdict, "ALLOW", "data only reachable through a prototype was used to allow");
  }
});

// ---------------------------------------------------------------------------------------------
// The throttle reader is the caller's (memory, Redis, replay): a failing or corrupt one must not break decide().

test("a throttle reader that throws or returns nothing blocks or throttles, never allows", () => {
  const research = ENFORCING.find(([n]) => n === "research")![1];
  const a = { kind: "tool_call", tool: "search", at: "2026-03-02T10:00:00Z", agent: { id: "r1" }, args: { q: "x" } };
  for (const reader of [{ read() { throw new Error("store unavailable"); } }, { read: () => undefined }, { read: () => null }]) {
    const d = check(research, { ...a });
    assert.equal(d.verdict, "ALLOW", "baseline without a reader");
    const e = decide(research, a, { throttle: reader as never });
    // Either an engine error or a throttle that treats the unreadable counter as exhausted: never a permission.
    assert.ok(e.verdict === "BLOCK" || e.verdict === "THROTTLE", `got ${e.verdict}`);
    if (e.verdict === "BLOCK") assert.equal(e.reasons[0]?.code, "RUNTIME_ERROR");
    else assert.ok(e.obligations.retryAfterMs > 0);
  }
});

// Regression, fixed in the engine after this test found it — engine gap: throttle.ts trusts the reader's view; `{ mode: sliding, count: 600, oldest: NaN }` yields THROTTLE with retryAfterMs NaN (not JSON, not canonicalizable)
test("a corrupt throttle counter gives a finite, positive retryAfterMs", () => {
  const research = ENFORCING.find(([n]) => n === "research")![1];
  const a = { kind: "tool_call", tool: "search", at: "2026-03-02T10:00:00Z", agent: { id: "r1" }, args: { q: "x" } };
  for (const view of [{ mode: "sliding", count: 600, oldest: NaN }, { mode: "sliding", count: 600, oldest: "x" }, { mode: "calendar", windowStart: NaN, count: 5 }, { mode: "gcra", tat: NaN }]) {
    const d = decide(research, a, { throttle: { read: () => view as never } });
    assert.ok(Number.isFinite(d.obligations.retryAfterMs) && d.obligations.retryAfterMs >= 0, `${JSON.stringify(view)}: retryAfterMs ${d.obligations.retryAfterMs}`);
    if (d.verdict === "THROTTLE") assert.ok(d.obligations.retryAfterMs > 0);
    assert.doesNotThrow(() => canonicalize(d.obligations));
  }
});

// Regression, fixed in the engine (deceb6a) after this test found it — engine gap: ignore_case folds with toLowerCase only, so clinical.yaml lets a 1.5 mg/m2 vincristine dose through when the drug is written in fullwidth letters (NFKC-equivalent), or with a soft hyphen (U+00AD) or zero-width space (U+200B) inside; consider NFKC + removal of default-ignorable code points on both sides
test("ignore_case matching is not evaded by compatibility forms or invisible characters", () => {
  const clinical = ENFORCING.find(([n]) => n === "clinical")![1];
  const variants = ["\uff56\uff49\uff4e\uff43\uff52\uff49\uff53\uff54\uff49\uff4e\uff45", "vin\u00adcristine", "vincris\u200btine", "VINCRISTINE\u200d",
    // a second review: characters the first hand-made list of invisibles missed, and Turkish capital/dotless i
    "vincris\u061ctine", "vincristine\ufe0f", "vin\u034fcristine", "vin\u3164cristine", "vin\uffa0cristine", "vin\u180bcristine", "vin\u206acristine",
    "vincristine\u{e0100}", "V\u0130NCR\u0130ST\u0130NE", "v\u0131ncr\u0131st\u0131ne",
    // and the lower-case form of the dotted capital (i + U+0307), as a non-Turkish toLowerCase() writes it
    "V\u0130NCR\u0130ST\u0130NE".toLowerCase(), "vi\u0307ncristine", "vi\u0307\u0307ncristine"];
  for (const drug of variants) {
    const d = decide(clinical, { kind: "tool_call", tool: "prescribe", agent: { id: "rx" }, args: { drug, dose: "1.5 mg/m2" } });
    assert.equal(d.verdict, "BLOCK", `${JSON.stringify(drug)} at 1.5 mg/m2 was ${d.verdict}`);
  }
});

test("scan conditions see data wherever JSON can carry it: numbers and object keys too", () => {
  const r = compilePolicy(JSON.stringify({ id: "s", version: "1", default: "ALLOW", rules: [
    { id: "pii", match: { tool: "pii" }, when: { field: "args.*", scan: "pii" }, verdict: "BLOCK", code: "PII" },
    { id: "secrets", match: { tool: "secrets" }, when: { field: "args.*", scan: "secrets" }, verdict: "BLOCK", code: "SECRET" },
  ] }), { file: "s.json" });
  assert.ok(r.ok);
  assert.equal(check(r.policy, { kind: "tool_call", tool: "pii", args: { card: "4111111111111111" } }).verdict, "BLOCK", "baseline: the string form is found");
  assert.equal(check(r.policy, { kind: "tool_call", tool: "pii", args: { card: 4111111111111111 } }).verdict, "BLOCK", "a card number sent as a JSON number");
  assert.equal(check(r.policy, { kind: "tool_call", tool: "secrets", args: { ["ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"]: true } }).verdict, "BLOCK", "a token used as an object key");
});

test("a missing or bogus policy object blocks (NO_POLICY / RUNTIME_ERROR), never throws", () => {
  const a = { kind: "tool_call", tool: "payments.send", agent: { role: "operator" }, args: { amount: 1, counterparty: "globex" } };
  for (const p of [null, undefined]) for (const f of [decide, decideLinear]) assert.equal(f(p, a).reasons[0]?.code, "NO_POLICY");
  for (const p of [{}, "policy", 5, { info: {}, ir: {} }, { ir: { lists: {}, default: "ALLOW", mode: "enforce" }, info: { id: "", version: "", hash: "" } }]) {
    for (const f of [decide, decideLinear]) {
      const d = f(p as never, a);
      assert.equal(d.verdict, "BLOCK");
      assert.equal(d.reasons[0]?.code, "RUNTIME_ERROR");
    }
  }
});

// A second review: a tool_result without `tool` skipped every rule matched by tool or class (ALLOW where the same
// action with its tool was BLOCKed); a tool result comes from a tool, so it must name it.
test("a tool_result action must name its tool: without it the rules on that tool could not apply", () => {
  const r = compilePolicy(`id: results\nversion: "1"\ndefault: BLOCK\ntools: { db.query: read }\nrules:\n  - { id: results-ok, match: { kind: tool_result }, verdict: ALLOW }\n  - id: too-many-rows\n    match: { tool: "db.*", kind: tool_result }\n    when: { field: result.rows, larger_than: 100 }\n    verdict: BLOCK\n    code: TOO_MANY_ROWS\n`, { file: "r.yaml" });
  assert.ok(r.ok, JSON.stringify(r.diagnostics));
  const result = { rows: Array.from({ length: 200 }, (_, i) => i) };
  for (const f of [decide, decideLinear]) {
    assert.equal(f(r.policy, { kind: "tool_result", tool: "db.query", result }).reasons[0]?.code, "TOO_MANY_ROWS");
    const d = f(r.policy, { kind: "tool_result", result });
    assert.equal(d.verdict, "BLOCK");
    assert.equal(d.reasons[0]?.code, "INVALID_ACTION");
    assert.equal(d.reasons[0]?.field, "tool");
    assert.match(d.reasons[0]?.message ?? "", /a tool_result action must name its `tool`/);
  }
});

test("ignore_case: a dot above dropped from i leaves the other marks composed (Lithuanian í lowercases to i + U+0307 + U+0301)", async () => {
  const { foldCase } = await import("../src/compile/leaf.js");
  assert.equal(foldCase("i\u0307\u0301"), foldCase("\u00ed"));
  assert.equal(foldCase("vi\u0307\u0307ncristine"), "vincristine");
});
