// Where a folder log may start: only in an empty (or new) folder. A log whose manifest.json is missing is refused as
// damaged without writing a new manifest (which would give it a new log id and orphan every record), and a non-empty
// folder that is not a log is refused instead of quietly becoming one beside its files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { AuditLogError } from "../src/audit/storage.js";
import { verifyLog } from "../src/audit/verify.js";
import { fixtureKeys, tempDir } from "./record-fixtures.js";
import { writeSampleLog } from "./sample-log.js";
import { cli } from "./cli-capture.js";

const snapshot = (dir: string): Record<string, string> => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), "utf8")]));

test("a log without its manifest.json is refused as damaged; nothing is written; restoring the manifest as told heals it", async () => {
  const t = tempDir("fopen-manifest");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    await writeSampleLog(dir, keys.ring, 4, { seed: 2 });
    const manifest = readFileSync(join(dir, "manifest.json"), "utf8");
    renameSync(join(dir, "manifest.json"), join(t.dir, "manifest.saved"));
    const before = snapshot(dir);
    let message = "";
    await assert.rejects(AuditLog.open(new FileStorage(dir), { keys: keys.ring }), (e: Error) => {
      assert.ok(e instanceof AuditLogError);
      message = e.message;
      return true;
    });
    assert.match(message, /holds audit log files \(`entries-000000000000\.jsonl`, `heads\.jsonl`\) but no manifest\.json: it is a damaged audit log, not a new one/);
    assert.match(message, /Restore manifest\.json from a backup/);
    assert.deepEqual(snapshot(dir), before, "no new manifest, no LOCK");
    // The message says what the manifest held; writing exactly that restores the log.
    const line = /the file is the line (\{[^}]+\})/.exec(message)?.[1];
    assert.equal(`${line}\n`, manifest);
    writeFileSync(join(dir, "manifest.json"), `${line}\n`);
    assert.equal((await verifyLog(new FileStorage(dir, { repair: false }), { keys: keys.ring })).ok, true);
  } finally {
    t.cleanup();
  }
});

test("heads.jsonl alone without a manifest is a damaged log too; a stale LOCK alone is a writer that died before its manifest", async () => {
  const t = tempDir("fopen-partial");
  try {
    const keys = fixtureKeys(t.dir);
    const heads = join(t.dir, "heads");
    mkdirSync(heads);
    writeFileSync(join(heads, "heads.jsonl"), "x\n");
    await assert.rejects(AuditLog.open(new FileStorage(heads), { keys: keys.ring }), /holds audit log files \(`heads\.jsonl`\) but no manifest\.json/);
    assert.deepEqual(readdirSync(heads), ["heads.jsonl"]);
    // no records, no heads: nothing to keep, so the stale lock is taken over and the log created (test/audit-open-race.test.ts)
    const lock = join(t.dir, "lock");
    mkdirSync(lock);
    writeFileSync(join(lock, "LOCK"), "x\n");
    const log = await AuditLog.open(new FileStorage(lock), { keys: keys.ring });
    await log.close();
    assert.deepEqual(readdirSync(lock).sort(), ["manifest.json"]);
  } finally {
    t.cleanup();
  }
});

test("a non-empty folder that is not a log is refused, naming what it holds; an empty one becomes a log", async () => {
  const t = tempDir("fopen-foreign");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "stuff");
    mkdirSync(dir);
    for (const f of ["a.txt", "b.txt", "c.txt", "notes.md"]) writeFileSync(join(dir, f), "mine\n");
    await assert.rejects(
      AuditLog.open(new FileStorage(dir), { keys: keys.ring }),
      /`.*stuff` is not empty and not an audit log \(no manifest\.json; it holds `a\.txt`, `b\.txt`, `c\.txt` and 1 more\): give an empty or new folder/,
    );
    assert.deepEqual(readdirSync(dir).sort(), ["a.txt", "b.txt", "c.txt", "notes.md"]);

    const empty = join(t.dir, "empty");
    mkdirSync(empty);
    await (await AuditLog.open(new FileStorage(empty), { keys: keys.ring })).close();
    assert.ok(existsSync(join(empty, "manifest.json")));
  } finally {
    t.cleanup();
  }
});

test("CLI: check --audit on a log missing its manifest, or on a folder of other files, exits 2 and writes nothing", async () => {
  const t = tempDir("fopen-cli");
  try {
    const keys = fixtureKeys(t.dir);
    const action = "examples/actions/payment-unknown.json";
    const p = "examples/policies/finance.yaml";
    const log = join(t.dir, "log");
    assert.equal((await cli(["check", "--policy", p, "--action", action, "--audit", log, "--key", keys.keyring])).code, 1, "a BLOCK");
    renameSync(join(log, "manifest.json"), join(t.dir, "manifest.saved"));
    const r = await cli(["check", "--policy", p, "--action", action, "--audit", log, "--key", keys.keyring]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /^warden check: `.*log` holds audit log files .* but no manifest\.json: it is a damaged audit log/);
    assert.ok(!existsSync(join(log, "manifest.json")));

    const other = join(t.dir, "other");
    mkdirSync(other);
    writeFileSync(join(other, "report.pdf"), "x");
    const o = await cli(["check", "--policy", p, "--action", action, "--audit", other, "--key", keys.keyring]);
    assert.equal(o.code, 2, o.err);
    assert.match(o.err, /is not empty and not an audit log \(no manifest\.json; it holds `report\.pdf`\)/);
    assert.deepEqual(readdirSync(other), ["report.pdf"]);
  } finally {
    t.cleanup();
  }
});
