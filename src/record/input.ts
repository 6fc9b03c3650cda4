// The action kept for replay: inline (canonical JSON), or with sensitive fields redacted (keyed hash) or
// encrypted (AES-256-GCM, bound to the input hash and field path) so a key holder can still replay.
import { createCipheriv, createDecipheriv, randomFillSync } from "node:crypto";
import { canonicalize, CanonicalizationError } from "../canonical/jcs.js";
import { isWellFormed, wellFormedText } from "../canonical/well-formed.js";
import type { Keyring } from "../keys/keyring.js";
import { sha256Hex, type DecisionRecordV1, type InputMode } from "./record.js";
import { resolvePointer } from "./pointer.js";
import { locateField, type FieldLocation } from "./locate.js";
import { unprotectableProblem } from "../compile/sensitive.js";

/** How sensitive fields are stored: a keyed hash plus a redacted view, or encrypted. */
export type SensitiveMode = "redact" | "encrypt";

/** A protected value inside a stored action. */
export type ProtectedValueV1 =
  | { $warden: "redacted"; kid: string; mac: string; type: string }
  | { $warden: "encrypted"; kid: string; iv: string; ct: string; tag: string };

/** The stored form of an action whose sensitive fields are protected. */
export interface ProtectedInputV1 {
  v: 1;
  mode: "redacted" | "encrypted";
  /** JSON pointers of the protected values inside `action`. */
  protected: string[];
  action: unknown;
}

export interface StoredInput {
  /**
   * `sha256:<hex>` of the JCS of the real action; when fields are stored protected, the keyed form
   * `hmac-sha256:<kid>:<base64url>` (see keyedInputHash).
   */
  inputHash: string;
  input: DecisionRecordV1["input"];
  /** The JCS text stored beside the record (sha256 of it is `input.hash`). */
  attachment: string;
  /** JSON pointers of the values stored protected (none when inline): the record body hides them too. */
  protected: readonly string[];
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * Compiled field paths (`args.ssn`, `args.cards.*.number`; `*` matches any key or index). Returns the
 * problems as messages, since paths come from a policy.
 */
export function parseFieldPaths(paths: readonly string[]): { paths: string[][]; errors: string[] } {
  const out: string[][] = [];
  const errors: string[] = [];
  for (const p of paths) {
    const segs = p.split(".");
    if (p.length === 0 || segs.some((s) => s.length === 0)) errors.push(`sensitive field \`${p}\` is not a dotted path like \`args.ssn\``);
    else {
      const problem = unprotectableProblem(p, segs);
      if (problem) errors.push(problem);
      else out.push(segs);
    }
  }
  return { paths: out, errors };
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/**
 * Canonicalizes `action`, hashes it, and produces the stored form. Inline unless `sensitive` paths match
 * (then `mode` decides). A value that is not JSON data is stored as an `invalid` marker (not replayable).
 */
export function storeInput(action: unknown, sensitive: readonly string[][], mode: SensitiveMode, keys: Keyring | null, invalid?: string): StoredInput {
  const storeInvalid = (reason: string, raw: string | null): StoredInput => {
    // the reason may quote the bad input (a key with a lone surrogate): escaped, so the attachment is JSON
    const attachment = canonicalize({ invalid: wellFormedText(reason), raw });
    const h = `sha256:${sha256Hex(attachment)}`;
    return { inputHash: h, input: { mode: "invalid", hash: h }, attachment, protected: NONE };
  };
  // Input that never became an action (e.g. a line that is not JSON): kept raw, marked, not replayable. Not kept
  // when the policy marks fields sensitive: text that is not an action cannot be searched for them, and it may hold
  // one in clear (`{"args":{"ssn":"078-05-1120"},` cut short).
  if (invalid !== undefined) return storeInvalid(invalid, sensitive.length === 0 && typeof action === "string" && isWellFormed(action) ? action : null);
  let actionJcs: string;
  try {
    actionJcs = canonicalize(action);
  } catch (e) {
    if (!(e instanceof CanonicalizationError)) throw e;
    return storeInvalid(e.message, null);
  }
  const inputHash = `sha256:${sha256Hex(actionJcs)}`;
  if (sensitive.length === 0) return { inputHash, input: { mode: "inline", hash: inputHash }, attachment: actionJcs, protected: NONE };
  // Look first on the action itself (read-only): most actions carry no sensitive field, and need no copy.
  const probe: FieldLocation[] = [];
  for (const segs of sensitive) locateField(action, segs, probe);
  if (probe.length === 0) return { inputHash, input: { mode: "inline", hash: inputHash }, attachment: actionJcs, protected: NONE };
  if (!keys || !keys.canSign) throw new Error("protecting sensitive fields needs a keyring (hmac and aes keys)");
  const keyedHash = keyedInputHash(actionJcs, keys.active.hmac as string, keys) as string;
  const copy = JSON.parse(actionJcs) as unknown;
  const hits: FieldLocation[] = [];
  for (const segs of sensitive) locateField(copy, segs, hits);
  const pointers: string[] = [];
  const seen = new Set<string>();
  for (const [ptr, parent, key] of hits) {
    if (seen.has(ptr)) continue;
    seen.add(ptr);
    pointers.push(ptr);
    const original = (parent as Record<string | number, unknown>)[key];
    const plain = canonicalize(original);
    (parent as Record<string | number, unknown>)[key] = mode === "redact" ? redact(plain, original, keys) : encrypt(plain, `${keyedHash}|${ptr}`, keys);
  }
  pointers.sort();
  const stored: ProtectedInputV1 = { v: 1, mode: mode === "redact" ? "redacted" : "encrypted", protected: pointers, action: copy };
  const attachment = canonicalize(stored);
  return { inputHash: keyedHash, input: { mode: stored.mode, hash: `sha256:${sha256Hex(attachment)}` }, attachment, protected: pointers };
}

const KEYED_PREFIX = "hmac-sha256:";

/**
 * The input hash of an action whose fields are stored protected: HMAC-SHA256 under the keyring's hmac key `kid`,
 * `hmac-sha256:<kid>:<base64url>`. An unkeyed SHA-256 of the whole action would undo the protection: every other
 * field is in the log in clear, so a 9-digit SSN is found by hashing guesses (a reviewer's naive script took 111 s
 * for 23 million). Null when the keyring lacks `kid`.
 */
export function keyedInputHash(actionJcs: string, kid: string, keys: Keyring): string | null {
  const mac = keys.keyedHash(kid, `warden.input.v1\n${actionJcs}`);
  return mac === null ? null : `${KEYED_PREFIX}${kid}:${mac}`;
}

/** Whether `actionJcs` is the action an input hash names (either form); why not, if it is not. */
function inputHashProblem(actionJcs: string, inputHash: string, keys: Keyring | null): string | null {
  if (!inputHash.startsWith(KEYED_PREFIX)) return `sha256:${sha256Hex(actionJcs)}` === inputHash ? null : "restored action does not match the record's inputHash";
  const kid = inputHash.slice(KEYED_PREFIX.length, inputHash.lastIndexOf(":"));
  if (!keys) return "a keyed inputHash needs the keyring (--key) to check";
  const expected = keyedInputHash(actionJcs, kid, keys);
  if (expected === null) return `hmac key \`${kid}\` (of the record's keyed inputHash) is not in the keyring`;
  return expected === inputHash ? null : "restored action does not match the record's inputHash";
}

function redact(plain: string, original: unknown, keys: Keyring): ProtectedValueV1 {
  const kid = keys.active.hmac as string;
  return { $warden: "redacted", kid, mac: keys.keyedHash(kid, `warden.field.v1\n${plain}`) as string, type: typeName(original) };
}

/**
 * Fresh random 96-bit GCM nonces from a pool: one randomFillSync of 6 KiB costs about what a single
 * randomBytes(12) does (~3 µs: each call enters OpenSSL's DRBG), so drawing 512 at a time takes that off
 * the record path. Every nonce is still 12 bytes straight from the CSPRNG, used once and never reused.
 */
const IV_POOL = Buffer.alloc(12 * 512);
let ivNext = IV_POOL.length;

function freshIv(): Buffer {
  if (ivNext === IV_POOL.length) {
    randomFillSync(IV_POOL);
    ivNext = 0;
  }
  const iv = Buffer.from(IV_POOL.subarray(ivNext, ivNext + 12));
  ivNext += 12;
  return iv;
}

function encrypt(plain: string, aad: string, keys: Keyring): ProtectedValueV1 {
  const kid = keys.active.aes as string;
  const iv = freshIv();
  const cipher = createCipheriv("aes-256-gcm", keys.aes.get(kid) as Buffer, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const ct = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return { $warden: "encrypted", kid, iv: iv.toString("base64url"), ct: ct.toString("base64url"), tag: cipher.getAuthTag().toString("base64url") };
}

/** A restored action, with the pointers its record keeps protected (see StoredInput.protected). */
export type RestoredInput = { ok: true; action: unknown; protected: readonly string[] } | { ok: false; reason: string; replayable: false };

/**
 * Turns a stored attachment back into the action that was decided. Checks the attachment against the
 * record's `input.hash` and the restored action against `inputHash`.
 */
export function restoreInput(record: Pick<DecisionRecordV1, "inputHash" | "input">, attachment: string, keys: Keyring | null): RestoredInput {
  const fail = (reason: string): RestoredInput => ({ ok: false, reason, replayable: false });
  if (`sha256:${sha256Hex(attachment)}` !== record.input.hash) return fail("stored input does not match the record's input hash");
  if (record.input.mode === "invalid") return fail("the action was not JSON data when decided");
  if (record.input.mode === "inline") return { ok: true, action: JSON.parse(attachment) as unknown, protected: NONE };
  const stored = JSON.parse(attachment) as ProtectedInputV1;
  if (stored === null || typeof stored !== "object" || !Array.isArray(stored.protected) || !stored.protected.every((p) => typeof p === "string")) return fail("stored input is not a protected input (no list of protected fields)");
  if (record.input.mode === "redacted") return fail(`fields ${stored.protected.map((p) => `\`${p}\``).join(", ")} are stored redacted`);
  if (!keys) return fail("encrypted fields need the keyring (--key) to replay");
  for (const ptr of stored.protected) {
    const loc = resolvePointer(stored.action, ptr);
    const pv = loc ? (loc[0][loc[1]] as ProtectedValueV1 | undefined) : undefined;
    if (!loc || !pv || pv.$warden !== "encrypted") return fail(`protected field \`${ptr}\` is missing`);
    const key = keys.aes.get(pv.kid);
    if (!key) return fail(`aes key \`${pv.kid}\` is not in the keyring`);
    try {
      const d = createDecipheriv("aes-256-gcm", key, Buffer.from(pv.iv, "base64url"));
      d.setAAD(Buffer.from(`${record.inputHash}|${ptr}`, "utf8"));
      d.setAuthTag(Buffer.from(pv.tag, "base64url"));
      const plain = Buffer.concat([d.update(Buffer.from(pv.ct, "base64url")), d.final()]).toString("utf8");
      loc[0][loc[1]] = JSON.parse(plain) as unknown;
    } catch {
      return fail(`protected field \`${ptr}\` does not decrypt (wrong key or tampered)`);
    }
  }
  const mismatch = inputHashProblem(canonicalize(stored.action), record.inputHash, keys);
  if (mismatch !== null) return fail(mismatch);
  return { ok: true, action: stored.action, protected: stored.protected };
}
