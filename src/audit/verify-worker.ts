// Worker thread of the parallel verifier: checks a byte range of a segment file (shared memory, whole
// lines) entry by entry and sends back the leaf hashes and the problems found.
import { parentPort, workerData } from "node:worker_threads";
import { Keyring, type VerifierParts } from "../keys/keyring.js";
import { checkEntry, type EntryContext } from "./verify-entry.js";

export interface VerifyWorkerInit {
  log: string;
  keys: VerifierParts | null;
  hmacRequired: boolean;
}

export interface RangeTask {
  id: number;
  data: SharedArrayBuffer;
  start: number;
  end: number;
  firstSeq: number;
}

export interface RangeResult {
  id: number;
  count: number;
  /** count × 32 bytes. */
  leaves: Uint8Array;
  problems: Array<[number, string]>;
  hmac: number;
  ed25519: number;
  unchecked: number;
}

const init = workerData as VerifyWorkerInit;
const ctx: EntryContext = { log: init.log, keys: init.keys ? Keyring.fromVerifierParts(init.keys) : null, hmacRequired: init.hmacRequired };

parentPort?.on("message", (task: RangeTask) => {
  const text = Buffer.from(task.data, task.start, task.end - task.start).toString("utf8");
  const lines = text.length === 0 ? [] : text.slice(0, -1).split("\n");
  const leaves = new Uint8Array(lines.length * 32);
  const out: RangeResult = { id: task.id, count: lines.length, leaves, problems: [], hmac: 0, ed25519: 0, unchecked: 0 };
  for (let i = 0; i < lines.length; i++) {
    const seq = task.firstSeq + i;
    const c = checkEntry(lines[i] as string, seq, ctx);
    leaves.set(c.leaf, i * 32);
    for (const p of c.problems) out.problems.push([seq, p]);
    if (c.hmac) out.hmac++;
    if (c.ed25519) out.ed25519++;
    out.unchecked += c.unchecked;
  }
  parentPort?.postMessage(out, [leaves.buffer]);
});
