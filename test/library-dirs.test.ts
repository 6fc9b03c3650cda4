// The library's own file access: folder creation (audit log, key files, approvals store) fails with a clear error on paths where
// Node's recursive mkdir spins forever (a missing folder under /proc), and key files are read within a limit, as the CLI's are.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApprovalStore } from "../src/approvals/store.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { AuditLogError } from "../src/audit/storage.js";
import { generateKeyFiles, loadKeys } from "../src/keys/keyfile.js";
import { KeyError } from "../src/keys/keyring.js";

const UNDER_PROC = "/proc/self/warden-nope/x";

test("a folder that cannot be made is an error naming it, not a hang", { skip: existsSync("/proc/self") ? false : "no /proc on this system" }, async () => {
  assert.throws(() => new ApprovalStore(UNDER_PROC), /cannot create the approvals folder `\/proc\/self\/warden-nope\/x`: .*warden-nope/);
  assert.throws(() => generateKeyFiles(UNDER_PROC, new Date()), (e: unknown) => e instanceof KeyError && /cannot create the key folder/.test(e.message));
  await assert.rejects(new FileStorage(UNDER_PROC).open({ log: "l" }), (e: unknown) => e instanceof AuditLogError && /cannot create the audit log folder/.test(e.message));
});

test("loadKeys refuses a key file that is not a regular file or is over 1 MiB, instead of reading it whole", { skip: existsSync("/dev/zero") ? false : "no /dev/zero" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-keyfile-"));
  writeFileSync(join(dir, "huge.json"), Buffer.alloc(1024 * 1024 + 1, 0x20));
  assert.throws(() => loadKeys("/dev/zero"), (e: unknown) => e instanceof KeyError && /cannot read key file `\/dev\/zero`: it is a character device, not a regular file/.test(e.message));
  assert.throws(() => loadKeys(join(dir, "huge.json")), (e: unknown) => e instanceof KeyError && /over the 1 MiB limit/.test(e.message));
});

test("a file where the folder should be is refused by name, before anything is written into it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-lib-file-"));
  const file = join(dir, "a-file");
  writeFileSync(file, "");
  assert.throws(() => new ApprovalStore(file), /is a file, not a folder/);
  assert.throws(() => generateKeyFiles(file, new Date()), (e: unknown) => e instanceof KeyError && /is a file, not a folder/.test(e.message));
  await assert.rejects(new FileStorage(file).open({ log: "l" }), (e: unknown) => e instanceof AuditLogError && /is a file, not a folder/.test(e.message));
});
