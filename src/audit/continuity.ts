// Cheap checks that a log read for replay or export is whole: each record sits at its own position in its own log,
// and no signed tree head covers more records than the log still holds. They tell that records were removed or
// moved; `warden audit verify` proves the rest (signatures, tree roots).
import type { DecisionRecordV1 } from "../record/record.js";
import { parseHead } from "./heads.js";
import type { AuditStorage } from "./storage.js";

const VERIFY = "run `warden audit verify` on this log";

/** Why a record cannot be at position `seq` of log `log`, or null. */
export function positionProblem(record: Pick<DecisionRecordV1, "seq" | "log">, seq: number, log: string): string | null {
  if (record.log !== log) return `record ${seq} belongs to log \`${String(record.log)}\`, not \`${log}\`: it was copied in from another log (${VERIFY})`;
  if (record.seq !== seq) return `record at position ${seq} says it is record ${String(record.seq)}: records before it were removed or moved (${VERIFY})`;
  return null;
}

/** Why the log's largest tree head does not fit `records` entries, or null (heads are parsed, not verified here). */
export async function coverageProblem(storage: AuditStorage, records: number): Promise<string | null> {
  let covered = 0;
  for (const line of await storage.readHeads()) {
    const h = parseHead(line);
    if (typeof h !== "string" && h.size > covered) covered = h.size;
  }
  return covered > records ? `the log holds ${records} records but a tree head covers ${covered}: ${covered - records} records at the end were removed (${VERIFY})` : null;
}
