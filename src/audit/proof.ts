// Self-contained proofs a third party checks with the public key alone: a record's inclusion under a
// signed tree head, and the consistency of two signed tree heads (the later log extends the earlier).
import type { Keyring } from "../keys/keyring.js";
import { bodyHash, leafHashOfLine, merkleLeafHash, parseEntry, splitEntry } from "./entry.js";
import { parseHead, verifyHead, type TreeHeadV1 } from "./heads.js";
import { MerkleTree, verifyConsistency, verifyInclusion } from "./merkle.js";
import type { AuditStorage } from "./storage.js";

export interface InclusionBundleV1 {
  v: 1;
  type: "inclusion";
  log: string;
  seq: number;
  /** The signed record's JCS, exactly as logged; its Merkle leaf is `{"record":sha256(body),"sig":…}`. */
  entry: string;
  leafHash: string;
  proof: string[];
  head: TreeHeadV1;
}

export interface ConsistencyBundleV1 {
  v: 1;
  type: "consistency";
  log: string;
  from: TreeHeadV1;
  to: TreeHeadV1;
  proof: string[];
}

export type ProofBundleV1 = InclusionBundleV1 | ConsistencyBundleV1;

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");

async function loadTree(storage: AuditStorage): Promise<{ log: string; tree: MerkleTree; leaves: Map<number, string>; heads: TreeHeadV1[] }> {
  const { log } = await storage.open(null);
  const tree = new MerkleTree();
  const leaves = new Map<number, string>();
  await storage.scanEntries((line, seq) => {
    const tab = line.indexOf("\t");
    tree.appendHash(leafHashOfLine(line));
    leaves.set(seq, tab >= 0 ? line.slice(0, tab) : line);
  });
  const heads: TreeHeadV1[] = [];
  for (const line of await storage.readHeads()) {
    const h = parseHead(line);
    if (typeof h !== "string") heads.push(h);
  }
  return { log, tree, leaves, heads };
}

/** An inclusion proof for record `seq` under the latest signed head that covers it and matches the log. */
export async function buildInclusionProof(storage: AuditStorage, seq: number): Promise<InclusionBundleV1> {
  const { log, tree, leaves, heads } = await loadTree(storage);
  if (!(Number.isSafeInteger(seq) && seq >= 0 && seq < tree.size)) throw new RangeError(`record ${seq} is not in the log (it has ${tree.size} records)`);
  const head = [...heads].reverse().find((h) => h.size > seq && h.size <= tree.size && tree.root(h.size).equals(Buffer.from(h.root, "base64")));
  if (!head) throw new RangeError(`no signed tree head covers record ${seq} yet (close the log or wait for the next head)`);
  return {
    v: 1,
    type: "inclusion",
    log,
    seq,
    entry: leaves.get(seq) as string,
    leafHash: b64(tree.leaf(seq)),
    proof: tree.inclusionProof(seq, head.size).map(b64),
    head,
  };
}

/** A consistency proof from the head of size `fromSize` to the latest head. */
export async function buildConsistencyProof(storage: AuditStorage, fromSize: number): Promise<ConsistencyBundleV1> {
  const { log, tree, heads } = await loadTree(storage);
  const from = heads.find((h) => h.size === fromSize);
  const to = heads[heads.length - 1];
  if (!from || !to) throw new RangeError(`no signed tree head of size ${fromSize} (heads: ${heads.map((h) => h.size).join(", ") || "none"})`);
  return { v: 1, type: "consistency", log, from, to, proof: to.size > from.size ? tree.consistencyProof(from.size, to.size).map(b64) : [] };
}

export interface BundleCheck {
  ok: boolean;
  errors: string[];
  /** For inclusion proofs: what the proven record says. */
  record?: { seq: number; verdict: unknown; tool: unknown; agent: unknown; time: unknown; inputHash: unknown };
}

function checkHead(h: unknown, keys: Keyring, what: string, errors: string[]): TreeHeadV1 | null {
  const line = JSON.stringify(h);
  const parsed = parseHead(typeof h === "object" && h !== null ? canonicalHeadText(h as TreeHeadV1) ?? line : line);
  if (typeof parsed === "string") {
    errors.push(`${what}: ${parsed}`);
    return null;
  }
  const ok = verifyHead(parsed, keys);
  if (ok !== true) errors.push(`${what}: signature ${ok === null ? `by unknown key \`${parsed.sig.kid}\`` : "does not match"}`);
  return ok === true ? parsed : null;
}

function canonicalHeadText(h: TreeHeadV1): string | null {
  try {
    return JSON.stringify({ log: h.log, root: h.root, sig: { kid: h.sig.kid, sig: h.sig.sig }, size: h.size, time: h.time, v: h.v });
  } catch {
    return null;
  }
}

/** Verifies a proof bundle with public keys only (a JWKS is enough). */
export function verifyProofBundle(bundle: unknown, keys: Keyring): BundleCheck {
  const errors: string[] = [];
  const b = bundle as { v?: unknown; type?: unknown; log?: unknown; seq?: unknown; entry?: unknown; leafHash?: unknown; proof?: unknown; head?: unknown; from?: unknown; to?: unknown };
  if (b === null || typeof b !== "object" || b.v !== 1) return { ok: false, errors: ["not a warden proof bundle (v 1)"] };
  const hashes = (list: unknown): Buffer[] | null => (Array.isArray(list) && list.every((x) => typeof x === "string") ? list.map((x: string) => Buffer.from(x, "base64")) : null);
  if (b.type === "inclusion") {
    const head = checkHead(b.head, keys, "tree head", errors);
    const proof = hashes(b.proof);
    if (!head || !proof || typeof b.entry !== "string" || typeof b.seq !== "number") return { ok: false, errors: errors.length ? errors : ["malformed inclusion bundle"] };
    if (head.log !== b.log) errors.push("tree head belongs to another log");
    const split = splitEntry(`${b.entry}\t{}`);
    if (typeof split === "string") return { ok: false, errors: [`entry: ${split}`] };
    const leafHash = merkleLeafHash(bodyHash(split.bodyText), split.sigText);
    if (b64(leafHash) !== b.leafHash) errors.push("leafHash is not the hash of entry");
    const r = verifyInclusion(b.seq, head.size, leafHash, proof, Buffer.from(head.root, "base64"));
    if (!r.ok) errors.push(`inclusion proof fails: ${r.error}`);
    const e = parseEntry(`${b.entry}\t{}`);
    let record: BundleCheck["record"];
    if (typeof e === "string") errors.push(`entry: ${e}`);
    else {
      const rec = e.signed.record;
      if (rec.seq !== b.seq || rec.log !== b.log) errors.push("entry's seq or log differs from the bundle's");
      record = { seq: rec.seq, verdict: rec.verdict, tool: rec.tool, agent: rec.agent, time: rec.time, inputHash: rec.inputHash };
    }
    return record ? { ok: errors.length === 0, errors, record } : { ok: errors.length === 0, errors };
  }
  if (b.type === "consistency") {
    const from = checkHead(b.from, keys, "first tree head", errors);
    const to = checkHead(b.to, keys, "second tree head", errors);
    const proof = hashes(b.proof);
    if (!from || !to || !proof) return { ok: false, errors: errors.length ? errors : ["malformed consistency bundle"] };
    if (from.log !== b.log || to.log !== b.log) errors.push("tree heads belong to another log");
    const r = verifyConsistency(from.size, to.size, Buffer.from(from.root, "base64"), Buffer.from(to.root, "base64"), proof);
    if (!r.ok) errors.push(`consistency proof fails: ${r.error}`);
    return { ok: errors.length === 0, errors };
  }
  return { ok: false, errors: [`unknown proof type \`${String(b.type)}\``] };
}
