// Checks one stored log entry on its own: form, canonical bytes, position, signatures and stored input,
// and derives its Merkle leaf. Everything that needs no other entry, so the verifier can run it on many
// threads (see verify-parallel.ts) and keep only the tree and the heads on one.
import { hash as oneShotHash } from "node:crypto";
import { canonicalize } from "../canonical/jcs.js";
import type { Keyring } from "../keys/keyring.js";
import { encodeBody, verifyRecordSignatures } from "../record/record.js";
import { bodyHash, leafHashOfLine, merkleLeafHash, parseEntry } from "./entry.js";

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
}

export function checkEntry(line: string, seq: number, ctx: EntryContext): EntryCheck {
  const out: EntryCheck = { leaf: EMPTY, problems: [], hmac: false, ed25519: false, unchecked: 0 };
  const e = parseEntry(line);
  if (typeof e === "string") {
    out.leaf = leafHashOfLine(line);
    out.problems.push(e);
    return out;
  }
  const recordHash = bodyHash(e.bodyText);
  out.leaf = merkleLeafHash(recordHash, e.sigText);
  const r = e.signed.record;
  const problem = (reason: string): EntryCheck => {
    out.problems.push(reason);
    return out;
  };
  let canonical: string;
  try {
    // The schema is fixed, so the template encoder re-derives the canonical bytes (extra, missing or
    // mistyped fields cannot reproduce them); a mismatch means the bytes were not written by Warden.
    canonical = `{"record":${encodeBody(r)},"sig":${canonicalize(e.signed.sig)}}`;
  } catch (err) {
    return problem(`entry holds malformed data: ${(err as Error).message}`);
  }
  const { log, keys } = ctx;
  if (canonical !== e.signedText) return problem("record bytes are not canonical JSON (edited?)");
  if (r.v !== 1) return problem(`unknown record version \`${String(r.v)}\``);
  if (r.log !== log) return problem(`record belongs to log \`${String(r.log)}\`, not \`${log}\``);
  if (r.seq !== seq) return problem(`record claims seq ${String(r.seq)} at position ${seq} (deleted, reordered or duplicated records)`);
  if (r.id !== `${log}:${seq}`) return problem(`record id \`${String(r.id)}\` does not match its position`);
  const sigs = verifyRecordSignatures(recordHash, e.signed.sig, keys);
  out.problems.push(...sigs.errors);
  if (sigs.errors.length > 0) return out;
  for (const u of sigs.unchecked) {
    const isHmac = u.startsWith("hmac");
    if (keys !== null && (!isHmac || ctx.hmacRequired)) return problem(`signed with unknown key: ${u}`);
    out.unchecked++;
  }
  out.hmac = e.signed.sig.hmac !== undefined && sigs.unchecked.every((u) => !u.startsWith("hmac"));
  out.ed25519 = e.signed.sig.ed25519 !== undefined && sigs.unchecked.every((u) => !u.startsWith("ed25519"));
  if (!r.input || `sha256:${oneShotHash("sha256", e.attachment, "hex")}` !== r.input.hash) problem("stored input does not match the record's input hash");
  else if (r.input.mode === "inline" && r.input.hash !== r.inputHash) problem("inline input hash differs from inputHash");
  return out;
}

const EMPTY = Buffer.alloc(32);
