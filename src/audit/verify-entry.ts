// Checks one stored log entry on its own: form, position, signatures, stored input, and the record's bytes
// against the schema where no checked signature vouches for them; derives its Merkle leaf. Everything that
// needs no other entry, so the verifier can run it on many threads (see verify-parallel.ts) and keep only the
// tree and the heads on one.
import { hash as oneShotHash } from "node:crypto";
import { canonicalize } from "../canonical/jcs.js";
import type { Keyring } from "../keys/keyring.js";
import { encodeBody, verifyRecordSignatures, type RecordSignaturesV1 } from "../record/record.js";
import { readBodyFields } from "./body-fields.js";
import { bodyHash, leafHashOfBytes, merkleLeafHash, parseSigned, splitEntryBytes } from "./entry.js";

export interface EntryCheck {
  /** The entry's Merkle leaf hash (32 bytes), whatever else is wrong with it. */
  leaf: Buffer;
  /** What is wrong with the entry (empty when it verifies). */
  problems: string[];
  hmac: boolean;
  ed25519: boolean;
  /** Signatures that could not be checked and are allowed to be (e.g. HMAC when verifying with a JWKS). */
  unchecked: number;
}

/** What the checks of every entry share. */
export interface EntryContext {
  log: string;
  keys: Keyring | null;
  /** A keyring that can sign holds the HMAC keys: an HMAC signature it cannot check is then an error. */
  hmacRequired: boolean;
  /** Re-derive every record's bytes from the schema, also those a checked signature vouches for. */
  deep: boolean;
}

/** checkEntry() on a line held as a string (storage that returns text, e.g. PostgreSQL). */
export function checkEntryText(line: string, seq: number, ctx: EntryContext): EntryCheck {
  return checkEntry(Buffer.from(line, "utf8"), seq, ctx);
}

/**
 * Checks one entry line (its UTF-8 bytes, without the newline; only read during the call). Works on the bytes:
 * the hashes take them as they are (a string would be encoded to UTF-8 again for each) and the fields are read
 * from them without decoding the line.
 */
export function checkEntry(line: Buffer, seq: number, ctx: EntryContext): EntryCheck {
  const out: EntryCheck = { leaf: EMPTY, problems: [], hmac: false, ed25519: false, unchecked: 0 };
  const e = splitEntryBytes(line);
  if (typeof e === "string") {
    out.leaf = leafHashOfBytes(line);
    out.problems.push(e);
    return out;
  }
  const recordHash = bodyHash(e.body);
  out.leaf = merkleLeafHash(recordHash, e.sigText);
  const problem = (reason: string): EntryCheck => {
    out.problems.push(reason);
    return out;
  };
  const r = readBodyFields(e.body);
  if (typeof r === "string") return problem(r);
  let sig: RecordSignaturesV1;
  try {
    sig = parseSignatures(e.sigText) as RecordSignaturesV1;
  } catch {
    return problem("signatures are not valid JSON");
  }
  const { log, keys } = ctx;
  if (r.v !== 1) return problem(`unknown record version \`${String(r.v)}\``);
  if (r.log !== log) return problem(`record belongs to log \`${String(r.log)}\`, not \`${log}\``);
  if (r.seq !== seq) return problem(`record claims seq ${String(r.seq)} at position ${seq} (deleted, reordered or duplicated records)`);
  if (r.id !== `${log}:${seq}`) return problem(`record id \`${String(r.id)}\` does not match its position`);
  const sigs = verifyRecordSignatures(recordHash, sig, keys);
  if (sigs.errors.length > 0) {
    out.problems.push(...sigs.errors);
    return out;
  }
  let hmacUnchecked = false;
  let edUnchecked = false;
  for (const u of sigs.unchecked) {
    const isHmac = u.startsWith("hmac");
    if (keys !== null && (!isHmac || ctx.hmacRequired)) return problem(`signed with unknown key: ${u}`);
    out.unchecked++;
    if (isHmac) hmacUnchecked = true;
    else edUnchecked = true;
  }
  out.hmac = sig.hmac !== undefined && !hmacUnchecked;
  out.ed25519 = sig.ed25519 !== undefined && !edUnchecked;
  // A checked signature vouches for every byte of the body (it covers the body's hash). Bytes that none vouches
  // for, and every record under `deep`, are re-derived from the schema: the template encoder reproduces the
  // canonical bytes, so extra, missing or mistyped fields cannot pass.
  if (ctx.deep || !(out.hmac || out.ed25519)) {
    const schema = schemaProblem(e.signed.toString("utf8"));
    if (schema !== null) return problem(schema);
  }
  const input = r.input as { hash?: unknown; mode?: unknown } | null;
  if (input === null || typeof input !== "object" || `sha256:${oneShotHash("sha256", e.attachment, "hex")}` !== input.hash) problem("stored input does not match the record's input hash");
  else if (input.mode === "inline" && input.hash !== r.inputHash) problem("inline input hash differs from inputHash");
  return out;
}

const HMAC_ONLY_HEAD = '{"hmac":{"kid":"';
const KID_SIG = '","sig":"';
const HMAC_ONLY_TAIL = '"}}';

/** Whether `s` is a JSON string's text that needs no decoding (no quote, backslash or control character). */
function plainText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 || c === 92 || c < 0x20) return false;
  }
  return true;
}

/**
 * The signatures' JSON: `{"hmac":{"kid":"…","sig":"…"}}` with plain texts (the default, written once per record) is
 * read directly; anything else goes through JSON.parse. The shape is checked afterwards either way.
 */
export function parseSignatures(text: string): unknown {
  if (text.startsWith(HMAC_ONLY_HEAD) && text.endsWith(HMAC_ONLY_TAIL)) {
    const mid = text.indexOf(KID_SIG, HMAC_ONLY_HEAD.length);
    if (mid >= 0 && mid + KID_SIG.length <= text.length - HMAC_ONLY_TAIL.length) {
      const kid = text.slice(HMAC_ONLY_HEAD.length, mid);
      const sig = text.slice(mid + KID_SIG.length, text.length - HMAC_ONLY_TAIL.length);
      if (plainText(kid) && plainText(sig)) return { hmac: { kid, sig } };
    }
  }
  return JSON.parse(text) as unknown;
}

/** Whether the signed record's bytes are exactly what Warden's encoder writes for the record they parse to. */
function schemaProblem(signedText: string): string | null {
  const parsed = parseSigned(signedText);
  if (typeof parsed === "string") return parsed;
  try {
    const canonical = `{"record":${encodeBody(parsed.record)},"sig":${canonicalize(parsed.sig)}}`;
    return canonical === signedText ? null : "record bytes are not canonical JSON (edited?)";
  } catch (err) {
    return `entry holds malformed data: ${(err as Error).message}`;
  }
}

const EMPTY = Buffer.alloc(32);
