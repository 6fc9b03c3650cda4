// Offline replay: re-decide every stored action with the policy and the recorded throttle state, and
// confirm the same verdict, reasons and record hash. Drift is reported record by record.
import { hash as oneShotHash } from "node:crypto";
import { canonicalize } from "../canonical/jcs.js";
import type { CompiledPolicy } from "../compile/build.js";
import { decide } from "../engine/decide.js";
import { replayState } from "../engine/throttle-store.js";
import type { Keyring } from "../keys/keyring.js";
import type { Decision } from "../types.js";
import { parseEntry } from "../audit/entry.js";
import type { AuditStorage } from "../audit/storage.js";
import { restoreInput } from "./input.js";
import { hashRecord, recordBody, type DecisionRecordV1 } from "./record.js";

export interface ReplayDrift {
  seq: number;
  /** What differs: `verdict`, `reasons`, `record hash`, `policy hash`… */
  differs: string[];
  record: DecisionRecordV1;
  replayed: Pick<Decision, "verdict" | "enforced" | "reasons" | "shadow" | "obligations" | "state" | "policy">;
  recordHash: string;
  replayedHash: string;
}

export interface ReplayReport {
  ok: boolean;
  records: number;
  replayed: number;
  matched: number;
  /** Records that cannot be replayed (redacted input, no key for encrypted fields, malformed entry). */
  skipped: Array<{ seq: number; reason: string }>;
  drift: ReplayDrift[];
  /** How many records drifted (drift holds the first few in detail), and how often each part differed. */
  drifted: number;
  differs: Record<string, number>;
  /** Records of input that was never an action (malformed JSON): checked to be BLOCKed, not re-decided. */
  invalid: number;
  /** Records decided under a different policy hash than the one replayed. */
  policyMismatch: number;
}

export interface ReplayOptions {
  policy: CompiledPolicy;
  keys: Keyring | null;
  /** Stop collecting drift details after this many (default 20); counting continues. */
  maxDrift?: number;
}

/** Replays every record of the log behind `storage`. */
export async function replayLog(storage: AuditStorage, options: ReplayOptions): Promise<ReplayReport> {
  await storage.open(null);
  const report: ReplayReport = { ok: false, records: 0, replayed: 0, matched: 0, skipped: [], drift: [], drifted: 0, differs: {}, invalid: 0, policyMismatch: 0 };
  let driftCount = 0;
  await storage.scanEntries((line, seq) => {
    report.records++;
    const e = parseEntry(line);
    if (typeof e === "string") {
      report.skipped.push({ seq, reason: e });
      return;
    }
    const stored = e.signed.record;
    const storedHash = `sha256:${oneShotHash("sha256", e.bodyText, "hex")}`;
    if (stored.input?.mode === "invalid") {
      // Not an action, so nothing to re-decide; but it must have been blocked.
      report.invalid++;
      if (stored.verdict !== "BLOCK" || !stored.enforced) report.skipped.push({ seq, reason: `input that was not an action got \`${stored.verdict}\`, not an enforced BLOCK` });
      return;
    }
    const input = restoreInput(stored, e.attachment, options.keys);
    if (!input.ok) {
      report.skipped.push({ seq, reason: input.reason });
      return;
    }
    const d = decide(options.policy, input.action, replayState(stored.state));
    report.replayed++;
    const env = { log: stored.log, seq: stored.seq, time: stored.time, epoch: stored.epoch, dropped: stored.dropped };
    const body = { ...recordBody(env, input.action, stored.inputHash, stored.input, d), wardenVersion: stored.wardenVersion };
    const replayedHash = hashRecord(body);
    const differs: string[] = [];
    if (stored.policy.hash !== d.policy.hash) {
      differs.push("policy hash");
      report.policyMismatch++;
    }
    if (stored.verdict !== d.verdict) differs.push("verdict");
    if (stored.enforced !== d.enforced) differs.push("enforced");
    if (canonicalize(stored.reasons) !== canonicalize(d.reasons)) differs.push("reasons");
    if (canonicalize(stored.shadow) !== canonicalize(d.shadow)) differs.push("shadow reasons");
    if (canonicalize(stored.obligations) !== canonicalize(d.obligations)) differs.push("obligations");
    if (canonicalize(stored.state) !== canonicalize(d.state)) differs.push("observed state");
    if (replayedHash !== storedHash) differs.push("record hash");
    if (differs.length === 0) {
      report.matched++;
      return;
    }
    driftCount++;
    for (const what of differs) report.differs[what] = (report.differs[what] ?? 0) + 1;
    if (report.drift.length < (options.maxDrift ?? 20)) {
      report.drift.push({
        seq,
        differs,
        record: stored,
        replayed: { verdict: d.verdict, enforced: d.enforced, reasons: d.reasons, shadow: d.shadow, obligations: d.obligations, state: d.state, policy: d.policy },
        recordHash: storedHash,
        replayedHash,
      });
    }
  });
  report.drifted = driftCount;
  report.ok = driftCount === 0 && report.skipped.length === 0;
  return report;
}
