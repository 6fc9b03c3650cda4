// Conformance suite: every case in conformance/*.yaml against the indexed and the linear evaluator, which must agree.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compileCasePolicy, parseCaseFile, runCase, type TestCase } from "../src/testing/cases.js";

const DIR = "conformance";

/** Keys runCase understands, plus `decision` (a partial Decision checked here). Anything else is a typo. */
const EXPECT_KEYS = new Set([
  "verdict", "rules", "codes", "shadow", "shadowVerdict", "enforced", "retryAfterMs", "field", "message",
  "modified", "approvalGroup", "sandbox", "decision",
]);
const CASE_KEYS = new Set(["name", "before", "action", "expect"]);

/**
 * `want` is a partial picture of `got`: mappings name only the keys they care about, lists must have the
 * same length with each item matching, scalars are equal. `{ absent: true }` asserts a key is not present.
 */
function subsetProblems(want: unknown, got: unknown, path: string, out: string[]): void {
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) {
      out.push(`${path}: expected a list of ${want.length}, got ${JSON.stringify(got)?.slice(0, 300)}`);
      return;
    }
    want.forEach((w, i) => subsetProblems(w, got[i], `${path}[${i}]`, out));
    return;
  }
  if (typeof want === "object" && want !== null) {
    if (typeof got !== "object" || got === null || Array.isArray(got)) {
      out.push(`${path}: expected a mapping, got ${JSON.stringify(got)?.slice(0, 300)}`);
      return;
    }
    for (const [k, w] of Object.entries(want)) {
      const present = Object.hasOwn(got, k) && (got as Record<string, unknown>)[k] !== undefined;
      if (typeof w === "object" && w !== null && !Array.isArray(w) && (w as Record<string, unknown>)["absent"] === true) {
        if (present) out.push(`${path}.${k}: expected no value, got ${JSON.stringify((got as Record<string, unknown>)[k])}`);
        continue;
      }
      if (!present) {
        out.push(`${path}.${k}: missing (expected ${JSON.stringify(w)})`);
        continue;
      }
      subsetProblems(w, (got as Record<string, unknown>)[k], `${path}.${k}`, out);
    }
    return;
  }
  if (!Object.is(want, got)) out.push(`${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
}

const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml")).sort();
let total = 0;

test("the conformance directory has case files", () => {
  assert.ok(files.length >= 5, `expected conformance/*.yaml files, found ${files.length}`);
});

for (const file of files) {
  const path = join(DIR, file);
  const cases = parseCaseFile(readFileSync(path, "utf8"));
  assert.equal(typeof cases.policy, "object", `${path}: conformance policies are inline`);
  const policy = compileCasePolicy(cases, { readFile: () => { throw new Error("inline policies only"); }, file: path });
  const names = new Set<string>();
  for (const c of cases.cases) {
    total++;
    test(`${file}: ${c.name}`, () => {
      assert.ok(!names.has(c.name), `duplicate case name \`${c.name}\``);
      names.add(c.name);
      for (const k of Object.keys(c)) assert.ok(CASE_KEYS.has(k), `unknown case key \`${k}\``);
      for (const k of Object.keys(c.expect)) assert.ok(EXPECT_KEYS.has(k), `unknown expectation \`${k}\``);
      assert.ok(c.expect.verdict !== undefined, "every conformance case states its verdict");
      const indexed = runCase(policy, c as TestCase, "indexed");
      const linear = runCase(policy, c as TestCase, "linear");
      assert.deepEqual(indexed.failures, [], `indexed evaluator:\n  ${indexed.failures.join("\n  ")}`);
      assert.deepEqual(linear.failures, [], `linear evaluator:\n  ${linear.failures.join("\n  ")}`);
      // The two evaluators must agree on the whole decision, not only on what the case names.
      assert.deepEqual(indexed.decision, linear.decision);
      const want = (c.expect as { decision?: unknown }).decision;
      if (want !== undefined) {
        for (const [name, d] of [["indexed", indexed.decision], ["linear", linear.decision]] as const) {
          const problems: string[] = [];
          subsetProblems(want, d, "decision", problems);
          assert.deepEqual(problems, [], `${name} evaluator:\n  ${problems.join("\n  ")}`);
        }
      }
      // Fail-closed shape: every non-ALLOW enforced decision explains itself.
      const d = indexed.decision!;
      if (d.verdict !== "ALLOW") assert.ok(d.reasons.some((r) => r.verdict === d.verdict && r.code.length > 0 && r.message.length > 0), "the decisive reason is reported");
    });
  }
}

test("the conformance suite is large enough", () => {
  assert.ok(total >= 80, `expected at least 80 conformance cases, found ${total}`);
});

// Regression, fixed in the engine after this test found it — testing/cases.ts compiles inline policies from JSON.stringify(parsed YAML): number text is lost, so an unquoted `gt: 10000.0000000000000001` silently becomes `gt: 10000` (a policy file reports LOSSY_NUMBER), and diagnostics point into generated JSON instead of the case file
test("an inline policy in a case file is compiled from its own YAML text, like the same policy in a file", () => {
  const file = parseCaseFile([
    "policy:",
    "  id: p",
    "  version: \"1\"",
    "  default: ALLOW",
    "  rules:",
    "    - { id: big, when: { field: args.amount, gt: 10000.0000000000000001 }, verdict: BLOCK, code: BIG }",
    "cases: [ { name: c, action: { kind: tool_call, tool: t }, expect: { verdict: ALLOW } } ]",
  ].join("\n"));
  assert.throws(() => compileCasePolicy(file, { readFile: () => "", file: "inline.test.yaml" }), /LOSSY_NUMBER/);
});

test("a case whose expectation is misspelt or empty is refused: it could never fail", () => {
  const file = (expect: string): string => `policy: p.yaml\ncases:\n  - name: c\n    action: { tool: t }\n    expect: ${expect}\n`;
  assert.throws(() => parseCaseFile(file("{ verdcit: ALLOW }")), /case #1 \(`c`\): unknown expectation `verdcit`; expect takes `verdict`/);
  assert.throws(() => parseCaseFile(file("{}")), /`expect` is empty, so the case could never fail/);
  assert.equal(parseCaseFile(file("{ verdict: ALLOW }")).cases.length, 1);
});

test("expectations and steps that would assert nothing, or could not be read, are refused", () => {
  const file = (expect: string, before = ""): string => `policy: p.yaml
cases:
  - name: c
${before}    action: { tool: t }
    expect: ${expect}
`;
  const refused: Array<[string, RegExp, string?]> = [
    ["{ codes: [] }", /`expect.codes` must be a non-empty list of names, got \[\]/],
    ["{ message: \"\" }", /`expect.message` must be a non-empty string/],
    ["{ decision: {} }", /`expect.decision` must be a non-empty mapping/],
    ["{ modified: {} }", /`expect.modified` must be a non-empty mapping/],
    ["{ verdict: PERMIT }", /`expect.verdict` must be one of ALLOW, MODIFY/],
    ["{ verdict: ALLOW, retryAfterMs: -1 }", /`expect.retryAfterMs` must be a whole number/],
    ["{ sandbox: {} }", /`expect.sandbox` must name at least one/],
    ["{ sandbox: { networkDeny: [] } }", /`expect.sandbox` .networkDeny must be a non-empty list/],
    ["{ enforced: yes }", /`expect.enforced` must be true or false/],
    ["{ verdict: THROTTLE }", /`before\[0\]`.every must be a duration such as `1min`.*got "banana"/, "    before: [ { action: { tool: t }, repeat: 3, every: banana } ]\n"],
    ["{ verdict: THROTTLE }", /`before\[0\]`.every must be a duration.*got "1m"/, "    before: [ { action: { tool: t }, repeat: 3, every: 1m } ]\n"],
    ["{ verdict: THROTTLE }", /`before\[0\]`.repeat must be a whole number >= 1, got 0/, "    before: [ { action: { tool: t }, repeat: 0 } ]\n"],
    ["{ verdict: THROTTLE }", /`before\[0\]` needs an `action`/, "    before: [ { repeat: 2 } ]\n"],
    ["{ verdict: THROTTLE }", /`before\[0\]`: unknown key `times`/, "    before: [ { action: { tool: t }, times: 2 } ]\n"],
  ];
  for (const [expect, why, before] of refused) assert.throws(() => parseCaseFile(file(expect, before)), why, expect);
  assert.throws(() => parseCaseFile("policy: p.yaml\ncases: []\n"), /`cases:` is empty: a test file with no cases checks nothing/);
  assert.equal(parseCaseFile(file("{ verdict: THROTTLE }", "    before: [ { action: { tool: t }, repeat: 3, every: 1min } ]\n")).cases.length, 1);
  assert.equal(parseCaseFile(file("{ rules: [], shadow: [] }")).cases.length, 1, "an empty exact set is an assertion");
});

test("`decision:` expectations match part of the Decision and fail when it differs", () => {
  const file = parseCaseFile([
    "policy:",
    "  id: p",
    "  version: \"1\"",
    "  default: ALLOW",
    "  rules:",
    "    - { id: big, when: { field: args.amount, gt: 100 }, verdict: ESCALATE, code: BIG, approval: { group: ops, timeout: 15min } }",
    "cases:",
    "  - { name: holds, action: { kind: tool_call, tool: t, args: { amount: 500 } }, expect: { decision: { obligations: { approval: { group: ops, timeoutMs: 900000 }, sandbox: null }, reasons: [ { rule: big }, { rule: default } ] } } }",
    "  - { name: wrong value, action: { kind: tool_call, tool: t, args: { amount: 500 } }, expect: { decision: { obligations: { approval: { group: sec } } } } }",
    "  - { name: wrong length, action: { kind: tool_call, tool: t, args: { amount: 500 } }, expect: { decision: { reasons: [ { rule: big } ] } } }",
    "  - { name: not absent, action: { kind: tool_call, tool: t, args: { amount: 500 } }, expect: { decision: { obligations: { approval: { absent: true } } } } }",
  ].join("\n"));
  const policy = compileCasePolicy(file, { readFile: () => "", file: "inline.test.yaml" });
  const results = file.cases.map((c) => runCase(policy, c));
  assert.deepEqual(results.map((r) => r.ok), [true, false, false, false], JSON.stringify(results.map((r) => r.failures)));
  assert.match(results[1]?.failures[0] ?? "", /decision\.obligations\.approval\.group: expected "sec", got "ops"/);
});
