// A small folder audit log for tests: n random actions decided under the fixture policy and recorded.
import { AuditLog, type Durability } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { decide } from "../src/engine/decide.js";
import type { Keyring } from "../src/keys/keyring.js";
import { compileFixturePolicy, randomActions } from "./record-fixtures.js";

/** Writes `n` records (actions from `seed`); closes the log, sealing them, unless `crash` (left unsealed, as a killed writer would). */
export async function writeSampleLog(dir: string, keys: Keyring, n: number, options: { seed?: number; crash?: boolean; durability?: Durability } = {}): Promise<void> {
  const policy = compileFixturePolicy();
  const log = await AuditLog.open(new FileStorage(dir), { keys, ...(options.durability ? { durability: options.durability } : {}) });
  for (const a of randomActions(n, options.seed ?? 1)) await log.record(a, decide(policy, a));
  if (options.crash) await log.abandon();
  else await log.close();
}
