// The library's own folder creation (audit log, key files, approvals store) fails with a clear error on paths where
// Node's recursive mkdir spins forever (a missing folder under /proc), as the CLI's does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { ApprovalStore } from "../src/approvals/store.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { AuditLogError } from "../src/audit/storage.js";
import { generateKeyFiles } from "../src/keys/keyfile.js";
import { KeyError } from "../src/keys/keyring.js";

const UNDER_PROC = "/proc/self/warden-nope/x";

test("a folder that cannot be made is an error naming it, not a hang", { skip: existsSync("/proc/self") ? false : "no /proc on this system" }, async () => {
  assert.throws(() => new ApprovalStore(UNDER_PROC), /cannot create the approvals folder `\/proc\/self\/warden-nope\/x`: .*warden-nope/);
  assert.throws(() => generateKeyFiles(UNDER_PROC, new Date()), (e: unknown) => e instanceof KeyError && /cannot create the key folder/.test(e.message));
  await assert.rejects(new FileStorage(UNDER_PROC).open({ log: "l" }), (e: unknown) => e instanceof AuditLogError && /cannot create the audit log folder/.test(e.message));
});
