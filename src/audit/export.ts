// SIEM export: one flat JSON event per decision with stable snake_case field names (schema
// `warden.decision.v1`, documented in docs/decision-log.md). Never includes the action's arguments.
import { hash as oneShotHash } from "node:crypto";
import { APPROVAL_KIND } from "../record/approval.js";
import type { DecisionRecordV1 } from "../record/record.js";
import { parseEntry } from "./entry.js";
import type { AuditStorage } from "./storage.js";
import { coverageProblem, positionProblem } from "./continuity.js";

export const SIEM_SCHEMA = "warden.decision.v1";

/** DecisionEventV1 (contract): the SIEM event. Fields are only ever added, never renamed. */
export interface DecisionEventV1 {
  schema: typeof SIEM_SCHEMA;
  event_id: string;
  log_id: string;
  seq: number;
  time: string;
  action_time: string | null;
  agent_id: string | null;
  tool: string | null;
  action_kind: string | null;
  verdict: string;
  enforced: boolean;
  shadow_verdict: string | null;
  reason_codes: string[];
  rules: string[];
  reasons: Array<{ rule: string; code: string; verdict: string; field: string | null; message: string }>;
  shadow_reason_codes: string[];
  policy_id: string;
  policy_version: string;
  policy_hash: string;
  epoch: number;
  input_hash: string;
  input_storage: string;
  record_hash: string;
  warden_version: string;
  retry_after_ms: number;
  approval_group: string | null;
  throttle_keys: string[];
  dropped_before: number;
  /**
   * Approval outcomes only (`action_kind` approval), else null: the approval id, its outcome, and the ESCALATE
   * record it resolves (`<log>:<seq>`) with that record's input hash, read from the stored input.
   */
  approval_id: string | null;
  approval_outcome: string | null;
  approves_record: string | null;
  approves_input_hash: string | null;
}

type ApprovalFields = Pick<DecisionEventV1, "approval_id" | "approval_outcome" | "approves_record" | "approves_input_hash">;
const NO_APPROVAL: ApprovalFields = { approval_id: null, approval_outcome: null, approves_record: null, approves_input_hash: null };
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const obj = (v: unknown): Record<string, unknown> | null => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/**
 * What an approval record's stored input says it resolved. The input must hash to the record's `input.hash`
 * (else nothing is taken from it); a protected input (redacted or encrypted fields) keeps the action under
 * `action`. Only the approval's own metadata is read, never a tool's arguments.
 */
function approvalFields(r: DecisionRecordV1, attachment: string | undefined): ApprovalFields {
  if (r.kind !== APPROVAL_KIND || attachment === undefined) return NO_APPROVAL;
  if (`sha256:${oneShotHash("sha256", attachment, "hex")}` !== r.input.hash) return NO_APPROVAL;
  let stored: unknown;
  try {
    stored = JSON.parse(attachment);
  } catch {
    return NO_APPROVAL;
  }
  const top = obj(stored);
  const action = r.input.mode === "inline" ? top : obj(top?.["action"]);
  const args = obj(action?.["args"]);
  const ref = obj(args?.["decision"]);
  return {
    approval_id: str(args?.["approval"]),
    approval_outcome: str(args?.["outcome"]),
    approves_record: str(ref?.["record"]),
    approves_input_hash: str(ref?.["inputHash"]),
  };
}

/** The SIEM event of a record; `attachment` (the entry's stored input) fills the approval fields. */
export function toDecisionEvent(r: DecisionRecordV1, recordHash: string, attachment?: string): DecisionEventV1 {
  return {
    schema: SIEM_SCHEMA,
    event_id: r.id,
    log_id: r.log,
    seq: r.seq,
    time: r.time,
    action_time: r.at,
    agent_id: r.agent,
    tool: r.tool,
    action_kind: r.kind,
    verdict: r.verdict,
    enforced: r.enforced,
    shadow_verdict: r.shadowVerdict,
    reason_codes: r.reasons.map((x) => x.code),
    rules: r.reasons.map((x) => x.rule),
    reasons: r.reasons.map((x) => ({ rule: x.rule, code: x.code, verdict: x.verdict, field: x.field ?? null, message: x.message })),
    shadow_reason_codes: r.shadow.map((x) => x.code),
    policy_id: r.policy.id,
    policy_version: r.policy.version,
    policy_hash: r.policy.hash,
    epoch: r.epoch,
    input_hash: r.inputHash,
    input_storage: r.input.mode,
    record_hash: recordHash,
    warden_version: r.wardenVersion,
    retry_after_ms: r.obligations.retryAfterMs,
    approval_group: r.obligations.approval?.group ?? null,
    throttle_keys: Object.keys(r.state.throttle).sort(),
    dropped_before: r.dropped,
    ...approvalFields(r, attachment),
  };
}

/**
 * Streams every record of a log as JSON lines to `write`; returns the count (malformed entries are skipped and
 * counted) and the signs that the log is not whole (see continuity.ts), which the caller must not hide.
 */
export async function exportLog(storage: AuditStorage, write: (line: string) => void): Promise<{ events: number; malformed: number; damage: string[] }> {
  const { log } = await storage.open(null);
  let events = 0;
  let malformed = 0;
  let records = 0;
  const damage: string[] = [];
  await storage.scanEntries((line, seq) => {
    records++;
    const e = parseEntry(line);
    if (typeof e === "string") {
      malformed++;
      return;
    }
    const misplaced = positionProblem(e.signed.record, seq, log);
    if (misplaced !== null && damage.length < 5) damage.push(misplaced);
    write(`${JSON.stringify(toDecisionEvent(e.signed.record, `sha256:${oneShotHash("sha256", e.bodyText, "hex")}`, e.attachment))}\n`);
    events++;
  });
  const cut = await coverageProblem(storage, records);
  if (cut !== null) damage.push(cut);
  return { events, malformed, damage };
}
