// RFC 6962 / RFC 9162 Merkle tree: leaf and node hashing, an append-only tree with O(log n) roots and
// proofs, and inclusion / consistency proof verification. Pure: hashing only, no I/O.
import { sha256Bytes, sha256Into } from "./sha256.js";

export const HASH_SIZE = 32;

/** SHA-256(0x00 || leaf): the hash of one log entry. */
export function leafHash(leaf: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(leaf.length + 1);
  buf[0] = 0;
  buf.set(leaf, 1);
  return sha256Bytes(buf);
}

/** SHA-256(0x01 || left || right): an interior node. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(1 + left.length + right.length);
  buf[0] = 1;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return sha256Bytes(buf);
}

/** The root of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = sha256Bytes(Buffer.alloc(0));

/** Scratch input of an interior node hash on the append path (0x01 || left || right); hashing is synchronous. */
const NODE_INPUT = new Uint8Array(1 + 2 * 32);
NODE_INPUT[0] = 1;

/** Largest power of two strictly less than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * An append-only Merkle tree over leaf hashes. Keeps every complete aligned subtree hash (level k holds
 * hashes of 2^k leaves) in flat byte arrays, so roots and proofs for any size cost O(log n) hashes.
 */
export class MerkleTree {
  /** levels[k] holds `counts[k]` hashes of 32 bytes each. */
  private levels: Uint8Array[] = [];
  private counts: number[] = [];

  get size(): number {
    return this.counts[0] ?? 0;
  }

  /** Appends a leaf by its leaf hash (see leafHash) and returns its index. */
  appendHash(hash: Uint8Array): number {
    if (hash.length !== HASH_SIZE) throw new Error(`leaf hash must be ${HASH_SIZE} bytes, got ${hash.length}`);
    const index = this.size;
    this.slot(0).set(hash);
    for (let level = 0; ; level++) {
      const count = this.counts[level] as number;
      if (count % 2 === 1) break;
      // The pair's parent goes straight into the next level: no intermediate Buffer per node.
      NODE_INPUT.set((this.levels[level] as Uint8Array).subarray((count - 2) * HASH_SIZE, count * HASH_SIZE), 1);
      sha256Into(NODE_INPUT, this.slot(level + 1));
    }
    return index;
  }

  /** Appends raw leaf data. */
  append(leaf: Uint8Array): number {
    return this.appendHash(leafHash(leaf));
  }

  /** The leaf hash at `index`. */
  leaf(index: number): Buffer {
    if (!(index >= 0 && index < this.size)) throw new RangeError(`leaf ${index} is outside a tree of ${this.size}`);
    return Buffer.from(this.at(0, index));
  }

  /** MTH of the first `size` leaves (default: all). */
  root(size: number = this.size): Buffer {
    this.checkSize(size);
    return size === 0 ? Buffer.from(EMPTY_ROOT) : Buffer.from(this.range(0, size));
  }

  /** RFC 9162 §2.1.3.1 PATH(index, D[0:size]). */
  inclusionProof(index: number, size: number = this.size): Buffer[] {
    this.checkSize(size);
    if (!(Number.isInteger(index) && index >= 0 && index < size)) throw new RangeError(`leaf ${index} is outside a tree of ${size}`);
    const proof: Buffer[] = [];
    this.path(index, 0, size, proof);
    return proof;
  }

  /** RFC 9162 §2.1.4.1 PROOF(size1, D[0:size2]); empty when size1 == size2. */
  consistencyProof(size1: number, size2: number = this.size): Buffer[] {
    this.checkSize(size2);
    if (!(Number.isInteger(size1) && size1 > 0 && size1 <= size2)) throw new RangeError(`no consistency proof from size ${size1} to ${size2}`);
    const proof: Buffer[] = [];
    if (size1 < size2) this.subproof(size1, 0, size2, true, proof);
    return proof;
  }

  private checkSize(size: number): void {
    if (!(Number.isInteger(size) && size >= 0 && size <= this.size)) throw new RangeError(`tree size ${size} is outside 0..${this.size}`);
  }

  /** Makes room for one more hash at `level`, counts it, and returns its 32 bytes to fill. */
  private slot(level: number): Uint8Array {
    let buf = this.levels[level];
    const count = this.counts[level] ?? 0;
    if (buf === undefined || (count + 1) * HASH_SIZE > buf.length) {
      const grown = new Uint8Array(Math.max(1024, (buf?.length ?? 0) * 2));
      if (buf) grown.set(buf);
      buf = grown;
      this.levels[level] = buf;
    }
    this.counts[level] = count + 1;
    return buf.subarray(count * HASH_SIZE, (count + 1) * HASH_SIZE);
  }

  private at(level: number, i: number): Uint8Array {
    const buf = this.levels[level] as Uint8Array;
    return buf.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }

  /** MTH(D[start:end]); every left subtree in the recursion is aligned and complete, so it is stored. */
  private range(start: number, end: number): Uint8Array {
    const n = end - start;
    if ((n & (n - 1)) === 0 && n <= 2 ** 30 && start % n === 0) {
      const level = Math.log2(n);
      if (start / n < (this.counts[level] ?? 0)) return this.at(level, start / n);
    }
    const k = splitPoint(n);
    return nodeHash(this.range(start, start + k), this.range(start + k, end));
  }

  private path(m: number, start: number, end: number, out: Buffer[]): void {
    const n = end - start;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      this.path(m, start, start + k, out);
      out.push(Buffer.from(this.range(start + k, end)));
    } else {
      this.path(m - k, start + k, end, out);
      out.push(Buffer.from(this.range(start, start + k)));
    }
  }

  private subproof(m: number, start: number, end: number, complete: boolean, out: Buffer[]): void {
    const n = end - start;
    if (m === n) {
      if (!complete) out.push(Buffer.from(this.range(start, end)));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      this.subproof(m, start, start + k, complete, out);
      out.push(Buffer.from(this.range(start + k, end)));
    } else {
      this.subproof(m - k, start + k, end, false, out);
      out.push(Buffer.from(this.range(start, start + k)));
    }
  }
}

/** Why a proof failed; `ok: true` when it holds. */
export type ProofResult = { ok: true } | { ok: false; error: string };

const fail = (error: string): ProofResult => ({ ok: false, error });

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function onesCount(x: bigint): number {
  let c = 0;
  for (const ch of x.toString(2)) if (ch === "1") c++;
  return c;
}

function trailingZeros(x: bigint): number {
  let n = 0;
  while (x > 0n && (x & 1n) === 0n) {
    x >>= 1n;
    n++;
  }
  return n;
}

/** Splits an inclusion proof into its inner part (below the split) and border part. */
function decompose(index: bigint, size: bigint): { inner: number; border: number } {
  const inner = bitLength(index ^ (size - 1n));
  return { inner, border: onesCount(index >> BigInt(inner)) };
}

function checkHashes(proof: readonly Uint8Array[]): string | null {
  for (let i = 0; i < proof.length; i++) {
    const len = (proof[i] as Uint8Array).length;
    if (len !== HASH_SIZE) return `proof hash ${i} is ${len} bytes, not ${HASH_SIZE}`;
  }
  return null;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function safeSize(n: number | bigint, what: string): bigint | string {
  if (typeof n === "bigint") return n >= 0n ? n : `${what} is negative`;
  return Number.isSafeInteger(n) && n >= 0 ? BigInt(n) : `${what} \`${n}\` is not a non-negative integer`;
}

/** Recomputes the root from an inclusion proof (RFC 9162 §2.1.3.2); an error string when it cannot. */
export function rootFromInclusionProof(index: number | bigint, size: number | bigint, leaf: Uint8Array, proof: readonly Uint8Array[]): Buffer | string {
  const i = safeSize(index, "leaf index");
  const n = safeSize(size, "tree size");
  if (typeof i === "string") return i;
  if (typeof n === "string") return n;
  if (i >= n) return `leaf index ${i} is not below tree size ${n}`;
  if (leaf.length !== HASH_SIZE) return `leaf hash is ${leaf.length} bytes, not ${HASH_SIZE}`;
  const bad = checkHashes(proof);
  if (bad) return bad;
  const { inner, border } = decompose(i, n);
  if (proof.length !== inner + border) return `proof has ${proof.length} hashes, expected ${inner + border}`;
  let h: Uint8Array = leaf;
  for (let k = 0; k < inner; k++) {
    const p = proof[k] as Uint8Array;
    h = ((i >> BigInt(k)) & 1n) === 0n ? nodeHash(h, p) : nodeHash(p, h);
  }
  for (let k = inner; k < proof.length; k++) h = nodeHash(proof[k] as Uint8Array, h);
  return Buffer.from(h);
}

/** Verifies that `leaf` (a leaf hash) is entry `index` of the tree of `size` with `root`. */
export function verifyInclusion(index: number | bigint, size: number | bigint, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): ProofResult {
  const got = rootFromInclusionProof(index, size, leaf, proof);
  if (typeof got === "string") return fail(got);
  return equalBytes(got, root) ? { ok: true } : fail("recomputed root does not match");
}

/** Verifies that the tree (size1, root1) is a prefix of (size2, root2) (RFC 9162 §2.1.4.2). */
export function verifyConsistency(size1: number | bigint, size2: number | bigint, root1: Uint8Array, root2: Uint8Array, proof: readonly Uint8Array[] | null): ProofResult {
  const m = safeSize(size1, "size1");
  const n = safeSize(size2, "size2");
  if (typeof m === "string") return fail(m);
  if (typeof n === "string") return fail(n);
  const path = proof ?? [];
  if (n < m) return fail(`size2 ${n} is smaller than size1 ${m}`);
  if (m === 0n) return fail("size1 is 0: the empty tree is consistent with everything, so the proof proves nothing");
  if (m === n) {
    if (path.length > 0) return fail("sizes are equal but the proof is not empty");
    return equalBytes(root1, root2) ? { ok: true } : fail("sizes are equal but the roots differ");
  }
  if (path.length === 0) return fail("empty consistency proof");
  const bad = checkHashes(path);
  if (bad) return fail(bad);
  const { inner: fullInner, border } = decompose(m - 1n, n);
  const shift = trailingZeros(m);
  const inner = fullInner - shift;
  // The proof starts with the hash of the 2^shift subtree, unless size1 is exactly that subtree.
  let seed: Uint8Array;
  let start: number;
  if (m === 1n << BigInt(shift)) {
    seed = root1;
    start = 0;
  } else {
    seed = path[0] as Uint8Array;
    start = 1;
  }
  if (seed.length !== HASH_SIZE) return fail(`root1 is ${seed.length} bytes, not ${HASH_SIZE}`);
  if (path.length !== start + inner + border) return fail(`proof has ${path.length} hashes, expected ${start + inner + border}`);
  const rest = path.slice(start);
  const mask = (m - 1n) >> BigInt(shift);
  let h1: Uint8Array = seed;
  let h2: Uint8Array = seed;
  for (let k = 0; k < inner; k++) {
    const p = rest[k] as Uint8Array;
    if (((mask >> BigInt(k)) & 1n) === 1n) {
      h1 = nodeHash(p, h1);
      h2 = nodeHash(p, h2);
    } else {
      h2 = nodeHash(h2, p);
    }
  }
  for (let k = inner; k < rest.length; k++) {
    const p = rest[k] as Uint8Array;
    h1 = nodeHash(p, h1);
    h2 = nodeHash(p, h2);
  }
  if (!equalBytes(h1, root1)) return fail("recomputed root1 does not match");
  if (!equalBytes(h2, root2)) return fail("recomputed root2 does not match");
  return { ok: true };
}
