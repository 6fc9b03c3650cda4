// Verifies a whole audit log: every entry's form, position, signatures and stored input; the Merkle tree
// against every signed tree head; and that nothing after the last head is left unsealed. Names the first
// bad record.
import { availableParallelism } from "node:os";
import type { Keyring } from "../keys/keyring.js";
import { FileStorage } from "./file-storage.js";
import { parseHead, verifyHead, type TreeHeadV1 } from "./heads.js";
import { MerkleTree } from "./merkle.js";
import type { AuditStorage } from "./storage.js";
import { checkEntry, checkEntryText, type EntryContext } from "./verify-entry.js";
import { ParallelVerifier } from "./verify-parallel.js";

const NONE: readonly string[] = [];

/**
 * Below this much log data, worker threads cost more than they save. Measured on 2 cores (docs/performance.md):
 * a 70 MB log verified in 0.57 s inline and 0.71 s on 2 threads, a 280 MB one in 2.43 s and 1.98 s. Each worker
 * warms up its own JIT, and its isolate's background GC and compiler work no longer has an idle core to run on.
 */
export const PARALLEL_MIN_BYTES = 128 << 20;

/** Threads to verify with (this one included): `requested`, else one per core for a large file log, else 1 (inline). */
function parallelThreads(storage: AuditStorage, requested: number | undefined): number {
  if (requested !== undefined) return Math.max(1, Math.floor(requested));
  if (!(storage instanceof FileStorage) || availableParallelism() < 2) return 1;
  return storage.segmentBytes() >= PARALLEL_MIN_BYTES ? Math.min(availableParallelism(), 8) : 1;
}

export interface VerifyOptions {
  /** A keyring (checks HMAC and Ed25519) or a JWKS (Ed25519 only); null checks structure alone. */
  keys: Keyring | null;
  /** Records after the last signed head are a warning instead of an error (a log being written). */
  allowUnsealed?: boolean;
  /** Stop collecting errors after this many (default 100); the first bad record is always exact. */
  maxErrors?: number;
  /**
   * Tree heads saved earlier outside the log (an auditor's copy): the log must still contain and extend
   * each of them. This is what catches a log truncated together with its heads file.
   */
  expectHeads?: TreeHeadV1[];
  /**
   * Threads for the per-record checks of a file log, this one included (default: one per core when the log
   * holds more than 128 MiB, else 1). 1 checks inline; N adds N − 1 worker threads. Results are the same either way.
   */
  threads?: number;
  /**
   * Re-derive every record's bytes from the record schema (canonical JSON, no extra, missing or mistyped
   * fields), also for records whose checked signature already vouches for them. Records no signature vouches
   * for (no key given, or a key that is not available) always get this check.
   */
  deep?: boolean;
  /** Bytes per chunk handed to a worker (default 4 MiB); tests use small ones to cross chunk ends. */
  chunkBytes?: number;
}

export interface VerifyProblem {
  /** The record the problem is in (or the first record a failed head could blame). */
  seq: number | null;
  /** The tree head line (0-based) the problem is in, if any. */
  head: number | null;
  /** For a tree head that does not match: the blamed records are seq..until-1. */
  until?: number;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  storage: string;
  log: string | null;
  records: number;
  heads: number;
  /** Size covered by the last valid signed head. */
  sealed: number;
  /** Merkle root of all records, base64. */
  root: string;
  checked: { hmac: number; ed25519: number; heads: number };
  unchecked: number;
  firstBad: VerifyProblem | null;
  errors: VerifyProblem[];
  warnings: string[];
}

/** Verifies the log behind `storage` (opened read-only by the caller's choice of storage options). */
export async function verifyLog(storage: AuditStorage & { problems?: string[] }, options: VerifyOptions): Promise<VerifyReport> {
  const keys = options.keys;
  const maxErrors = options.maxErrors ?? 100;
  const report: VerifyReport = {
    ok: false,
    storage: storage.describe,
    log: null,
    records: 0,
    heads: 0,
    sealed: 0,
    root: "",
    checked: { hmac: 0, ed25519: 0, heads: 0 },
    unchecked: 0,
    firstBad: null,
    errors: [],
    warnings: [],
  };
  const problems: VerifyProblem[] = [];
  const add = (p: VerifyProblem): void => {
    problems.push(p);
  };
  let log: string;
  try {
    log = (await storage.open(null)).log;
  } catch (e) {
    add({ seq: null, head: null, reason: (e as Error).message });
    return finish(report, problems, maxErrors);
  }
  report.log = log;
  const tree = new MerkleTree();
  const ctx: EntryContext = { log, keys, hmacRequired: keys !== null && keys.canSign, deep: options.deep === true };
  const take = (seq: number, leaf: Uint8Array, entryProblems: readonly string[], hmac: boolean, ed25519: boolean, unchecked: number): void => {
    tree.appendHash(leaf);
    for (const reason of entryProblems) add({ seq, head: null, reason });
    if (hmac) report.checked.hmac++;
    if (ed25519) report.checked.ed25519++;
    report.unchecked += unchecked;
  };
  const threads = parallelThreads(storage, options.threads);
  if (threads > 1 && storage instanceof FileStorage) {
    const pool = new ParallelVerifier(ctx, threads, options.chunkBytes);
    try {
      await storage.forEachSegment((path, seq) =>
        pool.segment(path, seq, (first, r) => {
          const byEntry = new Map<number, string[]>();
          for (const [at, reason] of r.problems) (byEntry.get(at) ?? byEntry.set(at, []).get(at))?.push(reason);
          for (let i = 0; i < r.count; i++) take(first + i, r.leaves.subarray(i * 32, i * 32 + 32), byEntry.get(first + i) ?? NONE, false, false, 0);
          report.checked.hmac += r.hmac;
          report.checked.ed25519 += r.ed25519;
          report.unchecked += r.unchecked;
        }),
      );
    } finally {
      await pool.close();
    }
  } else if (storage instanceof FileStorage) {
    await storage.scanEntryBytes((line, seq) => {
      const c = checkEntry(line, seq, ctx);
      take(seq, c.leaf, c.problems, c.hmac, c.ed25519, c.unchecked);
    });
  } else {
    await storage.scanEntries((line, seq) => {
      const c = checkEntryText(line, seq, ctx);
      take(seq, c.leaf, c.problems, c.hmac, c.ed25519, c.unchecked);
    });
  }
  for (const p of storage.problems ?? []) add({ seq: tree.size, head: null, reason: p });
  report.records = tree.size;
  report.root = tree.root().toString("base64");

  const heads = await storage.readHeads();
  report.heads = heads.length;
  let prevSize = 0;
  let prevTime = "";
  let prevHead = -1;
  const before = problems.length;
  for (let i = 0; i < heads.length; i++) {
    const h = parseHead(heads[i] as string);
    const blame = Math.min(prevSize, tree.size);
    if (typeof h === "string") {
      add({ seq: null, head: i, reason: h });
      continue;
    }
    if (h.log !== log) {
      add({ seq: null, head: i, reason: `tree head belongs to log \`${h.log}\`` });
      continue;
    }
    const sig = verifyHead(h, keys);
    if (sig === false) {
      add({ seq: null, head: i, reason: `tree head signature (key \`${h.sig.kid}\`) does not match` });
      continue;
    }
    if (sig === null) {
      if (keys !== null) {
        add({ seq: null, head: i, reason: `tree head signed with unknown key \`${h.sig.kid}\`` });
        continue;
      }
      report.unchecked++;
    } else report.checked.heads++;
    if (h.size <= prevSize) add({ seq: null, head: i, reason: `tree head size ${h.size} does not grow past ${prevSize}` });
    if (h.time < prevTime) add({ seq: null, head: i, reason: `tree head ${i} (size ${h.size}) has time ${h.time}, earlier than tree head ${prevHead} (size ${prevSize}, ${prevTime}): tree head times go backwards` });
    if (h.size > tree.size) {
      add({ seq: tree.size, head: i, reason: `signed tree head covers ${h.size} records but the log has ${tree.size} (records missing from the tail)` });
      continue;
    }
    if (!tree.root(h.size).equals(Buffer.from(h.root, "base64"))) {
      add({ seq: blame, head: i, until: h.size, reason: `records ${blame}..${h.size - 1} do not match the signed tree head of size ${h.size}` });
      continue;
    }
    prevSize = h.size;
    prevTime = h.time;
    prevHead = i;
    report.sealed = h.size;
  }
  for (const [i, h] of (options.expectHeads ?? []).entries()) {
    const what = `expected tree head ${i} (size ${h.size})`;
    if (h.log !== log) add({ seq: null, head: null, reason: `${what} belongs to log \`${h.log}\`` });
    else if (verifyHead(h, keys) !== true) add({ seq: null, head: null, reason: `${what}: signature not valid with the keys given` });
    else if (h.size > tree.size) add({ seq: tree.size, head: null, reason: `${what}: the log has only ${tree.size} records (truncated since that head was seen)` });
    else if (!tree.root(h.size).equals(Buffer.from(h.root, "base64"))) add({ seq: 0, head: null, until: h.size, reason: `${what}: the log's first ${h.size} records no longer match it (rewritten)` });
  }
  // A head that failed already explains why later records are unsealed; only report a clean gap.
  if (report.sealed < tree.size && problems.slice(before).every((p) => p.head === null)) {
    const msg = `records ${report.sealed}..${tree.size - 1} are not covered by a signed tree head (log still open, crashed before sealing, or heads truncated)`;
    if (options.allowUnsealed) report.warnings.push(msg);
    else add({ seq: report.sealed, head: null, reason: msg });
  }
  if (keys === null) report.warnings.push("no key given: signatures were not checked, only structure and the tree (pass --key)");
  return finish(report, problems, maxErrors);
}

function finish(report: VerifyReport, problems: VerifyProblem[], maxErrors: number): VerifyReport {
  // The first bad record: the lowest seq any problem names; problems without a seq come after. A failed
  // head only blames a range; an exact record problem inside (or before) that range is more precise.
  const sorted = [...problems].sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity) || (a.head ?? -1) - (b.head ?? -1));
  let first = sorted[0] ?? null;
  if (first && first.until !== undefined) {
    const limit = first.until;
    const exact = sorted.find((p) => p.until === undefined && p.head === null && p.seq !== null && p.seq < limit);
    if (exact) first = exact;
  }
  report.firstBad = first;
  report.errors = sorted.slice(0, maxErrors);
  report.ok = problems.length === 0;
  return report;
}
