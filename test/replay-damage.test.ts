// Replay and export of a log that is not whole: a record removed from the middle, records cut from the end, or a
// record copied in from another log are reported as damage (exit 1), never passed as a clean replay or export.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decide } from "../src/index.js";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { exportLog } from "../src/audit/export.js";
import { replayLog } from "../src/record/replay.js";
import { compileFixturePolicy, fixtureKeys, randomActions, tempDir } from "./record-fixtures.js";

async function writeLog(dir: string, keys: ReturnType<typeof fixtureKeys>, n: number): Promise<void> {
  const policy = compileFixturePolicy();
  const log = await AuditLog.open(new FileStorage(dir), { keys: keys.ring, sensitive: ["args.ssn"], headEvery: 5 });
  for (const a of randomActions(n, 7)) log.append(a, decide(policy, a));
  await log.close();
}

function segment(dir: string): string {
  const name = readdirSync(dir).find((f) => f.startsWith("entries-"));
  assert.ok(name);
  return join(dir, name);
}

async function check(dir: string, keys: ReturnType<typeof fixtureKeys>) {
  const replay = await replayLog(new FileStorage(dir, { repair: false }), { policy: compileFixturePolicy(), keys: keys.ring });
  const lines: string[] = [];
  const exported = await exportLog(new FileStorage(dir, { repair: false }), (l) => lines.push(l));
  return { replay, exported };
}

test("a whole log replays and exports clean; removed, cut or foreign records are damage", async () => {
  const t = tempDir("damage");
  try {
    const keys = fixtureKeys(t.dir);
    const whole = join(t.dir, "whole");
    await writeLog(whole, keys, 12);
    const clean = await check(whole, keys);
    assert.equal(clean.replay.ok, true, JSON.stringify(clean.replay.damage));
    assert.deepEqual(clean.replay.damage, []);
    assert.deepEqual(clean.exported.damage, []);
    assert.equal(clean.exported.events, 12);

    // Record 3 removed: every later record sits one position early.
    const middle = join(t.dir, "middle");
    await writeLog(middle, keys, 12);
    const seg = segment(middle);
    const lines = readFileSync(seg, "utf8").split("\n");
    writeFileSync(seg, [...lines.slice(0, 3), ...lines.slice(4)].join("\n"));
    const m = await check(middle, keys);
    assert.equal(m.replay.ok, false);
    assert.match(m.replay.damage[0] ?? "", /record at position 3 says it is record 4/);
    assert.ok(m.replay.damage.some((d) => /holds 11 records but a tree head covers 1[02]/.test(d)), JSON.stringify(m.replay.damage));
    assert.match(m.exported.damage[0] ?? "", /position 3 says it is record 4/);
    // Every record still replays to its own hash: only the position checks see the hole.
    assert.equal(m.replay.drifted, 0);

    // The last two records cut (whole lines, so nothing looks torn).
    const tail = join(t.dir, "tail");
    await writeLog(tail, keys, 12);
    const seg2 = segment(tail);
    const l2 = readFileSync(seg2, "utf8").split("\n").filter((x) => x.length > 0);
    writeFileSync(seg2, `${l2.slice(0, 10).join("\n")}\n`);
    const c = await check(tail, keys);
    assert.equal(c.replay.ok, false);
    assert.deepEqual(c.replay.damage, ["the log holds 10 records but a tree head covers 12: 2 records at the end were removed (run `warden audit verify` on this log)"]);
    assert.equal(c.exported.damage.length, 1);

    // A record from another log put in place of record 5.
    const foreign = join(t.dir, "foreign");
    await writeLog(foreign, keys, 12);
    const other = readFileSync(segment(whole), "utf8").split("\n");
    const seg3 = segment(foreign);
    const l3 = readFileSync(seg3, "utf8").split("\n");
    l3[5] = other[5] as string;
    writeFileSync(seg3, l3.join("\n"));
    const f = await check(foreign, keys);
    assert.equal(f.replay.ok, false);
    assert.match(f.replay.damage[0] ?? "", /record 5 belongs to log `[0-9a-f]+`, not `[0-9a-f]+`/);
  } finally {
    t.cleanup();
  }
});
