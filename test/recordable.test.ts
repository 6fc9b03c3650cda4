// A recorded decision is about an action its record can hold: an action with a value JSON cannot carry (a lone
// surrogate, 1e400, NaN) used to be ALLOWed and stored as `invalid`, so nothing of it was kept and replay failed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonDataProblem } from "../src/engine/action-check.js";
import { recordable } from "../src/engine/recordable.js";
import { decide } from "../src/engine/decide.js";
import { loadPolicyFile } from "../src/node/load.js";
import { Governor } from "../src/gateway/governor.js";
import { MemorySink } from "../src/gateway/sink.js";
import { AuditSink } from "../src/gateway/audit-sink.js";
import { cli } from "./cli-capture.js";

const finance = (() => {
  const r = loadPolicyFile("examples/policies/finance.yaml");
  assert.ok(r.ok);
  return r.policy;
})();
const pay = (memo: unknown) => ({ kind: "tool_call", tool: "payments.send", at: "2026-03-02T10:00:00Z", agent: { id: "fin-7", role: "operator" }, args: { amount: 50, currency: "USD", counterparty: "acme-corp", memo } });

test("jsonDataProblem names where a value is not JSON data, at any depth, cycles included", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic["self"] = cyclic;
  const deep = (n: number, leaf: unknown): unknown => {
    let v = leaf;
    for (let i = 0; i < n; i++) v = { k: v };
    return v;
  };
  const cases: Array<[unknown, string | undefined, RegExp?]> = [
    [{ args: { memo: "x\ud800" } }, "args.memo", /lone surrogate/],
    [{ args: { memo: "ok \ud83d\ude00" } }, undefined],
    [{ args: { n: Infinity } }, "args.n", /Infinity, not a finite number/],
    [{ args: { list: [1, [2, NaN]] } }, "args.list.1.1", /NaN/],
    [{ args: { d: new Date(0) } }, "args.d", /class/],
    [{ args: { u: undefined } }, "args.u", /undefined/],
    [{ args: { big: 1n } }, "args.big", /bigint/],
    [{ args: { sparse: [1, , 3] } }, "args.sparse.1", /hole/],
    [{ args: { ["k\udc00"]: 1 } }, "args.k\\udc00", /key with a lone surrogate/],
    [{ args: cyclic }, undefined, /cyclic/],
    [{ args: { body: deep(100_000, "fine") } }, undefined],
    [{ args: { body: deep(100_000, NaN) } }, undefined, /NaN/],
    [{ args: { ok: ["a", { b: null, c: true, d: 1.5 }] }, agent: { id: "a", labels: { t: "x" } } }, undefined],
  ];
  for (const [value, field, why] of cases) {
    const p = jsonDataProblem(value as object);
    if (why === undefined) {
      assert.equal(p, undefined, JSON.stringify(p));
      continue;
    }
    assert.ok(p, `no problem found in ${String(field)}`);
    assert.match(p.message, why);
    if (field !== undefined) assert.equal(p.field, field);
    assert.ok(p.field.length < 300, "the named field stays short however deep it is");
  }
});

test("recordable(): an ALLOW about a value JSON cannot carry becomes an enforced BLOCK INVALID_ACTION; a BLOCK stays", () => {
  for (const memo of ["x\ud800", Number.POSITIVE_INFINITY, NaN]) {
    const d = decide(finance, pay(memo));
    assert.equal(d.verdict, "ALLOW", "decide() itself reads a field no rule uses as it is");
    const r = recordable(pay(memo), d);
    assert.equal(r.verdict, "BLOCK");
    assert.equal(r.enforced, true);
    assert.equal(r.reasons[0]?.code, "INVALID_ACTION");
    assert.equal(r.reasons[0]?.field, "args.memo");
  }
  const ok = decide(finance, pay("rent"));
  assert.equal(recordable(pay("rent"), ok), ok);
  const blocked = decide(finance, { ...pay("x\ud800"), agent: { id: "v", role: "viewer" } });
  assert.equal(recordable(pay("x\ud800"), blocked), blocked);
});

test("check --audit: a lone surrogate or 1e400 in a trace is BLOCKed, and the log replays with nothing skipped", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-recordable-"));
  assert.equal((await cli(["keys", "gen", "--out", join(dir, "keys")])).code, 0);
  const ok = JSON.stringify(pay("rent"));
  const trace = [ok, ok.replace('"rent"', '"x\\ud800"'), ok.replace('"rent"', "1e400")].join("\n");
  writeFileSync(join(dir, "trace.jsonl"), `${trace}\n`);
  const keys = join(dir, "keys", "warden-keys.json");
  const run = await cli(["check", "--policy", "examples/policies/finance.yaml", "--trace", join(dir, "trace.jsonl"), "--audit", join(dir, "log"), "--key", keys, "--json"]);
  const decisions = (out: string) => out.trim().split("\n").map((l) => JSON.parse(l) as { verdict?: string; reasons: Array<{ code: string; field?: string }> }).filter((d) => d.verdict !== undefined);
  const verdicts = decisions(run.out);
  assert.deepEqual(verdicts.map((d) => d.verdict), ["ALLOW", "BLOCK", "BLOCK"], run.out + run.err);
  assert.deepEqual(verdicts.slice(1).map((d) => d.reasons[0]?.code), ["INVALID_ACTION", "INVALID_ACTION"]);
  assert.equal(verdicts[1]?.reasons[0]?.field, "args.memo");
  // 1e400 is refused when the line is read (it would be Infinity), before any decision
  assert.match((verdicts[2]?.reasons[0] as { message?: string } | undefined)?.message ?? "", /1e400 at 1:\d+ is beyond the range of a double/);
  const replay = await cli(["replay", join(dir, "log"), "--policy", "examples/policies/finance.yaml", "--key", keys]);
  assert.equal(replay.code, 0, replay.out + replay.err);
  // Without --audit nothing is recorded, and decide() reads the lone surrogate as it is (1e400 is still unreadable).
  const plain = await cli(["check", "--policy", "examples/policies/finance.yaml", "--trace", join(dir, "trace.jsonl"), "--json"]);
  assert.deepEqual(decisions(plain.out).map((d) => d.verdict), ["ALLOW", "ALLOW", "BLOCK"]);
});

test("a Governor with a sink (serve, mcp, guard) refuses what it could not record as decided", async () => {
  const sink = new MemorySink();
  const g = new Governor(finance, { sink });
  const d = await g.decide(pay("x\ud800"));
  assert.equal(d.verdict, "BLOCK");
  assert.equal(d.reasons[0]?.code, "INVALID_ACTION");
  assert.deepEqual(sink.entries.map((e) => e.decision.verdict), ["BLOCK"]);
  assert.equal((await new Governor(finance).decide(pay("x\ud800"))).verdict, "ALLOW", "without a sink nothing is recorded");
});

test("check --audit: a lone surrogate in a key, agent.id, tool or at is a recorded BLOCK, not a crash (the log verifies)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-recordable-"));
  assert.equal((await cli(["keys", "gen", "--out", join(dir, "keys")])).code, 0);
  const keys = join(dir, "keys", "warden-keys.json");
  const base = { kind: "tool_call", tool: "ledger.read", at: "2026-03-02T10:00:00Z", agent: { id: "a-1", role: "operator" }, args: {} };
  // written as JSON text with the escapes themselves (JSON.stringify would escape them the same way)
  const lines = [
    JSON.stringify({ ...base, args: { "\udc00": "1" } }),
    JSON.stringify({ ...base, agent: { id: "a\ud800", role: "operator" } }),
    JSON.stringify({ ...base, tool: "ledger.read\ud800" }),
    JSON.stringify({ ...base, at: "2026-03-02T10:00:00\ud800Z" }),
  ];
  writeFileSync(join(dir, "trace.jsonl"), `${lines.join("\n")}\n`);
  const run = await cli(["check", "--policy", "examples/policies/finance.yaml", "--trace", join(dir, "trace.jsonl"), "--audit", join(dir, "log"), "--key", keys, "--json"]);
  assert.doesNotMatch(run.err, /internal error/, run.err);
  const out = run.out.trim().split("\n").map((l) => JSON.parse(l) as { verdict?: string; reasons?: Array<{ code: string; field?: string }> }).filter((d) => d.verdict !== undefined);
  assert.deepEqual(out.map((d) => [d.verdict, d.reasons?.[0]?.code, d.reasons?.[0]?.field]), [
    ["BLOCK", "INVALID_ACTION", "args.\\udc00"],
    ["BLOCK", "INVALID_ACTION", "agent.id"],
    ["BLOCK", "INVALID_ACTION", "tool"],
    ["BLOCK", "INVALID_ACTION", "at"],
  ]);
  const verify = await cli(["audit", "verify", join(dir, "log"), "--key", keys]);
  assert.equal(verify.code, 0, verify.out + verify.err);
  assert.match(verify.out, /4 records/);
});

test("serve-style recording (a Governor over a signed audit log): a lone surrogate in a key is INVALID_ACTION naming the field, not AUDIT_UNAVAILABLE", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-recordable-"));
  assert.equal((await cli(["keys", "gen", "--out", join(dir, "keys")])).code, 0);
  const sink = await AuditSink.open({ dir: join(dir, "log"), keys: join(dir, "keys", "warden-keys.json"), durability: "strict" });
  const g = new Governor(finance, { sink });
  const d = await g.decide({ kind: "tool_call", tool: "ledger.read", at: "2026-03-02T10:00:00Z", agent: { id: "a-1", role: "operator" }, args: { "k\udc00": 1 } });
  await sink.close();
  assert.equal(d.verdict, "BLOCK");
  assert.equal(d.reasons[0]?.code, "INVALID_ACTION", JSON.stringify(d.reasons));
  assert.equal(d.reasons[0]?.field, "args.k\\udc00");
});
