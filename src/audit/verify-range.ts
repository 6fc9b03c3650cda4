// Checks a run of whole entry lines (one chunk of a segment file) entry by entry: the leaf hashes and the
// problems found. Run by the verification workers and, between reads, by the thread that reads the file.
import { checkEntry, type EntryContext } from "./verify-entry.js";

/** What one chunk's checks produce (sent back from a worker as it is). */
export interface RangeChecks {
  count: number;
  /** count × 32 bytes. */
  leaves: Uint8Array;
  problems: Array<[number, string]>;
  hmac: number;
  ed25519: number;
  unchecked: number;
}

/** Checks every line of `bytes` (which ends with a newline); the first line is record `firstSeq`. */
export function checkRange(bytes: Buffer, firstSeq: number, ctx: EntryContext): RangeChecks {
  const ends: number[] = [];
  for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, nl + 1)) ends.push(nl);
  const leaves = new Uint8Array(ends.length * 32);
  const out: RangeChecks = { count: ends.length, leaves, problems: [], hmac: 0, ed25519: 0, unchecked: 0 };
  for (let i = 0, start = 0; i < ends.length; start = (ends[i] as number) + 1, i++) {
    const seq = firstSeq + i;
    const c = checkEntry(bytes.subarray(start, ends[i]), seq, ctx);
    leaves.set(c.leaf, i * 32);
    for (const p of c.problems) out.problems.push([seq, p]);
    if (c.hmac) out.hmac++;
    if (c.ed25519) out.ed25519++;
    out.unchecked += c.unchecked;
  }
  return out;
}
