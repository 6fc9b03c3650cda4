// SHA-256 digests as bytes, fast: node:crypto's one-shot hash() with "buffer" output costs ~1.8 µs per
// call on Node 20 (a fresh ArrayBuffer each time), with "latin1" output ~0.5 µs, so we take the latin1
// string (one char per byte) and copy it out. Used on the audit hot path (Merkle leaves and nodes).
import { hash as oneShotHash } from "node:crypto";

/** Writes SHA-256(data) into `out` at `offset` (32 bytes). */
export function sha256Into(data: string | Uint8Array, out: Uint8Array, offset = 0): void {
  // @types/node lists only the binary-to-text encodings here; Node accepts any string encoding.
  const s = oneShotHash("sha256", data, "latin1" as BufferEncoding as "hex");
  for (let i = 0; i < 32; i++) out[offset + i] = s.charCodeAt(i);
}

/** SHA-256(data) as a new Buffer. */
export function sha256Bytes(data: string | Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(32);
  sha256Into(data, out);
  return out;
}
