// guard() against a sidecar: a held (ESCALATE) call's outcome is recorded in the sidecar's audit log, bound to
// the ESCALATE record, through POST /v1/approvals/outcome; an approval the sidecar cannot record does not run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compilePolicy } from "../src/compile/compile.js";
import { Governor } from "../src/gateway/governor.js";
import { buildGateway } from "../src/gateway/server.js";
import { AuditSink } from "../src/gateway/audit-sink.js";
import { ApprovalStore } from "../src/approvals/store.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { exportLog, type DecisionEventV1 } from "../src/audit/export.js";
import { verifyLog } from "../src/audit/verify.js";
import { generateKeyFiles } from "../src/keys/keyfile.js";
import { guard, WardenBlockedError } from "../src/guard/index.js";

const POLICY = `
id: payments
version: "1"
default: BLOCK
tools: { sendPayment: write }
rules:
  - { id: declared, match: { class: write }, verdict: ALLOW }
  - id: big-payment
    match: { tool: sendPayment }
    when: { field: args.amount, gt: 1000 }
    verdict: ESCALATE
    code: NEEDS_APPROVAL
    approval: { group: finance, timeout: 30s }
`;
const compiled = compilePolicy(POLICY);
assert.ok(compiled.ok, JSON.stringify(compiled.diagnostics));
const policy = compiled.policy;
const TOKEN = "sidecar-approval-token-0123456789";

async function firstPending(store: ApprovalStore): Promise<string> {
  for (;;) {
    const id = store.list("pending")[0]?.request.id;
    if (id !== undefined) return id;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A payment tool guarded by the sidecar at `url`, holding ESCALATE'd calls in an approval store under `root`. */
function guardedPayment(root: string, url: string) {
  const ran: unknown[] = [];
  const store = new ApprovalStore(join(root, "approvals"));
  const pay = guard(
    async function sendPayment(args: { payee: string; amount: number }) {
      ran.push(args);
      return `sent ${args.amount}`;
    },
    { sidecarUrl: url, token: TOKEN, approvals: store, approvalPollMs: 10, timeoutMs: 500, agent: { id: "fin-1" } },
  );
  return { ran, store, pay };
}

test("approved and denied holds are recorded in the sidecar's log, each bound to its ESCALATE record", async (t) => {
  const root = mkdtempSync(join(tmpdir(), "warden-guard-sidecar-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const keys = generateKeyFiles(join(root, "keys"), new Date("2026-03-01T00:00:00Z"));
  const auditDir = join(root, "audit");
  const sink = await AuditSink.open({ dir: auditDir, keys: keys.keyring });
  const { app } = buildGateway({ governor: new Governor(policy, { sink }), apiToken: TOKEN });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const { ran, store, pay } = guardedPayment(root, url);
  try {
    const approved = pay({ payee: "globex", amount: 5000 });
    store.resolve(await firstPending(store), "approved", "carol", "checked the invoice");
    assert.equal(await approved, "sent 5000");
    const denied = pay({ payee: "globex", amount: 7000 });
    store.resolve(await firstPending(store), "denied", "dave");
    await assert.rejects(denied, (e: unknown) => e instanceof WardenBlockedError && e.verdict === "ESCALATE" && /denied/.test(e.message));
    assert.deepEqual(ran, [{ payee: "globex", amount: 5000 }]);
  } finally {
    await app.close();
    await sink.close();
  }
  const events: DecisionEventV1[] = [];
  await exportLog(new FileStorage(auditDir, { repair: false }), (l) => events.push(JSON.parse(l) as DecisionEventV1));
  assert.deepEqual(events.map((e) => [e.action_kind, e.verdict, e.reason_codes[0]]), [
    ["tool_call", "ESCALATE", "NEEDS_APPROVAL"],
    ["approval", "ALLOW", "APPROVAL_GRANTED"],
    ["tool_call", "ESCALATE", "NEEDS_APPROVAL"],
    ["approval", "BLOCK", "APPROVAL_DENIED"],
  ]);
  const [esc1, ok1, esc2, no2] = events as [DecisionEventV1, DecisionEventV1, DecisionEventV1, DecisionEventV1];
  assert.equal(ok1.approves_record, esc1.event_id);
  assert.equal(ok1.approves_input_hash, esc1.input_hash);
  assert.equal(ok1.agent_id, "carol");
  assert.equal(no2.approves_record, esc2.event_id);
  assert.equal(no2.agent_id, "dave");
  const v = await verifyLog(new FileStorage(auditDir, { repair: false }), { keys: keys.ring });
  assert.ok(v.ok, JSON.stringify(v.errors.slice(0, 3)));
});

test("fail closed: an approval the sidecar cannot record does not run the held call", async (t) => {
  const root = mkdtempSync(join(tmpdir(), "warden-guard-sidecar-down-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const { app } = buildGateway({ governor: new Governor(policy), apiToken: TOKEN });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const { ran, store, pay } = guardedPayment(root, url);
  const held = pay({ payee: "globex", amount: 5000 });
  const id = await firstPending(store);
  await app.close(); // the sidecar is gone before the outcome can be recorded
  store.resolve(id, "approved", "carol");
  await assert.rejects(held, (e: unknown) => e instanceof WardenBlockedError && e.code === "AUDIT_UNAVAILABLE" && /could not be recorded/.test(e.message));
  assert.deepEqual(ran, []);
});

test("the outcome endpoint records a malformed approval as the BLOCK it is, and needs the token", async () => {
  const { app } = buildGateway({ governor: new Governor(policy), apiToken: TOKEN });
  try {
    const anon = await app.inject({ method: "POST", url: "/v1/approvals/outcome", payload: { kind: "approval" } });
    assert.equal(anon.statusCode, 401);
    const bad = await app.inject({ method: "POST", url: "/v1/approvals/outcome", headers: { authorization: `Bearer ${TOKEN}` }, payload: { kind: "approval", tool: "sendPayment" } });
    assert.equal(bad.statusCode, 200);
    const body = bad.json() as { decision: { verdict: string; reasons: { code: string }[] }; recorded: unknown };
    assert.equal(body.decision.verdict, "BLOCK");
    assert.equal(body.decision.reasons[0]?.code, "APPROVAL_INVALID");
    assert.equal(body.recorded, null, "this sidecar keeps no log");
  } finally {
    await app.close();
  }
});
