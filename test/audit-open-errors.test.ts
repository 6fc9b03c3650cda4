// Errors a user meets when a log folder or key folder cannot be used say what the file is and what to do: a read-only
// log folder (no LOCK can be made) and an unreadable manifest name the file and its purpose instead of a bare errno,
// and `keys gen --out` naming a file is a usage error (exit 2), like `check --audit` naming one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { fixtureKeys, tempDir } from "./record-fixtures.js";
import { writeSampleLog } from "./sample-log.js";
import { cli } from "./cli-capture.js";

const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

test("keys gen --out naming a file exits 2, as check --audit does", async () => {
  const t = tempDir("oerr-keys");
  try {
    const file = join(t.dir, "afile");
    writeFileSync(file, "not a folder\n");
    const keys = await cli(["keys", "gen", "--out", file]);
    assert.equal(keys.code, 2, keys.err);
    assert.match(keys.err, /^warden keys gen: cannot create the key folder `.*afile`: it is a file, not a folder \(--out must name a folder\)\n$/);
    const k = fixtureKeys(t.dir);
    const check = await cli(["check", "--policy", "examples/policies/finance.yaml", "--action", "examples/actions/payment-unknown.json", "--audit", file, "--key", k.keyring]);
    assert.equal(check.code, 2, check.err);
  } finally {
    t.cleanup();
  }
});

test("a LOCK that cannot be taken (here: a folder in its place) is named as the log's lock file", async () => {
  const t = tempDir("oerr-lockdir");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    await (await AuditLog.open(new FileStorage(dir), { keys: keys.ring })).close();
    mkdirSync(join(dir, "LOCK"));
    await assert.rejects(AuditLog.open(new FileStorage(dir), { keys: keys.ring }), /^AuditLogError: cannot create or take over the audit log's lock file `.*LOCK` \(EISDIR\)/);
  } finally {
    t.cleanup();
  }
});

test("a read-only log folder: the writer (a non-root user) is told about the lock file and what to do, and writes nothing", { skip: asRoot ? false : "needs root to run a child as nobody" }, async () => {
  const t = tempDir("oerr-readonly");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    await writeSampleLog(dir, keys.ring, 3);
    // Readable by everyone, writable by no one but root.
    for (const p of [t.dir, join(t.dir, "keys")]) chmodSync(p, 0o755);
    for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
    chmodSync(keys.keyring, 0o644);
    chmodSync(dir, 0o555);
    const script = `
      import { AuditLog } from ${JSON.stringify(join(process.cwd(), "src/audit/log.ts"))};
      import { FileStorage } from ${JSON.stringify(join(process.cwd(), "src/audit/file-storage.ts"))};
      import { loadKeys } from ${JSON.stringify(join(process.cwd(), "src/keys/keyfile.ts"))};
      try { await AuditLog.open(new FileStorage(${JSON.stringify(dir)}), { keys: loadKeys(${JSON.stringify(keys.keyring)}) }); console.log("opened"); }
      catch (e) { console.log(String(e)); }`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: process.cwd(), uid: NOBODY, gid: NOBODY, encoding: "utf8", env: { PATH: process.env["PATH"] ?? "", HOME: "/tmp" },
    });
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /^AuditLogError: cannot create or take over the audit log's lock file `.*LOCK` \(EACCES\): the one writer of a log holds it, so writing needs write access to the folder `.*log`\. Run as a user who may write there or fix the folder's permissions/);
    assert.deepEqual(readdirSync(dir).sort(), ["entries-000000000000.jsonl", "heads.jsonl", "manifest.json"]);
  } finally {
    chmodSync(join(t.dir, "log"), 0o755);
    t.cleanup();
  }
});
