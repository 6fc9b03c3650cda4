// Child process for audit-crash.test.ts: appends decisions forever and prints `ack <seq>` once each is
// acknowledged (strict: after fsync). The parent kills it with SIGKILL at a random moment.
import { decide, MemoryThrottleStore } from "../src/index.js";
import { AuditLog, type Durability } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { loadKeys } from "../src/keys/keyfile.js";
import { compileFixturePolicy, randomActions } from "./record-fixtures.js";

const [dir, keyFile, durability, seed] = process.argv.slice(2) as [string, string, Durability, string];
const policy = compileFixturePolicy();
const log = await AuditLog.open(new FileStorage(dir, { segmentEntries: 500 }), { keys: loadKeys(keyFile), durability, headEvery: 100, batchRecords: 64, batchMs: 2 });
process.stdout.write(`open ${log.size} ${log.repairs.length}\n`);
const store = new MemoryThrottleStore();
const actions = randomActions(5000, Number(seed));
for (let i = 0; ; i++) {
  const a = actions[i % actions.length] as Record<string, unknown>;
  const d = decide(policy, a, { throttle: store });
  store.commit(d);
  const r = await log.record(a, d);
  if (durability === "strict") process.stdout.write(`ack ${r.seq}\n`);
  else if (i % 50 === 0) process.stdout.write(`ack-batched ${r.seq}\n`);
}
