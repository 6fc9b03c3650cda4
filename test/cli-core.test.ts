// End-to-end tests of the core CLI commands through runCli with captured output (and once through the real bin).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { runCli } from "../src/cli/main.js";
import type { CliIO } from "../src/cli/io.js";

function io(stdin = ""): CliIO & { stdout: string; stderr: string } {
  const o = {
    stdout: "",
    stderr: "",
    out(t: string) { o.stdout += t; },
    err(t: string) { o.stderr += t; },
    readStdin: async () => stdin,
    cwd: process.cwd(),
    env: {},
  };
  return o;
}

const tmp = mkdtempSync(join(tmpdir(), "warden-cli-"));
const write = (name: string, text: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

test("validate: ok policies exit 0, broken ones exit 1 with file:line:col diagnostics", async () => {
  const good = io();
  assert.equal(await runCli(["validate", "examples/policies/finance.yaml", "examples/policies/clinical.yaml"], good), 0);
  assert.match(good.stdout, /ok examples\/policies\/finance.yaml: 4 rules, sha256:/);
  const bad = write("bad.yaml", "id: b\nversion: 1\ndefault: BLOCK\nrules:\n  - id: r\n    verdict: BLOCK\n    code: X\n    when: { field: args.a, gt: .nan }\n");
  const o = io();
  assert.equal(await runCli(["validate", bad], o), 1);
  assert.match(o.stdout, /bad\.yaml:8:\d+: error\[NON_FINITE_NUMBER\]/);
  const j = io();
  assert.equal(await runCli(["validate", "--json", bad], j), 1);
  assert.equal(JSON.parse(j.stdout)[0].diagnostics[0].code, "NON_FINITE_NUMBER");
});

test("check --action: prints the decision, exit 0 only for ALLOW", async () => {
  const allow = write("allow.json", JSON.stringify({ kind: "tool_call", tool: "ledger.read", agent: { id: "a", role: "viewer" }, args: {} }));
  const block = write("block.json", JSON.stringify({ kind: "tool_call", tool: "payments.send", agent: { id: "a", role: "operator" }, args: { amount: 5, counterparty: "nobody" } }));
  const a = io();
  assert.equal(await runCli(["check", "--policy", "examples/policies/finance.yaml", "--action", allow, "--json"], a), 0);
  assert.equal(JSON.parse(a.stdout).verdict, "ALLOW");
  const b = io();
  assert.equal(await runCli(["check", "--policy", "examples/policies/finance.yaml", "--action", block], b), 1);
  assert.match(b.stdout, /blocked \(BLOCK\)[\s\S]*COUNTERPARTY_NOT_ALLOWLISTED/);
  const s = io(JSON.stringify({ kind: "tool_call", tool: "ledger.read", args: {} }));
  assert.equal(await runCli(["check", "--policy", "examples/policies/finance.yaml", "--action", "-", "--json"], s), 0);
});

test("check: malformed JSON is blocked with its position, never allowed", async () => {
  const broken = write("broken.json", '{"kind": "tool_call",\n "tool": ');
  const o = io();
  assert.equal(await runCli(["check", "--policy", "examples/policies/finance.yaml", "--action", broken, "--json"], o), 1);
  const d = JSON.parse(o.stdout);
  assert.equal(d.verdict, "BLOCK");
  assert.equal(d.reasons[0].code, "INVALID_ACTION");
  assert.match(d.reasons[0].message, /broken\.json:2:\d+/);
});

test("check --trace: one decision per line in order, throttle state kept, summary last", async () => {
  const lines = [];
  for (let i = 0; i < 603; i++) {
    lines.push(JSON.stringify({ kind: "tool_call", at: new Date(Date.UTC(2026, 2, 2, 10, 0, i)).toISOString(), tool: "search", agent: { id: i % 2 === 0 || i > 600 ? "r1" : "r1" }, args: { q: "x" } }));
  }
  lines.push("not json");
  const trace = write("trace.jsonl", `${lines.join("\n")}\n`);
  const o = io();
  assert.equal(await runCli(["check", "--policy", "examples/policies/research.yaml", "--trace", trace, "--json"], o), 1, "a malformed line makes the run fail");
  const out = o.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(out.length, 605);
  assert.equal(out[599].verdict, "ALLOW");
  assert.equal(out[600].verdict, "THROTTLE");
  assert.ok(out[600].obligations.retryAfterMs > 0);
  assert.equal(out[603].reasons[0].code, "INVALID_ACTION");
  assert.deepEqual(out[604].summary.verdicts.THROTTLE, 3);
  assert.equal(out[604].summary.malformed, 1);
});

test("check --trace on a shadow policy reports what would have been blocked", async () => {
  const o = io();
  assert.equal(await runCli(["check", "--policy", "examples/policies/rollout.yaml", "--trace", "examples/traces/rollout.jsonl", "--json"], o), 0);
  const lines = o.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const summary = lines[lines.length - 1].summary;
  assert.equal(summary.verdicts.ALLOW, 7);
  assert.equal(summary.wouldHaveBeen.BLOCK, 1);
  assert.equal(summary.wouldHaveBeen.ESCALATE, 1);
  assert.ok(lines.slice(0, -1).every((d: { enforced: boolean }) => d.enforced === false));
});

test("test: every example test file passes; a wrong expectation fails with exit 1", async () => {
  const files = readdirSync("examples/policies").filter((f) => f.endsWith(".test.yaml")).map((f) => `examples/policies/${f}`);
  const o = io();
  assert.equal(await runCli(["test", ...files], o), 0, o.stdout);
  assert.match(o.stdout, /(\d+) passed, 0 failed/);
  const wrong = write("wrong.test.yaml", readFileSync("examples/policies/clinical.test.yaml", "utf8").replace("policy: clinical.yaml", `policy: ${join(process.cwd(), "examples/policies/clinical.yaml")}`).replace("expect: { verdict: BLOCK, codes: [DOSE_ABOVE_LIMIT], field: args.dose }", "expect: { verdict: ALLOW }"));
  const w = io();
  assert.equal(await runCli(["test", wrong], w), 1);
  assert.match(w.stdout, /FAIL: .*vincristine above the limit is blocked\n\s+verdict: expected ALLOW, got BLOCK/);
});

test("explain and usage errors", async () => {
  const block = write("viewer.json", JSON.stringify({ kind: "tool_call", tool: "ledger.update", agent: { id: "a", role: "viewer" }, args: {} }));
  const o = io();
  assert.equal(await runCli(["explain", "--policy", "examples/policies/finance.yaml", "--action", block], o), 0);
  assert.match(o.stdout, /blocked \(BLOCK\)[\s\S]*ROLE_CANNOT_WRITE/);
  const u = io();
  assert.equal(await runCli(["check", "--polcy", "x"], u), 2);
  assert.match(u.stderr, /unknown flag `--polcy`/);
  const m = io();
  assert.equal(await runCli(["check", "--policy", join(tmp, "missing.yaml"), "--action", block], m), 1);
  assert.match(m.stderr, /POLICY_NOT_FOUND/);
});

test("the real bin runs from the repository (after the README's install)", () => {
  const r = spawnSync(process.execPath, ["bin/warden.js", "check", "--policy", "examples/policies/finance.yaml", "--trace", "examples/traces/finance.jsonl"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /9 actions under policy `finance`/);
});
