// Offline replay: re-decide every stored action with the policy and the recorded throttle state, and
// confirm the same verdict, reasons and record hash. Drift is reported record by record. Approval outcomes
// (kind `approval`) are re-derived with approvalDecision() and checked against the ESCALATE record they name.
import { hash as oneShotHash } from "node:crypto";
import { canonicalize } from "../canonical/jcs.js";
import type { CompiledPolicy } from "../compile/build.js";
import { decide } from "../engine/decide.js";
import { replayState } from "../engine/throttle-store.js";
import type { Keyring } from "../keys/keyring.js";
import type { Decision } from "../types.js";
import { parseEntry } from "../audit/entry.js";
import type { AuditStorage } from "../audit/storage.js";
import { coverageProblem, positionProblem } from "../audit/continuity.js";
import { APPROVAL_KIND, APPROVAL_RULE, approvalDecision, type ApprovalActionV1 } from "./approval.js";
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
  /** What is wrong beyond the re-derived fields (e.g. an approval bound to a record that was not an ESCALATE). */
  problems?: string[];
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
  /** Approval outcome records (re-derived with approvalDecision(), not decide()). */
  approvals: number;
  /** Signs that the log is not whole (records removed, moved or copied in): each one fails the replay. */
  damage: string[];
}

export interface ReplayOptions {
  policy: CompiledPolicy;
  keys: Keyring | null;
  /** Stop collecting drift details after this many (default 20); counting continues. */
  maxDrift?: number;
}

/** Damage reports kept (one removed record misplaces every record after it). */
const MAX_DAMAGE = 5;

/** Replays every record of the log behind `storage`. */
export async function replayLog(storage: AuditStorage, options: ReplayOptions): Promise<ReplayReport> {
  const { log } = await storage.open(null);
  const report: ReplayReport = { ok: false, records: 0, replayed: 0, matched: 0, skipped: [], drift: [], drifted: 0, differs: {}, invalid: 0, policyMismatch: 0, approvals: 0, damage: [] };
  let driftCount = 0;
  const bindings = new ApprovalBindings();
  await storage.scanEntries((line, seq) => {
    report.records++;
    const e = parseEntry(line);
    if (typeof e === "string") {
      report.skipped.push({ seq, reason: e });
      return;
    }
    const stored = e.signed.record;
    const misplaced = positionProblem(stored, seq, log);
    if (misplaced !== null && report.damage.length < MAX_DAMAGE) report.damage.push(misplaced);
    bindings.see(stored);
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
    const approval = isApprovalRecord(stored, input.action);
    const d = approval ? approvalDecision(options.policy.info, input.action) : decide(options.policy, input.action, replayState(stored.state));
    report.replayed++;
    if (approval) report.approvals++;
    const env = { log: stored.log, seq: stored.seq, time: stored.time, epoch: stored.epoch, dropped: stored.dropped };
    const body = { ...recordBody(env, input.action, stored.inputHash, stored.input, d, input.protected), wardenVersion: stored.wardenVersion };
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
    if (canonicalize(stored.obligations) !== canonicalize(body.obligations)) differs.push("obligations");
    if (canonicalize(stored.state) !== canonicalize(d.state)) differs.push("observed state");
    if (replayedHash !== storedHash) differs.push("record hash");
    const problems = approval ? bindings.check(stored, input.action) : [];
    if (problems.length > 0) differs.push("approval binding");
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
        replayed: { verdict: d.verdict, enforced: d.enforced, reasons: d.reasons, shadow: d.shadow, obligations: body.obligations, state: d.state, policy: d.policy },
        recordHash: storedHash,
        replayedHash,
        ...(problems.length > 0 ? { problems } : {}),
      });
    }
  });
  const cut = await coverageProblem(storage, report.records);
  if (cut !== null) report.damage.push(cut);
  report.drifted = driftCount;
  report.ok = driftCount === 0 && report.skipped.length === 0 && report.damage.length === 0;
  return report;
}

/**
 * An approval record is one whose action is of kind `approval` and whose reasons come from the approval rule.
 * An agent can also send an action of kind `approval` to an interception point: decide() blocks it as an invalid
 * action (rule `engine`), and it is replayed with decide() like any other.
 */
function isApprovalRecord(stored: DecisionRecordV1, action: unknown): boolean {
  if ((action as { kind?: unknown } | null)?.kind !== APPROVAL_KIND) return false;
  return Array.isArray(stored.reasons) && stored.reasons.length > 0 && stored.reasons.every((r) => r?.rule === APPROVAL_RULE);
}

/** Checks each approval record against the ESCALATE decision it names, when that record is in the same log. */
class ApprovalBindings {
  /** ESCALATE records with an approval obligation, by seq: what an outcome must match. */
  private readonly escalated = new Map<number, { inputHash: string; tool: string | null; id: string }>();
  /** ESCALATE records that already have an outcome (a held call ends once). */
  private readonly resolved = new Map<number, number>();

  see(r: DecisionRecordV1): void {
    if (r.verdict === "ESCALATE" && r.obligations?.approval) this.escalated.set(r.seq, { inputHash: r.inputHash, tool: r.tool, id: r.id });
  }

  check(r: DecisionRecordV1, action: unknown): string[] {
    const ref = (action as Partial<ApprovalActionV1>).args?.decision;
    if (!ref || typeof ref.record !== "string") return []; // not bound (the ESCALATE was not recorded), or malformed: approvalDecision() said so
    const cut = ref.record.lastIndexOf(":");
    const log = ref.record.slice(0, cut);
    const seq = Number(ref.record.slice(cut + 1));
    if (cut < 0 || log !== r.log || !Number.isSafeInteger(seq)) return []; // another log: not checkable here
    const name = `\`${ref.record}\``;
    if (seq >= r.seq) return [`the approval names decision ${name}, which is not earlier in the log than the approval (record ${r.seq})`];
    const esc = this.escalated.get(seq);
    if (!esc) return [`the approval names decision ${name}, which is not an ESCALATE decision with an approval obligation`];
    const out: string[] = [];
    if (ref.inputHash !== esc.inputHash) out.push(`the approval's inputHash \`${String(ref.inputHash)}\` is not that of decision ${name} (\`${esc.inputHash}\`)`);
    if (esc.tool !== null && esc.tool !== r.tool) out.push(`the approval is for \`${String(r.tool)}\` but decision ${name} was for \`${esc.tool}\``);
    const earlier = this.resolved.get(seq);
    if (earlier !== undefined) out.push(`decision ${name} already has an approval outcome (record ${earlier})`);
    else this.resolved.set(seq, r.seq);
    return out;
  }
}
