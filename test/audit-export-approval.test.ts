// SIEM export of approval outcomes: the event names the approval, its outcome and the ESCALATE record it
// resolves as fields (no parsing of messages); a stored input that does not match its hash yields nulls.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decide } from "../src/index.js";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { exportLog, type DecisionEventV1 } from "../src/audit/export.js";
import { approvalAction, approvalDecision } from "../src/record/approval.js";
import { compileFixturePolicy, fixtureKeys, tempDir } from "./record-fixtures.js";

async function exported(dir: string): Promise<DecisionEventV1[]> {
  const lines: string[] = [];
  const r = await exportLog(new FileStorage(dir, { repair: false }), (l) => lines.push(l));
  assert.equal(r.malformed, 0);
  return lines.map((l) => JSON.parse(l) as DecisionEventV1);
}

test("an approval event carries approval_id, approval_outcome and the ESCALATE record it resolves", async (t) => {
  const { dir, cleanup } = tempDir("export-approval");
  t.after(cleanup);
  const keys = fixtureKeys(dir).ring;
  const policy = compileFixturePolicy();
  const logDir = join(dir, "log");
  const log = await AuditLog.open(new FileStorage(logDir), { keys, sensitive: policy.ir.sensitive });
  const held = { kind: "tool_call", tool: "payments.send", agent: { id: "fin-1" }, at: "2026-03-02T10:00:00Z", args: { counterparty: "acme-corp", amount: 25000, ssn: "123-45-6789" } };
  const d = decide(policy, held);
  assert.equal(d.verdict, "ESCALATE");
  const escalate = log.append(held, d);
  const ref = { record: `${log.log}:${escalate.seq}`, inputHash: escalate.inputHash };
  const outcome = approvalAction({ tool: "payments.send", by: "alice", at: "2026-03-02T10:05:00Z", approval: "apr_42", outcome: "approved", decision: ref, note: "ok" });
  log.append(outcome, approvalDecision(policy.info, outcome));
  await log.close();

  const [first, second] = await exported(logDir);
  assert.ok(first && second);
  assert.deepEqual([first.approval_id, first.approval_outcome, first.approves_record, first.approves_input_hash], [null, null, null, null], "a tool call has no approval fields");
  assert.equal(second.action_kind, "approval");
  assert.equal(second.verdict, "ALLOW");
  assert.equal(second.approval_id, "apr_42");
  assert.equal(second.approval_outcome, "approved");
  assert.equal(second.approves_record, first.event_id);
  assert.equal(second.approves_input_hash, first.input_hash);
  assert.ok(!JSON.stringify(second).includes("123-45-6789") && !JSON.stringify(first).includes("123-45-6789"), "no tool arguments");

  // A stored input edited after the fact no longer matches the record's input hash: nothing is taken from it.
  const seg = join(logDir, readdirSync(logDir).find((n) => n.startsWith("entries-")) as string);
  writeFileSync(seg, readFileSync(seg, "utf8").replace('"approval":"apr_42"', '"approval":"apr_99"'));
  const [, tampered] = await exported(logDir);
  assert.equal(tampered?.event_id, second.event_id);
  assert.deepEqual([tampered?.approval_id, tampered?.approves_record], [null, null]);
});
