// One log entry: `<signed record JCS>\t<stored input JCS>\n` (JCS escapes tabs inside strings, so the first
// raw tab is the separator), and the Merkle leaf derived from it.
import { hash as oneShotHash } from "node:crypto";
import type { SignedRecordV1 } from "../record/record.js";
import { sha256Bytes } from "./sha256.js";

export const MANIFEST_FORMAT = "warden-audit-v1";

export function encodeEntry(signed: string, attachment: string): string {
  return `${signed}\t${attachment}\n`;
}

/**
 * The Merkle leaf of an entry: the JCS of `{"record": <recordHash>, "sig": <signatures>}`. It commits to the
 * record through its SHA-256 (so the ~1 KB body is hashed once, not twice) and to the signatures directly.
 */
export function merkleLeaf(recordHash: string, sigText: string): string {
  return `{"record":"${recordHash}","sig":${sigText}}`;
}

export function merkleLeafHash(recordHash: string, sigText: string): Buffer {
  return sha256Bytes(`\0{"record":"${recordHash}","sig":${sigText}}`);
}

export function bodyHash(body: string | Uint8Array): string {
  return `sha256:${oneShotHash("sha256", body, "hex")}`;
}

export interface SplitEntry {
  /** `{"record":…,"sig":…}` as stored. */
  signedText: string;
  bodyText: string;
  sigText: string;
  attachment: string;
}

/** Splits a line into its parts without parsing JSON; an error string when it has not the entry shape. */
export function splitEntry(line: string): SplitEntry | string {
  const tab = line.indexOf("\t");
  if (tab < 0 || line.indexOf("\t", tab + 1) >= 0) return "entry is not `<record>\\t<input>`";
  const signedText = line.slice(0, tab);
  if (!signedText.startsWith('{"record":{') || !signedText.endsWith("}}")) return "entry does not start with a signed record";
  const sigAt = signedText.lastIndexOf(',"sig":{');
  if (sigAt < 0) return "entry has no signatures";
  return { signedText, bodyText: signedText.slice(10, sigAt), sigText: signedText.slice(sigAt + 7, -1), attachment: line.slice(tab + 1) };
}

const TAB = 0x09;
const RECORD_PREFIX = Buffer.from('{"record":{', "latin1");
const SIG_MARK = Buffer.from(',"sig":{', "latin1");
const CLOSE = 0x7d;

/** An entry line's parts as views of its UTF-8 bytes (what verification hashes and reads, no string made). */
export interface SplitEntryBytes {
  signed: Buffer;
  body: Buffer;
  sigText: string;
  attachment: Buffer;
}

/** splitEntry() on the line's bytes: the same shape checks and error messages. */
export function splitEntryBytes(line: Buffer): SplitEntryBytes | string {
  const tab = line.indexOf(TAB);
  if (tab < 0 || line.indexOf(TAB, tab + 1) >= 0) return "entry is not `<record>\\t<input>`";
  const signed = line.subarray(0, tab);
  if (signed.length < RECORD_PREFIX.length + 2 || signed.compare(RECORD_PREFIX, 0, RECORD_PREFIX.length, 0, RECORD_PREFIX.length) !== 0 || signed[tab - 1] !== CLOSE || signed[tab - 2] !== CLOSE) {
    return "entry does not start with a signed record";
  }
  const sigAt = signed.lastIndexOf(SIG_MARK);
  if (sigAt < 0) return "entry has no signatures";
  return { signed, body: signed.subarray(10, sigAt), sigText: signed.toString("utf8", sigAt + 7, tab - 1), attachment: line.subarray(tab + 1) };
}

/** The Merkle leaf hash of a stored line; a malformed line hashes as itself (it can only mismatch). */
export function leafHashOfLine(line: string): Buffer {
  const e = splitEntry(line);
  if (typeof e === "string") return sha256Bytes(`\0${line}`);
  return merkleLeafHash(bodyHash(e.bodyText), e.sigText);
}

export interface ParsedEntry extends SplitEntry {
  signed: SignedRecordV1;
}

/** Parses the `{"record":…,"sig":…}` half of an entry; an error string when it is not that shape. */
export function parseSigned(signedText: string): SignedRecordV1 | string {
  let signed: SignedRecordV1;
  try {
    signed = JSON.parse(signedText) as SignedRecordV1;
  } catch {
    return "entry is not valid JSON";
  }
  if (signed === null || typeof signed !== "object" || Object.keys(signed).length !== 2 || typeof signed.record !== "object" || signed.record === null || typeof signed.sig !== "object" || signed.sig === null) {
    return "entry is not `{record, sig}`";
  }
  return signed;
}

/** leafHashOfLine() on the line's bytes (the same hash for a line that is valid UTF-8). */
export function leafHashOfBytes(line: Buffer): Buffer {
  const e = splitEntryBytes(line);
  if (typeof e === "string") return sha256Bytes(Buffer.concat([ZERO, line]));
  return merkleLeafHash(bodyHash(e.body), e.sigText);
}

const ZERO = Buffer.alloc(1);

/** Splits and parses one entry line (without its newline); an error string when malformed. */
export function parseEntry(line: string): ParsedEntry | string {
  const split = splitEntry(line);
  if (typeof split === "string") return split;
  // The attachment is checked by hash against the record (input.hash), so it is not parsed here.
  const signed = parseSigned(split.signedText);
  if (typeof signed === "string") return signed;
  return { ...split, signed };
}
