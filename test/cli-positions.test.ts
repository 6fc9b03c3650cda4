// Positions in input errors: every problem in an action or a trace line is reported as file:line:col, and a
// byte order mark is named as such at 1:1 (the CLI and the sidecar), never at the end of the text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compilePolicy } from "../src/compile/compile.js";
import { Governor } from "../src/gateway/governor.js";
import { buildGateway } from "../src/gateway/server.js";
import { cli } from "./cli-capture.js";

const dir = mkdtempSync(join(tmpdir(), "warden-positions-"));
const FINANCE = "examples/policies/finance.yaml";

test("a trace's bad lines are named file:line:col, whatever is wrong with them", async () => {
  const trace = join(dir, "t.jsonl");
  writeFileSync(trace, ['{"kind":"tool_call","tool":"ledger.read"}', "{bad", '{"kind":"tool_call","tool":"x","a":1,"a":2}', '{"kind":"tool_call"'].join("\n"));
  const r = await cli(["check", "--policy", FINANCE, "--trace", trace]);
  assert.equal(r.code, 1);
  assert.match(r.out, new RegExp(`${trace}:2:2: invalid JSON`));
  assert.match(r.out, new RegExp(`${trace}:3:38: JSON object has the key "a" twice`));
  assert.match(r.out, new RegExp(`${trace}:4:20: invalid JSON`));
});

test("an action file with a byte order mark is refused at 1:1, saying so", async () => {
  const file = join(dir, "bom.json");
  writeFileSync(file, '\ufeff{"kind":"tool_call","tool":"ledger.read"}');
  const r = await cli(["check", "--policy", FINANCE, "--action", file]);
  assert.equal(r.code, 1);
  assert.match(r.out, new RegExp(`${file}:1:1: invalid JSON: the text starts with a byte order mark`));
});

test("the sidecar names a byte order mark at 1:1 and gives no made-up position when V8 names none", async () => {
  const c = compilePolicy("id: p\nversion: \"1\"\ndefault: BLOCK\nrules: []\n");
  assert.ok(c.ok);
  const { app } = buildGateway({ governor: new Governor(c.policy) });
  try {
    const bom = await app.inject({ method: "POST", url: "/v1/decide", headers: { "content-type": "application/json" }, payload: Buffer.from('\ufeff{"kind":"tool_call","tool":"x"}') });
    assert.equal(bom.statusCode, 400);
    assert.match(bom.json().error.message, /at 1:1: it starts with a byte order mark/);
  } finally {
    await app.close();
  }
});

test("an empty flag value is a usage error naming the flag; validate's help does not mention --policy", async () => {
  const r = await cli(["check", "--policy", FINANCE, "--action="]);
  assert.equal(r.code, 2);
  assert.match(r.err, /flag `--action` was given an empty value/);
  const v = await cli(["validate", join(dir, "nope.yaml")]);
  assert.equal(v.code, 1);
  assert.doesNotMatch(v.out + v.err, /--policy/);
});

test("check --json with a policy that does not compile: one JSON error line on stdout, the diagnostics on stderr, exit 1", async () => {
  const bad = join(dir, "bad.yaml");
  writeFileSync(bad, 'id: p\nversion: "1"\ndefault: BLOCK\nrules:\n  - { id: r, verdict: NOPE }\n');
  const r = await cli(["check", "--policy", bad, "--action", "examples/actions/payment-unknown.json", "--json"]);
  assert.equal(r.code, 1);
  const out = JSON.parse(r.out) as { error: { code: string; diagnostics: Array<{ code: string; span?: { line: number } }> } };
  assert.equal(out.error.code, "POLICY_INVALID");
  assert.ok(out.error.diagnostics.some((d) => d.code === "INVALID_VALUE" && d.span?.line === 5), r.out);
  assert.match(r.err, /bad\.yaml:5:\d+: error\[INVALID_VALUE\]/);
  const plain = await cli(["check", "--policy", bad, "--action", "examples/actions/payment-unknown.json"]);
  assert.equal(plain.out, "");
});
