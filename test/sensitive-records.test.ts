// Fields a policy marks sensitive never reach a signed record, an audit export or a reason message in clear, and
// the records that hide them still replay exactly; a policy that would leak one (a budget keyed by it) does not compile.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { decide, MemoryThrottleStore } from "../src/index.js";
import { compilePolicy } from "../src/compile/compile.js";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { exportLog } from "../src/audit/export.js";
import { replayLog } from "../src/record/replay.js";
import { parseFieldPaths } from "../src/record/input.js";
import { canonicalize } from "../src/canonical/jcs.js";
import { compileFixturePolicy, fixtureKeys, tempDir } from "./record-fixtures.js";

const POLICY = `
id: pii
version: "1"
default: BLOCK
sensitive: [args.ssn, args.cards.*.number, context.patient]
tools: { payments.send: payment, notes.write: write }
rules:
  - id: known-fraud
    match: { tool: payments.send }
    when: { field: args.ssn, in: ["078-05-1120"] }
    verdict: BLOCK
    code: KNOWN_FRAUD
  - id: templated
    match: { tool: payments.send }
    when: { field: args.amount, gt: 5000 }
    verdict: BLOCK
    code: TOO_LARGE
    message: "payment of {args.amount} for {args.ssn} (cards {args.cards}, value {value}, patient {context.patient})"
  - id: value-echo
    match: { tool: payments.send }
    when: { field: args.ssn, starts_with: "9" }
    verdict: BLOCK
    code: ITIN
    message: "taxpayer id {value} in {field}"
  - id: scrub-memo
    match: { tool: payments.send }
    verdict: MODIFY
    code: MEMO_SCRUBBED
    modify: [ { redact: args.memo, with: "[memo removed]" } ]
    message: "memo removed for {args.ssn}"
  - id: declared-ok
    match: { tool: [payments.send, notes.write] }
    verdict: ALLOW
    code: NOTES
`;

const SECRETS = ["078-05-1120", "912-34-5678", "123-45-6789", "4111111111111111", "5500005555555559", "patient-7731"];

function actions(): Array<Record<string, unknown>> {
  const base = { kind: "tool_call", agent: { id: "agent-1", role: "ops" }, context: { patient: "patient-7731", session: "s-1" } };
  return [
    { ...base, at: "2026-03-02T10:00:00Z", tool: "payments.send", args: { amount: 10, ssn: "078-05-1120", memo: "x" } },
    { ...base, at: "2026-03-02T10:00:01Z", tool: "payments.send", args: { amount: 9000, ssn: "123-45-6789", cards: [{ number: "4111111111111111" }] } },
    { ...base, at: "2026-03-02T10:00:02Z", tool: "payments.send", args: { amount: 10, ssn: "912-34-5678" } },
    // MODIFY: the modified copy of the action carries the ssn and the card numbers; the record must not.
    { ...base, at: "2026-03-02T10:00:03Z", tool: "payments.send", args: { amount: 10, ssn: "123-45-6789", memo: "rent", cards: [{ number: "5500005555555559" }, { number: "4111111111111111" }] } },
    { ...base, at: "2026-03-02T10:00:04Z", tool: "notes.write", args: { text: "no secrets here" }, context: { session: "s-1" } },
  ];
}

function compile(source: string) {
  const r = compilePolicy(source, { file: "pii.yaml" });
  if (!r.ok) throw new Error(`policy does not compile: ${JSON.stringify(r.diagnostics)}`);
  return r.policy;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

test("reason messages mask sensitive fields: placeholders, {value} and the default message", () => {
  const policy = compile(POLICY);
  const [fraud, large, itin] = actions();
  const r1 = decide(policy, fraud);
  assert.equal(r1.verdict, "BLOCK");
  const m1 = r1.reasons.find((r) => r.rule === "known-fraud")?.message ?? "";
  assert.equal(m1, "rule `known-fraud` matched: `args.ssn` in (operand and value not shown: the field is sensitive)");
  const r2 = decide(policy, large);
  const m2 = r2.reasons.find((r) => r.rule === "templated")?.message;
  assert.equal(m2, "payment of 9000 for [sensitive] (cards [sensitive], value 9000, patient [sensitive])");
  // The same rule decided twice (the renderers cache by value) still masks.
  for (let i = 0; i < 3; i++) assert.equal(decide(policy, itin).reasons.find((r) => r.rule === "value-echo")?.message, "taxpayer id [sensitive] in args.ssn");
  // Not sensitive: a policy without the list echoes the value as before.
  const plain = compile(POLICY.replace("sensitive: [args.ssn, args.cards.*.number, context.patient]\n", ""));
  assert.equal(decide(plain, itin).reasons.find((r) => r.rule === "value-echo")?.message, "taxpayer id 912-34-5678 in args.ssn");
});

test("no sensitive value reaches the audit log's files or its SIEM export, and every record replays exactly", async () => {
  const t = tempDir("sensitive");
  try {
    const keys = fixtureKeys(t.dir);
    const policy = compile(POLICY);
    for (const mode of ["encrypt", "redact"] as const) {
      const dir = join(t.dir, `log-${mode}`);
      const log = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, sensitive: policy.ir.sensitive, sensitiveMode: mode });
      const store = new MemoryThrottleStore();
      const decisions = actions().map((a) => {
        const d = decide(policy, a, { throttle: store });
        log.append(a, d);
        return d;
      });
      await log.close();
      // The caller still gets the real modified action to forward.
      const modify = decisions[3]?.obligations.modify;
      assert.equal(decisions[3]?.verdict, "MODIFY");
      assert.deepEqual((modify?.action.args as Record<string, unknown>)["ssn"], "123-45-6789");
      assert.equal((modify?.action.args as Record<string, unknown>)["memo"], "[memo removed]");

      const files = filesUnder(dir);
      assert.ok(files.length > 0);
      // The MODIFY's record shows where each protected value was, and what the change did to the rest.
      const entries = files.filter((f) => f.endsWith(".jsonl")).flatMap((f) => readFileSync(f, "utf8").split("\n"));
      const modified = entries.find((l) => l.includes('"verdict":"MODIFY","wardenVersion"')) ?? "";
      assert.match(modified, /"ssn":\{"\$warden":"protected"\}/);
      assert.match(modified, /"cards":\[\{"number":\{"\$warden":"protected"\}\},\{"number":\{"\$warden":"protected"\}\}\]/);
      assert.match(modified, /"memo":"\[memo removed\]"/);
      // Nor is an unkeyed hash of an action that holds one: with every other field in clear, it would let anyone
      // test guesses of the SSN offline. Such actions get a keyed input hash.
      const plainHashes = actions().map((a) => `sha256:${createHash("sha256").update(canonicalize(a)).digest("hex")}`);
      const protectedOnes = actions().map((a) => SECRETS.some((x) => JSON.stringify(a).includes(x)));
      for (const f of files) {
        const bytes = readFileSync(f, "latin1");
        for (const s of SECRETS) assert.equal(bytes.includes(s), false, `${mode}: \`${s}\` is in clear in ${f}`);
        plainHashes.forEach((h, i) => protectedOnes[i] && assert.equal(bytes.includes(h.slice(7)), false, `${mode}: the plain hash of action ${i} is in ${f}`));
      }
      const inputHashes = entries.filter((l) => l.includes('"inputHash"')).map((l) => /"inputHash":"([^"]+)"/.exec(l)?.[1]);
      assert.deepEqual(inputHashes.map((h) => h?.startsWith("hmac-sha256:hmac-")), protectedOnes, inputHashes.join("\n"));
      const lines: string[] = [];
      await exportLog(new FileStorage(dir, { repair: false }), (l) => lines.push(l));
      assert.equal(lines.length, 5);
      for (const s of SECRETS) assert.equal(lines.join("\n").includes(s), false, `${mode}: \`${s}\` is in the export`);

      const report = await replayLog(new FileStorage(dir, { repair: false }), { policy, keys: keys.ring });
      if (mode === "encrypt") {
        assert.equal(report.replayed, 5, JSON.stringify(report.skipped));
        assert.equal(report.matched, 5, JSON.stringify(report.drift[0], null, 1));
        assert.equal(report.ok, true);
      } else {
        // Redacted values cannot be restored: those records are skipped, never guessed; the one without any is replayed.
        assert.equal(report.replayed, 1);
        assert.equal(report.matched, 1);
        assert.equal(report.skipped.length, 4);
      }
    }
  } finally {
    t.cleanup();
  }
});

test("replay catches a changed MODIFY behind a hidden value: the recorded view is compared, not skipped", async () => {
  const t = tempDir("sensitive-drift");
  try {
    const keys = fixtureKeys(t.dir);
    const policy = compile(POLICY);
    const dir = join(t.dir, "log");
    const log = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, sensitive: policy.ir.sensitive });
    const a = actions()[3] as Record<string, unknown>;
    log.append(a, decide(policy, a));
    await log.close();
    const changed = compile(POLICY.replace('with: "[memo removed]"', 'with: "[gone]"'));
    const report = await replayLog(new FileStorage(dir, { repair: false }), { policy: changed, keys: keys.ring });
    assert.equal(report.ok, false);
    assert.ok(report.drift[0]?.differs.includes("obligations"), JSON.stringify(report.drift[0]?.differs));
    // The drift report shows the recorded view too: the hidden values stay hidden.
    assert.equal(JSON.stringify(report.drift[0]?.replayed).includes("123-45-6789"), false);
  } finally {
    t.cleanup();
  }
});

test("a budget keyed by a sensitive field does not compile; bad sensitive paths are located errors", () => {
  const keyed = compilePolicy(
    `id: p\nversion: "1"\ndefault: BLOCK\nsensitive: [args.card]\nrules:\n  - id: per-card\n    verdict: THROTTLE\n    code: CARD_BUDGET\n    throttle: { limit: 5, per: 1h, key: [agent.id, args.card] }\n`,
    { file: "p.yaml" },
  );
  assert.equal(keyed.ok, false);
  const d = keyed.diagnostics.find((x) => x.code === "SENSITIVE_THROTTLE_KEY");
  assert.ok(d, JSON.stringify(keyed.diagnostics));
  assert.equal(d.span?.line, 9);
  assert.match(d.message, /per-card.*args\.card/);
  // A parent object of a sensitive field holds it too.
  const parentKey = compilePolicy(`id: p\nversion: "1"\ndefault: BLOCK\nsensitive: [args.card.number]\nrules:\n  - id: per-card\n    verdict: THROTTLE\n    code: CARD_BUDGET\n    throttle: { limit: 5, per: 1h, key: [args.card] }\n`, { file: "p.yaml" });
  assert.ok(!parentKey.ok && parentKey.diagnostics.some((x) => x.code === "SENSITIVE_THROTTLE_KEY"));

  const bad = compilePolicy(`id: p\nversion: "1"\ndefault: BLOCK\nsensitive: [args.ssn, argz.ssn, "args.c*", "*.x", tool, agent.id, agent.labels.patient, args..x]\n`, { file: "p.yaml" });
  assert.equal(bad.ok, false);
  const byPath = new Map(bad.diagnostics.map((x) => [x.span?.path, x]));
  assert.equal(byPath.get("sensitive.1")?.code, "UNKNOWN_FIELD_PATH");
  assert.match(byPath.get("sensitive.2")?.message ?? "", /partial glob/);
  assert.match(byPath.get("sensitive.3")?.message ?? "", /must start with an action field/);
  assert.match(byPath.get("sensitive.4")?.message ?? "", /cannot be sensitive/);
  assert.match(byPath.get("sensitive.5")?.message ?? "", /cannot be sensitive/);
  assert.equal(byPath.get("sensitive.0"), undefined);
  assert.equal(byPath.get("sensitive.6"), undefined);
  assert.equal(byPath.get("sensitive.7")?.code, "UNKNOWN_FIELD_PATH");
  assert.equal(bad.diagnostics.length, 6);
  // The audit log's own option refuses what records name in clear.
  assert.match(parseFieldPaths(["tool"]).errors[0] ?? "", /cannot be sensitive/);
  assert.deepEqual(parseFieldPaths(["args.ssn"]).paths, [["args", "ssn"]]);
  // The fixture policy of the other record tests still compiles.
  assert.ok(compileFixturePolicy());
});

test("input that is not an action is kept raw only when the policy marks no field sensitive", async () => {
  const t = tempDir("sensitive-invalid");
  try {
    const keys = fixtureKeys(t.dir);
    const line = '{"kind":"tool_call","tool":"payments.send","args":{"ssn":"078-05-1120",';
    for (const [name, source, kept] of [["pii", POLICY, false], ["plain", POLICY.replace("sensitive: [args.ssn, args.cards.*.number, context.patient]\n", ""), true]] as const) {
      const policy = compile(source);
      const dir = join(t.dir, name);
      const log = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, sensitive: policy.ir.sensitive });
      log.append(line, decide(policy, line), "not JSON: the line ends inside an object");
      await log.close();
      const bytes = filesUnder(dir).map((f) => readFileSync(f, "latin1")).join("\n");
      assert.equal(bytes.includes("078-05-1120"), kept, `${name}: raw input ${kept ? "not " : ""}kept`);
      assert.match(bytes, /not JSON: the line ends inside an object/);
    }
  } finally {
    t.cleanup();
  }
});
