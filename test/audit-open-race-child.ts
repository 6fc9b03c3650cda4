// Child process for audit-open-race.test.ts: says `ready`, spins until the go file exists (so racers start within
// microseconds of each other), opens the log, records 5 decisions (strict) and closes; prints one JSON line.
import { existsSync } from "node:fs";
import { decide } from "../src/index.js";
import { AuditLog } from "../src/audit/log.js";
import { FileStorage } from "../src/audit/file-storage.js";
import { loadKeys } from "../src/keys/keyfile.js";
import { compileFixturePolicy, randomActions } from "./record-fixtures.js";

const [dir, keyFile, go] = process.argv.slice(2) as [string, string, string];
const policy = compileFixturePolicy();
const keys = loadKeys(keyFile);
const actions = randomActions(5, 3);
const decisions = actions.map((a) => decide(policy, a));
process.stdout.write("ready\n");
while (!existsSync(go)) {
  // spin
}
let log: AuditLog;
try {
  log = await AuditLog.open(new FileStorage(dir), { keys, durability: "strict" });
} catch (e) {
  process.stdout.write(`${JSON.stringify({ refused: String(e) })}\n`);
  process.exit(0);
}
for (let i = 0; i < actions.length; i++) await log.record(actions[i], decisions[i] as ReturnType<typeof decide>);
await log.close();
process.stdout.write(`${JSON.stringify({ wrote: log.log })}\n`);
