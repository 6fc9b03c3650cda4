// Tree head times never go backwards. Found by review: with the clock set back between two writers, the next head was
// signed with an earlier time and every later `audit verify` failed ("tree head time goes backwards", first bad
// record "-"). The writer now signs max(last head time, now) and warns; verify names the heads involved.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decide } from "../src/index.js";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { signHead, encodeHead, parseHead, type TreeHeadV1 } from "../src/audit/heads.js";
import { verifyLog } from "../src/audit/verify.js";
import { compileFixturePolicy, fixtureKeys, randomActions, tempDir } from "./record-fixtures.js";

const policy = compileFixturePolicy();
const actions = randomActions(6, 17);
const heads = (dir: string): TreeHeadV1[] =>
  readFileSync(join(dir, "heads.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => parseHead(l) as TreeHeadV1);

test("a writer whose clock is behind the last head's time signs its heads with that time, warns, and the log verifies", async () => {
  const t = tempDir("head-time");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const later = new Date("2026-05-01T12:00:00.000Z");
    const a = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, clock: () => later });
    for (const x of actions.slice(0, 3)) await a.record(x, decide(policy, x));
    await a.close();
    const events: string[] = [];
    const earlier = new Date("2026-05-01T11:00:00.000Z"); // the clock was set back an hour
    const b = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, clock: () => earlier, onEvent: (e) => events.push(`${e.type}: ${e.message}`) });
    for (const x of actions.slice(3)) await b.record(x, decide(policy, x));
    await b.close();
    const h = heads(dir);
    assert.deepEqual(h.map((x) => [x.size, x.time]), [[3, later.toISOString()], [6, later.toISOString()]]);
    assert.ok(events.some((e) => /^clock: the clock reads 2026-05-01T11:00:00\.000Z, earlier than the last signed tree head \(2026-05-01T12:00:00\.000Z\)/.test(e)), events.join("\n"));
    const v = await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring });
    assert.equal(v.ok, true, JSON.stringify(v.errors));
    // a third writer with a correct clock goes on from there
    const c = await AuditLog.open(new FileStorage(dir), { keys: keys.ring });
    await c.close();
    assert.equal((await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring })).ok, true);
  } finally {
    t.cleanup();
  }
});

test("verify names the head whose time goes backwards and the head before it", async () => {
  const t = tempDir("head-time-verify");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    const a = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, clock: () => new Date("2026-05-01T12:00:00.000Z") });
    for (const x of actions.slice(0, 2)) await a.record(x, decide(policy, x));
    await a.close();
    const b = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, durability: "strict" });
    for (const x of actions.slice(2, 4)) await b.record(x, decide(policy, x));
    await b.abandon(); // unsealed; sealed below by a head with an earlier time, as the old writer signed it
    const report = await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring, allowUnsealed: true });
    const log = report.log as string;
    appendFileSync(join(dir, "heads.jsonl"), `${encodeHead(signHead(log, 4, Buffer.from(report.root, "base64"), "2026-05-01T11:00:00.000Z", keys.ring))}\n`);
    const v = await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring });
    assert.equal(v.ok, false);
    assert.deepEqual(v.firstBad && { head: v.firstBad.head, seq: v.firstBad.seq }, { head: 1, seq: null });
    assert.equal(
      v.firstBad?.reason,
      "tree head 1 (size 4) has time 2026-05-01T11:00:00.000Z, earlier than tree head 0 (size 2, 2026-05-01T12:00:00.000Z): tree head times go backwards",
    );
  } finally {
    t.cleanup();
  }
});
