// RFC 6962 Merkle tree: all 196 transparency-dev inclusion/consistency vectors, plus generated proofs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { EMPTY_ROOT, MerkleTree, leafHash, nodeHash, verifyConsistency, verifyInclusion } from "../src/audit/merkle.js";

const DIR = fileURLToPath(new URL("../../shared/corpora/vectors/merkle/testdata/", import.meta.url));
const present = existsSync(DIR);
const skip = present ? false : `Merkle vectors not found at ${DIR} (the shared corpora folder is absent)`;
if (!present) console.log(`# SKIP merkle vectors: ${String(skip)}`);

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (name.endsWith(".json")) out.push(p);
  }
  return out;
}
const b64 = (s: string): Buffer => Buffer.from(s, "base64");

interface InclusionVector { leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; desc: string; wantErr: boolean }
interface ConsistencyVector { size1: number; size2: number; root1: string; root2: string; proof: string[] | null; desc: string; wantErr: boolean }

test("all 98 inclusion vectors", { skip }, () => {
  const list = files(join(DIR, "inclusion"));
  assert.equal(list.length, 98);
  let ok = 0;
  for (const f of list) {
    const v = JSON.parse(readFileSync(f, "utf8")) as InclusionVector;
    const r = verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), (v.proof ?? []).map(b64), b64(v.root));
    assert.equal(r.ok, !v.wantErr, `${f}: ${v.desc} -> ${JSON.stringify(r)}`);
    ok++;
  }
  assert.equal(ok, 98);
});

test("all 98 consistency vectors", { skip }, () => {
  const list = files(join(DIR, "consistency"));
  assert.equal(list.length, 98);
  for (const f of list) {
    const v = JSON.parse(readFileSync(f, "utf8")) as ConsistencyVector;
    const r = verifyConsistency(v.size1, v.size2, b64(v.root1), b64(v.root2), v.proof === null ? null : v.proof.map(b64));
    assert.equal(r.ok, !v.wantErr, `${f}: ${v.desc} -> ${JSON.stringify(r)}`);
  }
});

// The RFC 6962 reference leaves the vectors are built from.
const LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map((h) => Buffer.from(h, "hex"));

test("generated proofs equal the vectors' happy paths byte for byte", { skip }, () => {
  const tree = new MerkleTree();
  for (const l of LEAVES) tree.append(l);
  let compared = 0;
  for (const f of files(join(DIR, "inclusion"))) {
    const v = JSON.parse(readFileSync(f, "utf8")) as InclusionVector;
    if (v.desc !== "happy path" || v.treeSize > LEAVES.length) continue;
    assert.deepEqual(tree.inclusionProof(v.leafIdx, v.treeSize).map((b) => b.toString("base64")), v.proof ?? [], f);
    assert.equal(tree.root(v.treeSize).toString("base64"), v.root);
    assert.equal(tree.leaf(v.leafIdx).toString("base64"), v.leafHash);
    compared++;
  }
  for (const f of files(join(DIR, "consistency"))) {
    const v = JSON.parse(readFileSync(f, "utf8")) as ConsistencyVector;
    if (v.desc !== "happy path" || v.size2 > LEAVES.length) continue;
    assert.deepEqual(tree.consistencyProof(v.size1, v.size2).map((b) => b.toString("base64")), v.proof ?? [], f);
    compared++;
  }
  assert.ok(compared >= 8, `compared ${compared}`);
});

function naiveRoot(hashes: Buffer[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT;
  if (hashes.length === 1) return hashes[0] as Buffer;
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return nodeHash(naiveRoot(hashes.slice(0, k)), naiveRoot(hashes.slice(k)));
}

test("property: roots match the recursive definition; every generated proof verifies; tampering fails", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), fc.nat(), (n, a, b) => {
      const tree = new MerkleTree();
      const hashes: Buffer[] = [];
      for (let i = 0; i < n; i++) {
        const h = leafHash(Buffer.from(`leaf ${i}`));
        hashes.push(h);
        tree.appendHash(h);
      }
      const size = 1 + (a % n);
      const root = tree.root(size);
      assert.ok(root.equals(naiveRoot(hashes.slice(0, size))));
      const idx = b % size;
      const proof = tree.inclusionProof(idx, size);
      assert.ok(verifyInclusion(idx, size, hashes[idx] as Buffer, proof, root).ok);
      assert.ok(!verifyInclusion(idx, size, leafHash(Buffer.from("other")), proof, root).ok);
      const size1 = 1 + (b % size);
      const cp = tree.consistencyProof(size1, size);
      assert.ok(verifyConsistency(size1, size, tree.root(size1), root, cp).ok);
      if (cp.length > 0) {
        const bad = cp.map((h) => Buffer.from(h));
        const first = bad[0] as Buffer;
        first[0] = (first[0] as number) ^ 1;
        assert.ok(!verifyConsistency(size1, size, tree.root(size1), root, bad).ok);
      }
    }),
    { numRuns: 300 },
  );
});

test("bad arguments are errors, not crashes", () => {
  const tree = new MerkleTree();
  assert.ok(tree.root().equals(EMPTY_ROOT));
  assert.throws(() => tree.inclusionProof(0), RangeError);
  tree.append(Buffer.from("x"));
  assert.throws(() => tree.consistencyProof(0, 1), RangeError);
  assert.throws(() => tree.appendHash(Buffer.alloc(31)), /32 bytes/);
  assert.equal(verifyInclusion(-1, 1, Buffer.alloc(32), [], Buffer.alloc(32)).ok, false);
  assert.equal(verifyInclusion(0, 2 ** 60, Buffer.alloc(32), [], Buffer.alloc(32)).ok, false);
});
