// Worker thread of the parallel verifier: checks a chunk of a segment file (whole lines) entry by entry and
// sends back the leaf hashes and the problems found, with the chunk's buffer.
import { parentPort, workerData } from "node:worker_threads";
import { Keyring, type VerifierParts } from "../keys/keyring.js";
import type { EntryContext } from "./verify-entry.js";
import { checkRange, type RangeChecks } from "./verify-range.js";

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

export interface RangeResult extends RangeChecks {
  id: number;
  /** The task's buffer, handed back. */
  data: ArrayBuffer;
}

const init = workerData as VerifyWorkerInit;
const ctx: EntryContext = { log: init.log, keys: init.keys ? Keyring.fromVerifierParts(init.keys) : null, hmacRequired: init.hmacRequired, deep: init.deep };

parentPort?.on("message", (task: RangeTask) => {
  const checks = checkRange(Buffer.from(task.data, task.start, task.end - task.start), task.firstSeq, ctx);
  const out: RangeResult = { id: task.id, data: task.data, ...checks };
  parentPort?.postMessage(out, [checks.leaves.buffer as ArrayBuffer, task.data]);
});
