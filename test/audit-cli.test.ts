// The audit CLI end to end: keys gen/rotate/jwks, check --audit, audit verify (first bad record), proof +
// verify-proof with the JWKS alone, consistency proofs, SIEM export, replay with and without drift.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { POLICY_YAML, randomActions, tempDir } from "./record-fixtures.js";
import { cli, captureIO as io } from "./cli-capture.js";

test("keys → check --audit → verify → proof → verify-proof → export → replay", async () => {
  const t = tempDir("cli");
  try {
    const keyDir = join(t.dir, "keys");
    const gen = await cli(["keys", "gen", "--out", keyDir, "--json"]);
    assert.equal(gen.code, 0, gen.err);
    const { keyring, jwks } = JSON.parse(gen.out) as { keyring: string; jwks: string };
    assert.equal(statSync(keyring).mode & 0o777, 0o600);
    assert.equal((await cli(["keys", "gen", "--out", keyDir])).code, 1, "no silent overwrite");
    const pub = JSON.parse((await cli(["keys", "jwks", "--key", keyring, "--json"])).out) as { keys: Array<{ kty: string; crv: string; d?: string }> };
    assert.equal(pub.keys.length, 1);
    assert.equal(pub.keys[0]?.crv, "Ed25519");
    assert.equal(pub.keys[0]?.d, undefined, "no private material in the JWKS");

    const policy = join(t.dir, "policy.yaml");
    writeFileSync(policy, POLICY_YAML);
    const trace = join(t.dir, "trace.jsonl");
    writeFileSync(trace, `${randomActions(300, 8).map((a) => JSON.stringify(a)).join("\n")}\nnot json\n`);
    const log = join(t.dir, "log");
    const check = await cli(["check", "--policy", policy, "--trace", trace, "--audit", log, "--key", keyring, "--durability", "strict"]);
    assert.equal(check.code, 1, "the malformed line makes check exit 1");
    assert.match(check.err, /audit: 301 records in log [0-9a-f]+ \(sealed at 301\)/);
    // The policy marks args.ssn sensitive: it is stored encrypted, never in clear.
    assert.ok(!/\d{3}-12-\d{4}/.test(readFileSync(join(log, "entries-000000000000.jsonl"), "utf8")));
    // A second run appends to the same log (rotated key: old records still verify).
    assert.equal((await cli(["keys", "rotate", "--key", keyring])).code, 0);
    const again = await cli(["check", "--policy", policy, "--trace", trace, "--audit", log, "--key", keyring]);
    assert.match(again.err, /audit: 602 records/);

    const ok = await cli(["audit", "verify", log, "--key", keyring]);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /^ok .*602 records/);
    const okPub = await cli(["audit", "verify", log, "--key", jwks, "--json"]);
    assert.equal(okPub.code, 0);
    assert.equal((JSON.parse(okPub.out) as { checked: { heads: number } }).checked.heads >= 2, true);

    // Inclusion proof checked with the public keys alone; a doctored proof fails.
    const proofFile = join(t.dir, "proof.json");
    assert.equal((await cli(["audit", "proof", log, "--record", "123", "--out", proofFile])).code, 0);
    const vp = await cli(["audit", "verify-proof", proofFile, "--key", jwks]);
    assert.equal(vp.code, 0, vp.out);
    assert.match(vp.out, /ok: record 123/);
    const bundle = JSON.parse(readFileSync(proofFile, "utf8")) as { entry: string; proof: string[] };
    const doctored = join(t.dir, "doctored.json");
    writeFileSync(doctored, JSON.stringify({ ...bundle, entry: bundle.entry.replace(/"verdict":"[A-Z]+"/, '"verdict":"ALLOW"').replace(/"verdict":"ALLOW"/, '"verdict":"BLOCK"') }));
    assert.equal((await cli(["audit", "verify-proof", doctored, "--key", jwks])).code, 1);
    writeFileSync(doctored, JSON.stringify({ ...bundle, proof: bundle.proof.slice(1) }));
    assert.equal((await cli(["audit", "verify-proof", doctored, "--key", jwks])).code, 1);
    const cons = await cli(["audit", "proof", log, "--consistency", "301", "--json"]);
    assert.equal(cons.code, 0, cons.err);
    writeFileSync(doctored, cons.out);
    assert.match((await cli(["audit", "verify-proof", doctored, "--key", jwks])).out, /ok: the later signed tree head extends the earlier one/);

    // SIEM export: one event per decision, stable names, no action arguments.
    const exp = await cli(["audit", "export", log]);
    const events = exp.out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(events.length, 602);
    assert.equal(events[0]?.["schema"], "warden.decision.v1");
    assert.ok(events.every((e) => typeof e["verdict"] === "string" && typeof e["record_hash"] === "string"));
    assert.ok(!exp.out.includes('"args"') && !/\d{3}-12-\d{4}/.test(exp.out), "arguments never leave in the export");

    // Replay: identical under the same policy (the malformed lines are checked to be BLOCKed).
    const rep = await cli(["replay", log, "--policy", policy, "--key", keyring]);
    assert.equal(rep.code, 0, rep.out);
    assert.match(rep.out, /^ok .*602 records, 600 replayed, 600 identical/);
    const changed = join(t.dir, "changed.yaml");
    writeFileSync(changed, POLICY_YAML.replace("gt: 10000", "gt: 5000"));
    const drift = await cli(["replay", log, "--policy", changed, "--key", keyring]);
    assert.equal(drift.code, 1);
    assert.match(drift.out, /drift at record \d+ .*verdict/);
    assert.match(drift.out, /recorded: ALLOW .*\n  replayed: ESCALATE/);

    // Truncating the log AND its heads file back to an earlier head passes a plain verify (nothing inside
    // the log can tell), but not against a head the auditor saved before (here: the proof's head).
    const cut = join(t.dir, "cut");
    cpSync(log, cut, { recursive: true });
    const cutSeg = join(cut, "entries-000000000000.jsonl");
    writeFileSync(cutSeg, readFileSync(cutSeg, "utf8").split("\n").slice(0, 301).map((l) => `${l}\n`).join(""));
    writeFileSync(join(cut, "heads.jsonl"), `${readFileSync(join(cut, "heads.jsonl"), "utf8").split("\n")[0]}\n`);
    assert.equal((await cli(["audit", "verify", cut, "--key", jwks])).code, 0, "undetectable from inside");
    const caught = await cli(["audit", "verify", cut, "--key", jwks, "--expect-head", proofFile]);
    assert.equal(caught.code, 1);
    assert.match(caught.out, /expected tree head 0 \(size 602\): the log has only 301 records/);
    assert.equal((await cli(["audit", "verify", log, "--key", jwks, "--expect-head", proofFile])).code, 0);

    // Tamper with one byte of record 200: verify names it.
    const seg = join(log, "entries-000000000000.jsonl");
    const lines = readFileSync(seg, "utf8").split("\n");
    lines[200] = (lines[200] as string).replace(/"seq":200/, '"seq":201');
    writeFileSync(seg, lines.join("\n"));
    const bad = await cli(["audit", "verify", log, "--key", keyring]);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /first bad record: 200: /);
  } finally {
    t.cleanup();
  }
});

test("usage errors are clear", async () => {
  assert.equal((await cli(["audit"])).code, 2);
  assert.match((await cli(["check", "--policy", "examples/policies/finance.yaml", "--trace", "t", "--audit", "/tmp/x"])).err, /--audit needs --key/);
  assert.match((await cli(["audit", "verify-proof", "p.json"])).err, /--key is required/);
  const noServer = await cli(["audit", "verify", "postgres://postgres@127.0.0.1:1/test#x"]);
  assert.equal(noServer.code, 1);
  assert.match(noServer.out, /cannot connect to postgres:/);
  const missing = await cli(["audit", "verify", "/nonexistent/log"]);
  assert.equal(missing.code, 1);
  assert.match(missing.out, /not a warden audit log/);
  const threads = await cli(["audit", "verify", "/nonexistent/log", "--threads", "0"]);
  assert.equal(threads.code, 2);
  assert.match(threads.err, /--threads `0` is not a thread count/);
});

test("check --action --audit records the single decision (strict) before printing it", async () => {
  const t = tempDir("cli-one");
  try {
    const keyDir = join(t.dir, "keys");
    assert.equal((await cli(["keys", "gen", "--out", keyDir])).code, 0);
    const policy = join(t.dir, "policy.yaml");
    writeFileSync(policy, POLICY_YAML);
    const action = join(t.dir, "a.json");
    writeFileSync(action, JSON.stringify(randomActions(1, 2)[0]));
    const log = join(t.dir, "log");
    const key = join(keyDir, "warden-keys.json");
    await cli(["check", "--policy", policy, "--action", action, "--audit", log, "--key", key, "--durability", "strict"]);
    writeFileSync(action, "{ not json");
    assert.equal((await cli(["check", "--policy", policy, "--action", action, "--audit", log, "--key", key])).code, 1);
    const v = await cli(["audit", "verify", log, "--key", key, "--json"]);
    assert.equal(v.code, 0, v.out);
    assert.equal((JSON.parse(v.out) as { records: number }).records, 2);
    const rep = await cli(["replay", log, "--policy", policy, "--key", key, "--json"]);
    const r = JSON.parse(rep.out) as { replayed: number; invalid: number; ok: boolean };
    assert.deepEqual([r.replayed, r.invalid, r.ok], [1, 1, true]);
    assert.match((await cli(["check", "--policy", policy, "--action", action, "--audit", log, "--key", key, "--durability", "sometimes"])).err, /--durability takes/);
  } finally {
    t.cleanup();
  }
});

test("audit verify names a tree head's own problem as the head's, not as record `-`", async () => {
  const t = tempDir("warden-cli-head-");
  try {
    const keyDir = join(t.dir, "keys");
    assert.equal((await cli(["keys", "gen", "--out", keyDir])).code, 0);
    const keyring = join(keyDir, "warden-keys.json");
    const log = join(t.dir, "log");
    writeFileSync(join(t.dir, "trace.jsonl"), randomActions(5, 3).map((a) => JSON.stringify(a)).join("\n") + "\n");
    writeFileSync(join(t.dir, "p.yaml"), POLICY_YAML);
    assert.equal((await cli(["check", "--policy", join(t.dir, "p.yaml"), "--trace", join(t.dir, "trace.jsonl"), "--audit", log, "--key", keyring])).code !== 2, true);
    const heads = join(log, "heads.jsonl");
    // one character of the head's Ed25519 signature changed
    writeFileSync(heads, readFileSync(heads, "utf8").replace(/"sig":"(.)/, (_m, c: string) => `"sig":"${c === "A" ? "B" : "A"}`));
    const bad = await cli(["audit", "verify", log, "--key", keyring]);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /first problem: tree head 0: tree head signature .* does not match/);
    assert.doesNotMatch(bad.out, /first bad record: -/);
  } finally {
    t.cleanup();
  }
});
