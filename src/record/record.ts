// DecisionRecordV1: the signed, replayable record of one decision, its hash and its signatures.
import { hash as oneShotHash } from "node:crypto";
import { canonicalize, canonicalString } from "../canonical/jcs.js";
import { wellFormedText } from "../canonical/well-formed.js";
import type { Keyring } from "../keys/keyring.js";
import type { Action, Decision, DecisionState, Obligations, Reason, Verdict } from "../types.js";
import { resolvePointer } from "./pointer.js";
import { WARDEN_VERSION } from "../version.js";
import { encodeReasons, encodeState } from "./encode-parts.js";

/** How the action is kept beside its record (see input.ts). */
export type InputMode = "inline" | "redacted" | "encrypted" | "invalid";

/** DecisionRecordV1 (contract): everything needed to prove and replay one decision. */
export interface DecisionRecordV1 {
  v: 1;
  /** `<log>:<seq>`: unique across logs (log ids are random). */
  id: string;
  log: string;
  /** Position in the log (the Merkle leaf index). */
  seq: number;
  /** When the recorder wrote it (wall clock, RFC 3339); decide() only knows `at`. */
  time: string;
  at: string | null;
  agent: string | null;
  tool: string | null;
  kind: string | null;
  /** `sha256:<hex>` of the JCS of the action as decided; `hmac-sha256:<kid>:<b64url>` when fields are stored protected. */
  inputHash: string;
  /** How the action is stored, and the sha256 of the stored form (== inputHash when inline). */
  input: { mode: InputMode; hash: string };
  policy: { id: string; version: string; hash: string };
  epoch: number;
  wardenVersion: string;
  verdict: Verdict;
  enforced: boolean;
  reasons: Reason[];
  shadow: Reason[];
  shadowVerdict: Verdict | null;
  obligations: Obligations;
  /** What decide() observed (throttle counters including `seen`): replay feeds it back. */
  state: DecisionState;
  /** Records dropped just before this one because the sink's buffer was full (never silent). */
  dropped: number;
}

export interface SignatureV1 {
  kid: string;
  sig: string;
}

export interface RecordSignaturesV1 {
  hmac?: SignatureV1;
  ed25519?: SignatureV1;
}

/** A stored signed record: `{"record":…,"sig":…}` in JCS (its Merkle leaf is derived: see audit/entry.ts). */
export interface SignedRecordV1 {
  record: DecisionRecordV1;
  sig: RecordSignaturesV1;
}

export type SignatureMode = "hmac" | "ed25519" | "both";

/** The envelope fields a recorder supplies (everything else comes from the action and decision). */
export interface RecordEnvelope {
  log: string;
  seq: number;
  time: string;
  epoch: number;
  dropped: number;
}

export function sha256Hex(data: string | Uint8Array): string {
  return oneShotHash("sha256", data, "hex");
}

/** A summary field of the body (at, agent, tool, kind): a malformed string (a lone surrogate) escaped, so the record
 * of an action that could not be stored as given is still written (its input is stored as `invalid`). */
function str(v: unknown): string | null {
  return typeof v === "string" ? wellFormedText(v) : null;
}

/** What a record body shows in place of a value its input keeps protected. */
export const PROTECTED_VALUE = Object.freeze({ $warden: "protected" });

/**
 * The obligations as recorded: a MODIFY's copy of the action has the values at `hidden` (the pointers its stored
 * input protects) replaced by PROTECTED_VALUE, so the record never holds in clear what the input encrypts or
 * redacts. Replay rebuilds the same view from the decision it re-derives. The decision itself is not touched:
 * the caller forwards the real modified action.
 */
export function recordedObligations(o: Obligations, hidden: readonly string[]): Obligations {
  if (hidden.length === 0 || o.modify === null) return o;
  const action = JSON.parse(canonicalize(o.modify.action)) as unknown;
  let changed = false;
  for (const ptr of hidden) {
    const loc = resolvePointer(action, ptr);
    if (loc === null || !Object.hasOwn(loc[0], loc[1])) continue;
    loc[0][loc[1]] = PROTECTED_VALUE;
    changed = true;
  }
  return changed ? { ...o, modify: { ...o.modify, action: action as Action } } : o;
}

/**
 * Builds the record body from an envelope, the action's summary fields and a decision. Pure. `hidden` lists the
 * pointers the stored input protects (StoredInput.protected).
 */
export function recordBody(env: RecordEnvelope, action: unknown, inputHash: string, input: DecisionRecordV1["input"], d: Decision, hidden: readonly string[] = []): DecisionRecordV1 {
  const a = (action !== null && typeof action === "object" ? action : {}) as Record<string, unknown>;
  const agent = a["agent"] !== null && typeof a["agent"] === "object" ? (a["agent"] as Record<string, unknown>)["id"] : undefined;
  return {
    v: 1,
    id: `${env.log}:${env.seq}`,
    log: env.log,
    seq: env.seq,
    time: env.time,
    at: str(a["at"]),
    agent: str(agent),
    tool: str(a["tool"]),
    kind: str(a["kind"]),
    inputHash,
    input,
    policy: { id: d.policy.id, version: d.policy.version, hash: d.policy.hash },
    epoch: env.epoch,
    wardenVersion: WARDEN_VERSION,
    verdict: d.verdict,
    enforced: d.enforced,
    reasons: d.reasons,
    shadow: d.shadow,
    shadowVerdict: d.shadowVerdict ?? null,
    obligations: recordedObligations(d.obligations, hidden),
    state: d.state,
    dropped: env.dropped,
  };
}

/** What a record signature covers: a domain label and the record hash (HMAC takes it as a string). */
export function recordSigningText(recordHash: string): string {
  return `warden.record.v1\n${recordHash}`;
}

/** The same message as bytes (what Ed25519 signs). */
export function recordSigningMessage(recordHash: string): Buffer {
  return Buffer.from(recordSigningText(recordHash), "utf8");
}

export interface EncodedRecord {
  body: DecisionRecordV1;
  /** `sha256:<hex>` of the body's JCS: what replay reproduces and what the signatures cover. */
  recordHash: string;
  /** The JCS of SignedRecordV1: the first half of a log entry. */
  signed: string;
  /** The JCS of the signatures (part of the Merkle leaf). */
  sigText: string;
}

const str0 = (s: string | null): string => (s === null ? "null" : canonicalString(s));
const int0 = (n: number, what: string): string => {
  if (!Number.isSafeInteger(n)) throw new TypeError(`record ${what} \`${n}\` is not a safe integer`);
  return "" + n;
};

const orNull = (v: unknown): string => (v === null ? "null" : canonicalize(v));

/** Obligations have a fixed schema (four keys); anything else falls back to the generic encoder. */
function encodeObligations(o: Obligations): string {
  const keys = Object.keys(o);
  if (keys.length !== 4 || !("approval" in o) || !("modify" in o) || !("sandbox" in o) || !Number.isSafeInteger(o.retryAfterMs)) return canonicalize(o);
  return `{"approval":${orNull(o.approval)},"modify":${orNull(o.modify)},"retryAfterMs":${o.retryAfterMs},"sandbox":${orNull(o.sandbox)}}`;
}

function encodePolicy(p: DecisionRecordV1["policy"]): string {
  return `{"hash":${canonicalString(p.hash)},"id":${canonicalString(p.id)},"version":${canonicalString(p.version)}}`;
}

/**
 * The JCS of a record body, written field by field in sorted key order (the schema is fixed, so the
 * top level needs no sorting or generic walk; the decision's parts go through canonicalize). Equal to
 * canonicalize(body) — a property test holds it so.
 */
export function encodeBody(b: DecisionRecordV1): string {
  return (
    `{"agent":${str0(b.agent)},"at":${str0(b.at)},"dropped":${int0(b.dropped, "dropped")},"enforced":${b.enforced ? "true" : "false"}` +
    `,"epoch":${int0(b.epoch, "epoch")},"id":${canonicalString(b.id)},"input":{"hash":${canonicalString(b.input.hash)},"mode":${canonicalString(b.input.mode)}}` +
    `,"inputHash":${canonicalString(b.inputHash)},"kind":${str0(b.kind)},"log":${canonicalString(b.log)},"obligations":${encodeObligations(b.obligations)},"policy":${encodePolicy(b.policy)}` +
    `,"reasons":${encodeReasons(b.reasons)},"seq":${int0(b.seq, "seq")},"shadow":${encodeReasons(b.shadow)},"shadowVerdict":${str0(b.shadowVerdict)}` +
    `,"state":${encodeState(b.state)},"time":${canonicalString(b.time)},"tool":${str0(b.tool)},"v":1,"verdict":${canonicalString(b.verdict)}` +
    `,"wardenVersion":${canonicalString(b.wardenVersion)}}`
  );
}

/** Canonicalizes, hashes and signs a body. */
export function signRecord(body: DecisionRecordV1, keys: Keyring, mode: SignatureMode): EncodedRecord {
  const bodyJcs = encodeBody(body);
  const recordHash = `sha256:${sha256Hex(bodyJcs)}`;
  const sig: RecordSignaturesV1 = {};
  // HMAC takes the message as a string (UTF-8, the same bytes) and skips a Buffer per record.
  if (mode !== "ed25519") sig.hmac = keys.hmacSign(recordSigningText(recordHash));
  if (mode !== "hmac") sig.ed25519 = keys.edSign(recordSigningMessage(recordHash));
  // JCS of {record, sig}: "record" sorts before "sig", so concatenation is canonical.
  const sigText = encodeSignatures(sig);
  return { body, recordHash, signed: `{"record":${bodyJcs},"sig":${sigText}}`, sigText };
}

const encodeSig = (x: SignatureV1): string => `{"kid":${canonicalString(x.kid)},"sig":${canonicalString(x.sig)}}`;

/** JCS of the signatures object ("ed25519" sorts before "hmac"). */
export function encodeSignatures(sig: RecordSignaturesV1): string {
  const parts: string[] = [];
  if (sig.ed25519) parts.push(`"ed25519":${encodeSig(sig.ed25519)}`);
  if (sig.hmac) parts.push(`"hmac":${encodeSig(sig.hmac)}`);
  return `{${parts.join(",")}}`;
}

/** Recomputes the hash of a record body (e.g. one parsed from a log). */
export function hashRecord(body: DecisionRecordV1): string {
  return `sha256:${sha256Hex(canonicalize(body))}`;
}

export interface SignatureCheck {
  /** Problems found (bad signature, unknown key with no other signature, none at all). */
  errors: string[];
  /** Signatures that could not be checked with the keys given (not errors). */
  unchecked: string[];
}

/** Checks every signature on a record against `keys`. */
export function verifyRecordSignatures(recordHash: string, sig: RecordSignaturesV1, keys: Keyring | null): SignatureCheck {
  const out: SignatureCheck = { errors: [], unchecked: [] };
  const shape = signatureShapeError(sig);
  if (shape) {
    out.errors.push(shape);
    return out;
  }
  if (!sig.hmac && !sig.ed25519) {
    out.errors.push("record carries no signature");
    return out;
  }
  const text = recordSigningText(recordHash);
  if (sig.hmac) {
    const ok = keys ? keys.hmacVerify(sig.hmac.kid, text, sig.hmac.sig) : null;
    if (ok === false) out.errors.push(`hmac signature (key \`${sig.hmac.kid}\`) does not match`);
    else if (ok === null) out.unchecked.push(`hmac key \`${sig.hmac.kid}\` not available`);
  }
  if (sig.ed25519) {
    const ok = keys ? keys.edVerify(sig.ed25519.kid, recordSigningMessage(recordHash), sig.ed25519.sig) : null;
    if (ok === false) out.errors.push(`ed25519 signature (key \`${sig.ed25519.kid}\`) does not match`);
    else if (ok === null) out.unchecked.push(`ed25519 key \`${sig.ed25519.kid}\` not available`);
  }
  return out;
}

/** Signatures come from untrusted bytes: exactly `{hmac?, ed25519?}`, each exactly `{kid, sig}` strings. */
function signatureShapeError(sig: unknown): string | null {
  if (sig === null || typeof sig !== "object" || Array.isArray(sig)) return "signatures are not an object";
  // Walked without building key lists: this runs once per record when a log is verified.
  for (const name in sig) {
    if (!Object.hasOwn(sig, name)) continue;
    if (name !== "hmac" && name !== "ed25519") return `unknown signature type \`${name}\``;
    if (!isKidAndSig((sig as Record<string, unknown>)[name])) return `${name} signature is malformed`;
  }
  return null;
}

/** Exactly `{kid, sig}`, both strings: no other own key, and both present. */
function isKidAndSig(v: unknown): boolean {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  for (const k in v) if (Object.hasOwn(v, k) && k !== "kid" && k !== "sig") return false;
  const o = v as Record<string, unknown>;
  return typeof o["kid"] === "string" && typeof o["sig"] === "string";
}
