// Signed tree heads (STH): the log id, size, Merkle root and time, signed with Ed25519.
import { canonicalize } from "../canonical/jcs.js";
import type { Keyring } from "../keys/keyring.js";

/** TreeHeadV1 (contract): one line of `heads.jsonl`. `root` is base64 (standard, padded). */
export interface TreeHeadV1 {
  v: 1;
  log: string;
  size: number;
  root: string;
  time: string;
  sig: { kid: string; sig: string };
}

/** The bytes an STH signature covers. */
export function headSigningMessage(h: Omit<TreeHeadV1, "sig">): Buffer {
  return Buffer.from(`warden.sth.v1\n${canonicalize({ log: h.log, root: h.root, size: h.size, time: h.time, v: h.v })}`, "utf8");
}

export function signHead(log: string, size: number, root: Uint8Array, time: string, keys: Keyring): TreeHeadV1 {
  const body = { v: 1 as const, log, size, root: Buffer.from(root).toString("base64"), time };
  return { ...body, sig: keys.edSign(headSigningMessage(body)) };
}

export function encodeHead(h: TreeHeadV1): string {
  return canonicalize(h);
}

/** Parses a head line strictly (exact fields, canonical bytes); an error string when it is not one. */
export function parseHead(line: string): TreeHeadV1 | string {
  let h: TreeHeadV1;
  try {
    h = JSON.parse(line) as TreeHeadV1;
  } catch {
    return "tree head is not JSON";
  }
  if (h === null || typeof h !== "object" || Array.isArray(h)) return "tree head is not an object";
  const keys = Object.keys(h).sort().join(",");
  if (keys !== "log,root,sig,size,time,v") return `tree head has fields \`${keys}\``;
  if (h.v !== 1 || typeof h.log !== "string" || typeof h.root !== "string" || typeof h.time !== "string") return "tree head fields have wrong types";
  if (!Number.isSafeInteger(h.size) || h.size < 0) return "tree head size is not a non-negative integer";
  const s = h.sig as unknown as Record<string, unknown> | null;
  if (!s || typeof s !== "object" || Object.keys(s).sort().join(",") !== "kid,sig" || typeof s["kid"] !== "string" || typeof s["sig"] !== "string") return "tree head signature is malformed";
  let canonical: string;
  try {
    canonical = canonicalize(h);
  } catch (e) {
    return `tree head is not canonical: ${(e as Error).message}`;
  }
  if (canonical !== line) return "tree head bytes are not canonical JSON";
  return h;
}

/** true/false, or null when no key for its kid is loaded. */
export function verifyHead(h: TreeHeadV1, keys: Keyring | null): boolean | null {
  if (!keys) return null;
  return keys.edVerify(h.sig.kid, headSigningMessage(h), h.sig.sig);
}
