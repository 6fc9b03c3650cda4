// Worker thread of the parallel verifier: checks a chunk of a segment file (whole lines) entry by entry and
// sends back the leaf hashes and the problems found, with the chunk's buffer.
import { parentPort, workerData } from "node:worker_threads";
import { Keyring, type VerifierParts } from "../keys/keyring.js";
import { checkEntry, type EntryContext } from "./verify-entry.js";

export interface VerifyWorkerInit {
  log: string;
  keys: VerifierParts | null;
  hmacRequired: boolean;
  deep: boolean;
}

export interface RangeTask {
  id: number;
  /** Transferred to the worker, and back with the result (the verifier reads into it again). */
  data: ArrayBuffer;
  start: number;
  end: number;
  firstSeq: number;
}

export interface RangeResult {
  id: number;
  /** The task's buffer, handed back. */
  data: ArrayBuffer;
  count: number;
  /** count × 32 bytes. */
  leaves: Uint8Array;
  problems: Array<[number, string]>;
  hmac: number;
  ed25519: number;
  unchecked: number;
}

const init = workerData as VerifyWorkerInit;
const ctx: EntryContext = { log: init.log, keys: init.keys ? Keyring.fromVerifierParts(init.keys) : null, hmacRequired: init.hmacRequired, deep: init.deep };

parentPort?.on("message", (task: RangeTask) => {
  // The range ends with a newline; each line is checked as bytes (see checkEntry).
  const bytes = Buffer.from(task.data, task.start, task.end - task.start);
  const ends: number[] = [];
  for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, nl + 1)) ends.push(nl);
  const leaves = new Uint8Array(ends.length * 32);
  const out: RangeResult = { id: task.id, data: task.data, count: ends.length, leaves, problems: [], hmac: 0, ed25519: 0, unchecked: 0 };
  for (let i = 0, start = 0; i < ends.length; start = (ends[i] as number) + 1, i++) {
    const seq = task.firstSeq + i;
    const c = checkEntry(bytes.subarray(start, ends[i]), seq, ctx);
    leaves.set(c.leaf, i * 32);
    for (const p of c.problems) out.problems.push([seq, p]);
    if (c.hmac) out.hmac++;
    if (c.ed25519) out.ed25519++;
    out.unchecked += c.unchecked;
  }
  parentPort?.postMessage(out, [leaves.buffer, task.data]);
});
