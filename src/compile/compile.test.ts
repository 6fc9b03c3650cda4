// Compiler diagnostics: every error has a code and points at the offending line and column.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicy } from "./compile.js";
import type { Diagnostic } from "../diagnostics.js";

const HEAD = "id: p\nversion: \"1\"\ndefault: BLOCK\n";

function errorsOf(src: string): Diagnostic[] {
  const r = compilePolicy(src, { file: "p.yaml" });
  assert.equal(r.ok, false, "expected a compile error");
  return r.diagnostics.filter((d) => d.severity === "error");
}

function expectError(src: string, code: string, line: number, col?: number): Diagnostic {
  const errs = errorsOf(src);
  const d = errs.find((e) => e.code === code);
  assert.ok(d, `expected ${code}, got ${errs.map((e) => `${e.code}@${e.span?.line}:${e.span?.col} ${e.message}`).join("; ")}`);
  assert.equal(d.span?.file, "p.yaml");
  assert.equal(d.span?.line, line, `line of ${code}: ${d.message}`);
  if (col !== undefined) assert.equal(d.span?.col, col, `column of ${code}`);
  assert.ok(d.message.length > 0);
  return d;
}

const rule = (body: string): string => `${HEAD}rules:\n  - id: r1\n    verdict: BLOCK\n    code: C1\n${body}`;

test("unknown operator names the operator, its line and column, and lists the valid ones", () => {
  const d = expectError(rule("    when: { field: args.x, greater: 5 }\n"), "UNKNOWN_OPERATOR", 8, 28);
  assert.match(d.message, /`greater`/);
  assert.match(d.help ?? "", /gt/);
});

test("unknown rule field suggests the closest one", () => {
  const d = expectError(`${HEAD}rules:\n  - id: r1\n    verdct: BLOCK\n`, "UNKNOWN_FIELD", 6, 5);
  assert.match(d.help ?? "", /verdict/);
});

test("non-finite numbers (.nan, .inf) are rejected", () => {
  expectError(rule("    when: { field: args.x, gt: .nan }\n"), "NON_FINITE_NUMBER", 8);
  expectError(rule("    when: { field: args.x, lt: .inf }\n"), "NON_FINITE_NUMBER", 8);
  expectError(rule("    when: { field: args.x, lt: 1e400 }\n"), "NON_FINITE_NUMBER", 8);
});

test("a number a double cannot hold exactly must be quoted", () => {
  const d = expectError(rule("    when: { field: args.amount, gt: 10000.0000000000000001 }\n"), "LOSSY_NUMBER", 8);
  assert.match(d.help ?? "", /quote/);
  assert.equal(compilePolicy(rule("    when: { field: args.amount, gt: \"10000.0000000000000001\" }\n")).ok, true);
});

test("empty conditions are errors", () => {
  expectError(rule("    when: { all: [] }\n"), "EMPTY_CONDITION", 8);
  expectError(rule("    when: { any: [] }\n"), "EMPTY_CONDITION", 8);
  expectError(rule("    when: { field: args.x }\n"), "EMPTY_CONDITION", 8);
});

test("type mismatches: ordering a string, a list where a scalar belongs", () => {
  expectError(rule("    when: { field: args.x, gt: abc }\n"), "TYPE_MISMATCH", 8);
  expectError(rule("    when: { field: args.x, eq: [1, 2] }\n"), "TYPE_MISMATCH", 8);
  expectError(rule("    when: { field: args.x, starts_with: 5 }\n"), "TYPE_MISMATCH", 8);
});

test("unit problems: unknown unit and incompatible `between` bounds", () => {
  expectError(rule("    when: { field: args.dose, gt: \"0.75 furlongs\" }\n"), "UNKNOWN_UNIT", 8);
  expectError(rule("    when: { field: args.dose, between: [\"1 mg\", \"2 h\"] }\n"), "UNIT_MISMATCH", 8);
});

test("duplicate rule ids point at the second one and name the first", () => {
  const src = `${HEAD}rules:\n  - id: same\n    verdict: ALLOW\n  - id: same\n    verdict: ALLOW\n`;
  const d = expectError(src, "DUPLICATE_RULE_ID", 7);
  assert.match(d.message, /rules\.0/);
  // Reported alongside another error in either rule, not only once that one is fixed.
  const both = `${HEAD}rules:\n  - { id: r1, verdict: BLOCK, code: C, when: { field: args.x, gt: true } }\n  - { id: r1, verdict: ALLOW }\n`;
  assert.deepEqual(errorsOf(both).map((e) => e.code).sort(), ["DUPLICATE_RULE_ID", "TYPE_MISMATCH"]);
});

test("a `between` with its bounds reversed is an error: no value lies in it, so the rule would never fire", () => {
  const d = expectError(rule("    when: { field: args.n, between: [10, 1] }\n"), "INVALID_VALUE", 8);
  assert.match(d.message, /low bound `10` is above high bound `1`/);
  expectError(rule("    when: { field: args.n, between: [\"10.5\", \"10.25\"] }\n"), "INVALID_VALUE", 8);
  assert.ok(compilePolicy(rule("    when: { field: args.n, between: [1, 1] }\n")).ok);
});

test("unknown field paths, lists and verdicts", () => {
  expectError(rule("    when: { field: argz.x, eq: 1 }\n"), "UNKNOWN_FIELD_PATH", 8);
  expectError(rule("    when: { field: tool.name, eq: x }\n"), "UNKNOWN_FIELD_PATH", 8);
  expectError(rule("    when: { field: args.x, in: { list: nope } }\n"), "UNKNOWN_LIST", 8);
  expectError(`${HEAD}rules:\n  - id: r\n    verdict: DENY\n`, "INVALID_VALUE", 6);
});

test("a verdict without its obligation, or with another's, is an error", () => {
  expectError(`${HEAD}rules:\n  - id: t\n    verdict: THROTTLE\n    code: T\n`, "MISSING_OBLIGATION", 5);
  expectError(`${HEAD}rules:\n  - id: t\n    verdict: BLOCK\n    code: T\n    throttle: { limit: 1, per: 1h }\n`, "UNEXPECTED_OBLIGATION", 8);
  expectError(`${HEAD}rules:\n  - id: t\n    verdict: THROTTLE\n    code: T\n    throttle: { limit: 1, per: soon }\n`, "INVALID_DURATION", 8);
});

test("syntax errors and duplicate keys have positions; JSON policies work too", () => {
  expectError(`${HEAD}rules: [\n`, "SYNTAX_ERROR", 5);
  expectError(`${HEAD}default: ALLOW\n`, "DUPLICATE_KEY", 4);
  const json = JSON.stringify({ id: "j", version: "1", default: "BLOCK", rules: [{ id: "a", verdict: "ALLOW", match: { tool: "x" } }] });
  assert.equal(compilePolicy(json).ok, true);
  const bad = '{"id": "j", "version": "1", "default": "BLOCK",\n "rules": [{"id": "a", "verdict": "ALLOW", "when": {"field": "args.a", "lt": "x"}}]}';
  expectError(bad.replace(/^/, ""), "TYPE_MISMATCH", 2);
});

test("a policy without a default verdict is rejected with the fix", () => {
  const r = compilePolicy("id: p\nversion: 1\nrules: []\n");
  assert.equal(r.ok, false);
  assert.match(r.diagnostics[0]?.help ?? "", /default: BLOCK/);
});

test("compiling twice gives byte-identical artifacts; key order and comments do not change the hash", () => {
  const a = compilePolicy(`${HEAD}lists: { l: [a, b] }\nrules:\n  - { id: r, verdict: BLOCK, code: C, when: { field: args.x, in: { list: l } } }\n`);
  const b = compilePolicy(`# comment\ndefault: BLOCK\nversion: "1"\nid: p\nrules:\n  - { code: C, when: { in: { list: l }, field: args.x }, id: r, verdict: BLOCK }\nlists: { l: [a, b] }\n`);
  assert.ok(a.ok && b.ok);
  assert.equal(a.policy.artifact, compilePolicy(`${HEAD}lists: { l: [a, b] }\nrules:\n  - { id: r, verdict: BLOCK, code: C, when: { field: args.x, in: { list: l } } }\n`).ok && a.policy.artifact);
  assert.equal(a.policy.hash, b.policy.hash);
  assert.match(a.policy.hash, /^sha256:[0-9a-f]{64}$/);
});

test("how a number is written does not change the hash (10000.10, 10000.1, 1.00001e4; YAML or JSON); its value does", () => {
  const hashOf = (n: string): string => {
    const r = compilePolicy(rule(`    when: { field: args.amount, gt: ${n} }\n`));
    assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostics));
    return r.policy.hash;
  };
  const h = hashOf("10000.1");
  for (const n of ["10000.10", "1.00001e4", "10000.100", "+10000.1"]) assert.equal(hashOf(n), h, n);
  assert.notEqual(hashOf("10000.11"), h);
  const json = compilePolicy(JSON.stringify({ id: "p", version: "1", default: "BLOCK", rules: [{ id: "r1", verdict: "BLOCK", code: "C1", when: { field: "args.amount", gt: 10000.1 } }] }), { file: "p.json" });
  assert.ok(json.ok);
  assert.equal(json.policy.hash, h);
});

const files: Record<string, string> = {
  "/p/base.yaml": "id: base\nversion: 1\ndefault: BLOCK\nlists: { ok: [a] }\ntools: { pay: write }\ngroups:\n  strict:\n    - { id: g1, verdict: BLOCK, code: G, match: { tool: danger } }\nrules:\n  - { id: no-x, verdict: BLOCK, code: NO_X, when: { field: args.x, eq: 1 } }\n  - { id: esc, verdict: ESCALATE, code: E, match: { tool: pay } }\n",
};
const readFile = (p: string): string => {
  const t = files[p];
  if (t === undefined) throw new Error("no such file");
  return t;
};

test("extends: a child inherits rules and lists and can use parent groups", () => {
  const r = compilePolicy("id: child\nversion: 2\nextends: base.yaml\nuse: [strict]\nrules:\n  - { id: allow-pay, verdict: ALLOW, match: { tool: pay }, when: { field: args.who, in: { list: ok } } }\n", { file: "/p/child.yaml", readFile });
  assert.ok(r.ok, JSON.stringify(r.diagnostics));
  assert.deepEqual(r.policy.rules.map((x) => x.ir.id).sort(), ["allow-pay", "esc", "g1", "no-x"]);
});

test("a child can never weaken a parent's BLOCK: override, default, or shadow mode", () => {
  const o = { file: "/p/child.yaml", readFile };
  const over = compilePolicy("id: c\nversion: 1\nextends: base.yaml\nrules:\n  - { id: no-x, verdict: ALLOW }\n", o);
  assert.ok(!over.ok && over.diagnostics.some((d) => d.code === "WEAKENS_PARENT" && d.span?.line === 5));
  const dflt = compilePolicy("id: c\nversion: 1\nextends: base.yaml\ndefault: ALLOW\n", o);
  assert.ok(!dflt.ok && dflt.diagnostics.some((d) => d.code === "WEAKENS_PARENT"));
  const mode = compilePolicy("id: c\nversion: 1\nextends: base.yaml\nmode: shadow\n", o);
  assert.ok(!mode.ok && mode.diagnostics.some((d) => d.code === "WEAKENS_PARENT"));
  const weaker = compilePolicy("id: c\nversion: 1\nextends: base.yaml\nrules:\n  - { id: esc, verdict: ALLOW }\n", o);
  assert.ok(!weaker.ok && weaker.diagnostics.some((d) => d.code === "WEAKENS_PARENT"));
  const list = compilePolicy("id: c\nversion: 1\nextends: base.yaml\nlists: { ok: [a, evil] }\n", o);
  assert.ok(!list.ok && list.diagnostics.some((d) => d.code === "EXTENDS_MISMATCH"));
  const narrower = compilePolicy("id: c\nversion: 1\nextends: base.yaml\nrules:\n  - { id: esc, verdict: ESCALATE, code: E, match: { tool: pay }, when: { field: args.never, exists: true } }\n", o);
  assert.ok(!narrower.ok && narrower.diagnostics.some((d) => d.code === "WEAKENS_PARENT"), "same verdict, narrower condition is still a replacement");
  const added = compilePolicy("id: c\nversion: 1\nextends: base.yaml\nrules:\n  - { id: esc-block, verdict: BLOCK, code: E2, match: { tool: pay } }\n", o);
  assert.ok(added.ok, JSON.stringify(added.diagnostics));
});

test("extends cycles and missing parents are reported", () => {
  const cyc: Record<string, string> = { "/c/a.yaml": "id: a\nversion: 1\nextends: b.yaml\n", "/c/b.yaml": "id: b\nversion: 1\nextends: a.yaml\n" };
  const r = compilePolicy(cyc["/c/a.yaml"] as string, { file: "/c/a.yaml", readFile: (p) => cyc[p] ?? "" });
  assert.ok(!r.ok && r.diagnostics.some((d) => d.code === "EXTENDS_CYCLE"));
  const m = compilePolicy("id: a\nversion: 1\nextends: nope.yaml\n", { file: "/c/a.yaml", readFile });
  assert.ok(!m.ok && m.diagnostics.some((d) => d.code === "EXTENDS_NOT_FOUND" && d.span?.line === 3));
});

test("invalid scan patterns are compile errors that name the construct, at the operand's position", () => {
  const d = expectError(rule("    when: { field: text, matches: \"(a)\\\\1\" }\n"), "INVALID_REGEX", 8);
  assert.match(d.message, /backreference/i);
  const look = expectError(rule("    when: { field: text, matches: \"foo(?=bar)\" }\n"), "INVALID_REGEX", 8);
  assert.match(look.message, /look/i);
  expectError(rule("    when: { field: text, scan: [injection, nonsense] }\n"), "INVALID_VALUE", 8);
  assert.equal(compilePolicy(rule("    when: { field: args.*, matches: [\"secret-[0-9]{4}\"] }\n")).ok, true);
});

test("a `matches` pattern that can match the empty string is a located warning (empty text would never fire it)", () => {
  const r = compilePolicy(rule("    when: { field: args.reason, matches: \"^\\\\s*$\" }\n"), { file: "p.yaml" });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostics));
  const w = r.diagnostics.find((d) => d.code === "EMPTY_MATCH_PATTERN");
  assert.ok(w, JSON.stringify(r.diagnostics));
  assert.equal(w.severity, "warning");
  assert.equal(w.span?.line, 8);
  assert.match(w.help ?? "", /shorter_than: 1/);
  const fine = compilePolicy(rule("    when: { field: args.reason, matches: \"^\\\\s+$\" }\n"), { file: "p.yaml" });
  assert.ok(fine.ok && !fine.diagnostics.some((d) => d.code === "EMPTY_MATCH_PATTERN"));
});

test("`__proto__` as a tool, list or group name is refused (it used to vanish: the declaration was lost)", () => {
  const d = expectError(`${HEAD}tools:\n  __proto__: exec\n  shell.exec: exec\nrules:\n  - { id: r, match: { class: exec }, verdict: BLOCK, code: C }\n`, "INVALID_VALUE", 5);
  assert.match(d.message, /`__proto__` cannot name a tool/);
  assert.match(expectError(`${HEAD}lists:\n  __proto__: [a]\nrules:\n  - { id: r, match: { tool: x }, verdict: BLOCK, code: C }\n`, "INVALID_VALUE", 5).message, /cannot name a list/);
  assert.match(expectError(`${HEAD}groups:\n  __proto__:\n    - { id: r, match: { tool: x }, verdict: BLOCK, code: C }\nrules: []\n`, "INVALID_VALUE", 6).message, /cannot name a group/);
});

test("diagnostics say how to fix common slips: lower-case verdict, YAML 1.1 booleans, digit separators, bad kind, bare clamp", () => {
  assert.equal(expectError(`${HEAD}rules:\n  - id: r\n    code: C\n    verdict: block\n`, "INVALID_VALUE", 7).help, "verdicts are upper case: write `BLOCK`");
  assert.match(expectError(rule("    shadow: yes\n"), "TYPE_MISMATCH", 8).help ?? "", /YAML 1\.2.*write true or false/);
  const sep = expectError(rule("    when: { field: args.n, gt: 10_000 }\n"), "UNKNOWN_UNIT", 8);
  assert.match(sep.message, /digit separators/);
  assert.equal(sep.help, "write `10000`");
  assert.match(expectError(rule("    match: { kind: toolcall }\n"), "INVALID_VALUE", 8).message, /got string `toolcall`/);
  assert.match(expectError(`${HEAD}rules:\n  - id: r\n    code: C\n    verdict: MODIFY\n    modify: [ { clamp: args.n } ]\n`, "TYPE_MISMATCH", 8).help ?? "", /clamp: args\.limit, max: 100/);
});

test("a `matches` pattern error names the pattern and points at the construct; an empty pattern and a bad min_severity say so", () => {
  const la = expectError(rule('    when: { field: args.x, matches: "abc(?=def)" }\n'), "INVALID_REGEX", 8, 41);
  assert.match(la.message, /^`matches` pattern `abc\(\?=def\)` cannot be compiled to an automaton: lookahead `\(\?=` at column 4$/);
  expectError(rule("    when: { field: args.x, matches: 'ab(?<=x)' }\n"), "INVALID_REGEX", 8, 40);
  expectError(rule("    when: { field: args.x, matches: ab(?=c) }\n"), "INVALID_REGEX", 8, 39);
  // escapes in the YAML string: the file's characters no longer line up with the pattern's, so the string's start
  expectError(rule('    when: { field: args.x, matches: [ "ok", "x\\\\1(a)\\\\1" ] }\n'), "INVALID_REGEX", 8, 45);
  assert.match(expectError(rule('    when: { field: args.x, matches: "" }\n'), "INVALID_VALUE", 8).message, /empty pattern/);
  assert.match(expectError(rule("    when: { field: args.x, scan: { packs: secrets, min_severity: urgent } }\n"), "INVALID_VALUE", 8).message, /got string `urgent`/);
});

test("a `matches` error is located at the construct in a single-quoted pattern with backslashes too", () => {
  expectError(rule("    when: { field: args.x, matches: '\\d+(?=x)' }\n"), "INVALID_REGEX", 8, 41);
});
