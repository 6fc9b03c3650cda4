// What a writer checks before it seals and extends an existing log: the last signed tree head (log id, Ed25519
// signature with this keyring, root) and every record after it, with the verifier's own per-entry check.
import type { Keyring } from "../keys/keyring.js";
import { leafHashOfLine } from "./entry.js";
import { parseHead, verifyHead, type TreeHeadV1 } from "./heads.js";
import type { MerkleTree } from "./merkle.js";
import { AuditLogError, type AuditStorage } from "./storage.js";
import { checkEntryText, type EntryContext } from "./verify-entry.js";

export interface CheckedLog {
  /** Records in the log (all of them now leaves of `tree`). */
  size: number;
  /** The last signed tree head, verified; null when the log has none. */
  lastHead: TreeHeadV1 | null;
}

/**
 * Rebuilds `tree` from the log and checks it is safe to sign a head over it. A writer's new head vouches for every
 * record it covers, so records no verified head covers yet (a crashed writer's tail, or anything appended or
 * rewritten by someone without the keys) must verify first. Records under the last head are trusted through its
 * root: a healthy log costs one head signature and the unsealed tail, not a full verification. Throws
 * AuditLogError naming the first problem.
 */
export async function checkForWriting(storage: AuditStorage, log: string, keys: Keyring, tree: MerkleTree): Promise<CheckedLog> {
  const where = storage.describe;
  const advice = `run \`warden audit verify\` on it with this keyring to see every problem; a writer does not sign over records it cannot vouch for`;
  const heads = await storage.readHeads();
  const lastHead = heads.length > 0 ? lastValidHead(heads[heads.length - 1] as string, heads.length - 1, log, keys, where, advice) : null;
  const sealed = lastHead?.size ?? 0;
  const ctx: EntryContext = { log, keys, hmacRequired: true, deep: false };
  let firstBad: { seq: number; reason: string } | null = null;
  const size = await storage.scanEntries((line, seq) => {
    if (seq < sealed) {
      if (line.indexOf("\t") < 0) throw new AuditLogError(`entry ${seq} in ${where} is malformed; ${advice}`);
      tree.appendHash(leafHashOfLine(line));
      return;
    }
    const c = checkEntryText(line, seq, ctx);
    tree.appendHash(c.leaf);
    if (firstBad === null && c.problems.length > 0) firstBad = { seq, reason: c.problems.join("; ") };
  });
  if (lastHead) {
    if (lastHead.size > size) {
      throw new AuditLogError(`${where} does not match its last signed tree head (size ${lastHead.size}): it holds only ${size} complete records (records missing from the end); ${advice}`);
    }
    if (!tree.root(lastHead.size).equals(Buffer.from(lastHead.root, "base64"))) {
      throw new AuditLogError(`${where} does not match its last signed tree head (size ${lastHead.size}): records 0..${lastHead.size - 1} were changed; ${advice}`);
    }
  }
  const bad = firstBad as { seq: number; reason: string } | null;
  if (bad !== null) {
    // A key id the keyring lacks is most often the wrong --key, not damage: say so first.
    const fix = bad.reason.startsWith("signed with unknown key") ? `pass the keyring this log is written with, or ${advice}` : advice;
    throw new AuditLogError(`record ${bad.seq} of ${where} is not covered by a signed tree head and does not verify (${bad.reason}); ${fix}`);
  }
  return { size, lastHead };
}

/** The last head line, parsed and verified, or an AuditLogError saying what is wrong with it. */
function lastValidHead(line: string, index: number, log: string, keys: Keyring, where: string, advice: string): TreeHeadV1 {
  const what = `the last signed tree head of ${where} (line ${index + 1} of its heads)`;
  const h = parseHead(line);
  if (typeof h === "string") throw new AuditLogError(`${what} is damaged: ${h}; ${advice}`);
  if (h.log !== log) throw new AuditLogError(`${what} belongs to log \`${h.log}\`, not \`${log}\`; ${advice}`);
  const ok = verifyHead(h, keys);
  if (ok === null) {
    throw new AuditLogError(
      `${what} is signed with key \`${h.sig.kid}\`, which the keyring given does not hold: pass the keyring this log is written with (\`warden keys rotate\` keeps old keys in it), or write to a new log`,
    );
  }
  if (!ok) throw new AuditLogError(`${what} has a signature (key \`${h.sig.kid}\`) that does not verify: it was forged or damaged; ${advice}`);
  return h;
}
