// End to end: an ESCALATE'd call's outcome is a signed record in the audit log, bound to its ESCALATE record.
// The SDK's real Client talks over stdio to `warden mcp --audit`, which governs the real
// @modelcontextprotocol/server-filesystem under examples/policies/mcp-filesystem.yaml; then the log is checked
// with `warden audit verify` and `warden replay` (approved, denied, timed out; tampered; a bad binding).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { ApprovalStore } from "../src/approvals/store.js";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { runCli } from "../src/cli/main.js";
import { decide } from "../src/engine/decide.js";
import { generateKeyFiles, loadKeys } from "../src/keys/keyfile.js";
import { loadPolicyFile } from "../src/node/load.js";
import { approvalAction, approvalDecision } from "../src/record/approval.js";
import type { DecisionRecordV1 } from "../src/record/record.js";
import { wardenCliTransport } from "./mcp-cli.js";
import { cli, captureIO as io } from "./cli-capture.js";

const tmp = mkdtempSync(join(tmpdir(), "warden-mcp-apr-audit-"));
const root = join(tmp, "root");
const approvals = join(tmp, "approvals");
const auditDir = join(tmp, "audit");
const keys = generateKeyFiles(join(tmp, "keys"), new Date());
const FS_BIN = join(process.cwd(), "node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");

// The shipped policy with a 2 s approval timeout, so the timeout case does not wait 5 minutes.
const policyFile = join(tmp, "mcp-filesystem.yaml");
writeFileSync(policyFile, readFileSync("examples/policies/mcp-filesystem.yaml", "utf8").replace("timeout: 5min", "timeout: 2s"));

let client: Client;
let stderr: () => string = () => "";

before(async () => {
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "readme.txt"), "hello\n");
  const args = ["mcp", "--policy", policyFile, "--agent-id", "coder-1", "--approvals-dir", approvals, "--approval-poll-ms", "20", "--audit", auditDir, "--keys", keys.keyring, "--durability", "strict", "--log-level", "info", "--", process.execPath, FS_BIN, root];
  const cli = wardenCliTransport(args);
  stderr = cli.stderr;
  client = new Client({ name: "warden-e2e", version: "1" });
  await client.connect(cli.transport);
});

after(async () => {
  await client?.close();
});

const call = async (name: string, args: Record<string, unknown>): Promise<CallToolResult> => (await client.callTool({ name, arguments: args })) as CallToolResult;
const text = (r: CallToolResult): string => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

interface Entry {
  record: DecisionRecordV1;
  input: Record<string, any>;
}

/** Every entry of a segment-file log: the signed record and the stored (inline) input. */
function entries(dir: string): Entry[] {
  const out: Entry[] = [];
  for (const f of readdirSync(dir).filter((n) => n.startsWith("entries-")).sort()) {
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
      if (line === "") continue;
      const tab = line.indexOf("\t");
      out.push({ record: (JSON.parse(line.slice(0, tab)) as { record: DecisionRecordV1 }).record, input: JSON.parse(line.slice(tab + 1)) });
    }
  }
  return out;
}

async function pendingFor(path: string): Promise<string> {
  const store = new ApprovalStore(approvals);
  for (let i = 0; i < 500; i++) {
    const id = store.list("pending").find((x) => x.request.action.args?.path === path)?.request.id;
    if (id !== undefined) return id;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no pending approval for ${path}\n${stderr()}`);
}

/** The ESCALATE record of a held write to `path`, and the approval record that follows it. */
function pair(path: string): { escalate: Entry; approval: Entry } {
  const all = entries(auditDir);
  const i = all.findIndex((e) => e.record.verdict === "ESCALATE" && e.input["args"]?.path === path);
  assert.ok(i >= 0, `an ESCALATE record for ${path}`);
  const escalate = all[i] as Entry;
  const approval = all.find((e) => e.record.kind === "approval" && e.input["args"]?.decision?.record === escalate.record.id);
  assert.ok(approval, `an approval record bound to ${escalate.record.id}`);
  assert.ok(approval.record.seq > escalate.record.seq, "the outcome comes after its decision");
  return { escalate, approval };
}

const outcomes: Record<string, { escalate: Entry; approval: Entry }> = {};

test("approved: the call runs, and the log holds the ESCALATE record followed by an APPROVAL_GRANTED record bound to it", async () => {
  const target = join(root, "approved.txt");
  const pending = call("write_file", { path: target, content: "approved content" });
  const id = await pendingFor(target);
  const o = io();
  assert.equal(await runCli(["approvals", "approve", id, "--dir", approvals, "--by", "alice", "--note", "reviewed"], o), 0, o.stderr);
  const r = await pending;
  assert.notEqual(r.isError, true, text(r));
  assert.equal(readFileSync(target, "utf8"), "approved content");
  const { escalate, approval } = pair(target);
  assert.equal(escalate.record.reasons[0]?.code, "WRITE_NEEDS_APPROVAL");
  assert.equal(escalate.record.obligations.approval?.group, "filesystem-approvers");
  const a = approval.record;
  assert.equal(a.verdict, "ALLOW");
  assert.equal(a.enforced, true);
  assert.equal(a.tool, "write_file");
  assert.equal(a.agent, "alice");
  assert.equal(a.reasons.length, 1);
  assert.equal(a.reasons[0]?.code, "APPROVAL_GRANTED");
  assert.equal(a.reasons[0]?.rule, "approval");
  assert.match(a.reasons[0]?.message ?? "", new RegExp(`approval \`${id}\` for \`write_file\` \\(decision \`${escalate.record.id}\`\\) was approved by \`alice\``));
  assert.deepEqual(a.policy, escalate.record.policy, "recorded under the running policy");
  const store = new ApprovalStore(approvals).get(id);
  assert.deepEqual(approval.input, {
    kind: "approval",
    tool: "write_file",
    agent: { id: "alice" },
    at: store?.resolution?.at,
    args: { approval: id, outcome: "approved", decision: { record: escalate.record.id, inputHash: escalate.record.inputHash }, note: "reviewed" },
  });
  assert.equal(a.at, store?.resolution?.at, "the outcome's time is when the approver resolved it");
  outcomes["approved"] = { escalate, approval };
});

test("denied by a human: APPROVAL_DENIED is recorded and the call did not run", async () => {
  const target = join(root, "denied.txt");
  const pending = call("write_file", { path: target, content: "must not land" });
  const id = await pendingFor(target);
  assert.equal(await runCli(["approvals", "deny", id, "--dir", approvals, "--by", "bob", "--note", "not today"], io()), 0);
  const r = await pending;
  assert.equal(r.isError, true);
  assert.match(text(r), /was denied by bob \(not today\)/);
  assert.ok(!existsSync(target), "the server never wrote the file");
  const { escalate, approval } = pair(target);
  assert.equal(approval.record.verdict, "BLOCK");
  assert.equal(approval.record.reasons[0]?.code, "APPROVAL_DENIED");
  assert.equal(approval.record.agent, "bob");
  assert.equal(approval.input["args"].outcome, "denied");
  assert.equal(approval.input["args"].note, "not today");
  assert.equal(approval.input["args"].decision.inputHash, escalate.record.inputHash);
  outcomes["denied"] = { escalate, approval };
});

test("nobody decides in time: APPROVAL_TIMEOUT is recorded and the call did not run", async () => {
  const target = join(root, "timeout.txt");
  const r = await call("write_file", { path: target, content: "must not land" });
  assert.equal(r.isError, true);
  assert.match(text(r), /not approved within 2000 ms/);
  assert.ok(!existsSync(target));
  const { escalate, approval } = pair(target);
  assert.equal(approval.record.verdict, "BLOCK");
  assert.equal(approval.record.reasons[0]?.code, "APPROVAL_TIMEOUT");
  assert.equal(approval.record.agent, "warden:timeout");
  assert.equal(approval.input["args"].decision.record, escalate.record.id);
  outcomes["timeout"] = { escalate, approval };
});

test("after the proxy stops: `warden audit verify` passes and `warden replay` matches every record, approvals included", async () => {
  await client.close();
  assert.match(stderr(), /proxy stopped/);
  const all = entries(auditDir);
  assert.equal(all.filter((e) => e.record.kind === "approval").length, 3);
  const v = await cli(["audit", "verify", auditDir, "--key", keys.keyring]);
  assert.equal(v.code, 0, v.out + v.err);
  const vPub = await cli(["audit", "verify", auditDir, "--key", keys.jwks]);
  assert.equal(vPub.code, 0, vPub.out + vPub.err);
  const rp = await cli(["replay", auditDir, "--policy", policyFile, "--key", keys.keyring, "--json"]);
  assert.equal(rp.code, 0, rp.out + rp.err);
  const report = JSON.parse(rp.out) as { records: number; replayed: number; matched: number; approvals: number; drifted: number };
  assert.equal(report.records, all.length);
  assert.equal(report.matched, all.length, "every record, decisions and approvals, replays identically");
  assert.equal(report.approvals, 3);
  assert.equal(report.drifted, 0);
  const human = await cli(["replay", auditDir, "--policy", policyFile, "--key", keys.keyring]);
  assert.match(human.out, /^ok .*, 0 drifted, 0 skipped\n  3 of the replayed records are approval outcomes/);
  // The SIEM export carries the approval records as decision events too.
  const ex = await cli(["audit", "export", auditDir]);
  const events = ex.out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  const granted = events.find((e) => e["action_kind"] === "approval" && (e["reason_codes"] as string[])[0] === "APPROVAL_GRANTED");
  assert.equal(granted?.["agent_id"], "alice");
  assert.equal(granted?.["event_id"], outcomes["approved"]?.approval.record.id);
  assert.equal(granted?.["approves_record"], outcomes["approved"]?.escalate.record.id, "the held decision, as a field");
  assert.equal(granted?.["approval_outcome"], "approved");
});

test("a tampered approval record is caught by `warden audit verify`, which names it", async () => {
  const copy = join(tmp, "audit-tampered");
  cpSync(auditDir, copy, { recursive: true });
  const seg = join(copy, readdirSync(copy).find((n) => n.startsWith("entries-")) as string);
  const lines = readFileSync(seg, "utf8").split("\n");
  const seq = outcomes["denied"]?.approval.record.seq as number;
  // Turn the denial into an approval by the same person: same length, so only the content changed.
  lines[seq] = (lines[seq] as string).replace('"verdict":"BLOCK"', '"verdict":"ALLOW"');
  writeFileSync(seg, lines.join("\n"));
  const v = await cli(["audit", "verify", copy, "--key", keys.keyring]);
  assert.equal(v.code, 1);
  assert.match(v.out + v.err, new RegExp(`first bad record: ${seq}\\b`));
});

test("replay flags approval records bound to a decision that was not an ESCALATE, to a later record, or twice", async () => {
  const dir = join(tmp, "audit-bad-binding");
  const compiled = loadPolicyFile(policyFile);
  assert.ok(compiled.ok);
  const policy = compiled.policy;
  const log = await AuditLog.open(new FileStorage(dir), { keys: loadKeys(keys.keyring), durability: "strict" });
  const at = "2026-11-22T07:00:00.000Z";
  const read = { kind: "tool_call", at, tool: "read_text_file", args: { path: join(root, "readme.txt") }, agent: { id: "coder-1" } } as const;
  const write = { kind: "tool_call", at, tool: "write_file", args: { path: join(root, "x.txt"), content: "x" }, agent: { id: "coder-1" } } as const;
  const r0 = await log.record(read, decide(policy, read));
  const r1 = await log.record(write, decide(policy, write));
  assert.equal(decide(policy, write).verdict, "ESCALATE");
  const approve = async (tool: string, record: string, inputHash: string | null) => {
    const a = approvalAction({ tool, by: "mallory", at, approval: "apr_forged", outcome: "approved", decision: { record, inputHash } });
    return log.record(a, approvalDecision(policy.info, a));
  };
  const bad0 = await approve("read_text_file", `${log.log}:${r0.seq}`, r0.inputHash); // 2: bound to an ALLOW
  const good = await approve("write_file", `${log.log}:${r1.seq}`, r1.inputHash); // 3: fine
  const dup = await approve("write_file", `${log.log}:${r1.seq}`, r1.inputHash); // 4: a second outcome
  const later = await approve("write_file", `${log.log}:99`, r1.inputHash); // 5: not earlier
  const wrongHash = await approve("write_file", `${log.log}:${r1.seq}`, r0.inputHash); // 6: other input, and a third outcome
  const elsewhere = await approve("write_file", `ffffffffffffffff:${r1.seq}`, r1.inputHash); // 7: another log: not checkable here
  await log.close();
  const rp = await cli(["replay", dir, "--policy", policyFile, "--key", keys.keyring, "--json"]);
  assert.equal(rp.code, 1);
  const report = JSON.parse(rp.out) as { matched: number; approvals: number; drift: Array<{ seq: number; differs: string[]; problems?: string[] }> };
  assert.equal(report.approvals, 6);
  const bySeq = new Map(report.drift.map((d) => [d.seq, d]));
  assert.deepEqual([...bySeq.keys()].sort((a, b) => a - b), [bad0.seq, dup.seq, later.seq, wrongHash.seq]);
  for (const d of report.drift) assert.deepEqual(d.differs, ["approval binding"], "the record itself replays: only its binding is wrong");
  assert.match(bySeq.get(bad0.seq as number)?.problems?.[0] ?? "", /names decision `[0-9a-f]+:0`, which is not an ESCALATE decision with an approval obligation/);
  assert.match(bySeq.get(dup.seq as number)?.problems?.[0] ?? "", new RegExp(`already has an approval outcome \\(record ${good.seq}\\)`));
  assert.match(bySeq.get(later.seq as number)?.problems?.[0] ?? "", /not earlier in the log/);
  assert.match((bySeq.get(wrongHash.seq as number)?.problems ?? []).join("\n"), /inputHash .* is not that of decision/);
  assert.equal(report.matched, 4, "the two decisions, the good approval and the one bound to another log");
  assert.ok(elsewhere.seq !== null);
  const human = await cli(["replay", dir, "--policy", policyFile, "--key", keys.keyring]);
  assert.match(human.out, /drift at record 2 .*: approval binding\n[\s\S]*problem: the approval names decision/);
  // An agent that sends an action of kind `approval` itself gets an engine BLOCK, and it replays with decide().
  const dir2 = join(tmp, "audit-agent-approval");
  const log2 = await AuditLog.open(new FileStorage(dir2), { keys: loadKeys(keys.keyring), durability: "strict" });
  const fake = approvalAction({ tool: "write_file", by: "agent", at, approval: "apr_x", outcome: "approved", decision: { record: null, inputHash: null } });
  const d = decide(policy, fake);
  assert.equal(d.verdict, "BLOCK");
  assert.equal(d.reasons[0]?.rule, "engine");
  await log2.record(fake, d);
  await log2.close();
  const rp2 = await cli(["replay", dir2, "--policy", policyFile, "--key", keys.keyring, "--json"]);
  assert.equal(rp2.code, 0, rp2.out);
  assert.equal((JSON.parse(rp2.out) as { approvals: number }).approvals, 0);
});

