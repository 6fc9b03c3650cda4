// `check --audit` in batched mode: a write failure that shows only at the final flush (in close()) exits 1 with
// the audit error, like one met while recording, never as an internal error (exit 70 with a stack).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fixtureKeys, tempDir } from "./record-fixtures.js";
import { writeSampleLog } from "./sample-log.js";

const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

test("batched check --audit whose writes fail (a read-only entries file, a non-root user) exits 1, naming the audit log", { skip: asRoot ? false : "needs root to run a child as nobody" }, async () => {
  const t = tempDir("cli-exit-batched");
  try {
    const keys = fixtureKeys(t.dir);
    const dir = join(t.dir, "log");
    await writeSampleLog(dir, keys.ring, 3);
    // The folder is the child's (it can take the lock); the files in it cannot be written.
    for (const p of [t.dir, join(t.dir, "keys")]) chmodSync(p, 0o755);
    chmodSync(keys.keyring, 0o644);
    chownSync(dir, NOBODY, NOBODY);
    for (const f of readdirSync(dir)) {
      chownSync(join(dir, f), NOBODY, NOBODY);
      chmodSync(join(dir, f), 0o444);
    }
    const child = spawnSync(process.execPath, [resolve("bin/warden.js"), "check", "--policy", resolve("examples/policies/finance.yaml"), "--trace", resolve("examples/traces/finance.jsonl"), "--audit", dir, "--key", keys.keyring], {
      cwd: t.dir, uid: NOBODY, gid: NOBODY, encoding: "utf8", env: { PATH: process.env["PATH"] ?? "", HOME: "/tmp" }, timeout: 60_000,
    });
    assert.equal(child.status, 1, `exit ${String(child.status)}\n${child.stderr}`);
    assert.match(child.stderr, /warden check: audit log unavailable/);
    assert.doesNotMatch(child.stderr, /internal error|\n\s+at /);
  } finally {
    t.cleanup();
  }
});
