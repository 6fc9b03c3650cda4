// One log entry: `<signed record JCS>\t<stored input JCS>\n`. The part before the tab is the Merkle leaf
// (JCS escapes tabs inside strings, so the first raw tab is the separator).
import type { SignedRecordV1 } from "../record/record.js";

export const MANIFEST_FORMAT = "warden-audit-v1";

export function encodeEntry(leaf: string, attachment: string): string {
  return `${leaf}\t${attachment}\n`;
}

export interface ParsedEntry {
  leaf: string;
  attachment: string;
  signed: SignedRecordV1;
  /** The JCS bytes of the record body, as stored (what the record hash covers). */
  bodyText: string;
}

/** Splits and parses one entry line (without its newline); an error string when malformed. */
export function parseEntry(line: string): ParsedEntry | string {
  const tab = line.indexOf("\t");
  if (tab < 0 || line.indexOf("\t", tab + 1) >= 0) return "entry is not `<record>\\t<input>`";
  const leaf = line.slice(0, tab);
  const attachment = line.slice(tab + 1);
  if (!leaf.startsWith('{"record":{') || !leaf.endsWith("}}")) return "entry does not start with a signed record";
  const sigAt = leaf.lastIndexOf(',"sig":{');
  if (sigAt < 0) return "entry has no signatures";
  let signed: SignedRecordV1;
  try {
    signed = JSON.parse(leaf) as SignedRecordV1;
    JSON.parse(attachment);
  } catch {
    return "entry is not valid JSON";
  }
  if (signed === null || typeof signed !== "object" || Object.keys(signed).length !== 2 || typeof signed.record !== "object" || signed.record === null || typeof signed.sig !== "object" || signed.sig === null) {
    return "entry is not `{record, sig}`";
  }
  return { leaf, attachment, signed, bodyText: leaf.slice(10, sigAt) };
}
