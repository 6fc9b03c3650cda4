// The audit log writer: turns decisions into signed records, keeps the Merkle tree, batches writes to a
// storage backend (group commit), seals the tree with signed heads, and bounds its buffer without ever
// losing a record silently.
import { randomBytes } from "node:crypto";
import type { Keyring } from "../keys/keyring.js";
import { parseFieldPaths, storeInput, type SensitiveMode } from "../record/input.js";
import { recordBody, signRecord, type SignatureMode } from "../record/record.js";
import type { Decision } from "../types.js";
import { engineBlock } from "../engine/decide.js";
import { encodeEntry, merkleLeafHash } from "./entry.js";
import { encodeHead, signHead, type TreeHeadV1 } from "./heads.js";
import { EntryBatch } from "./batch.js";
import { MerkleTree } from "./merkle.js";
import { AuditLogError, type AuditStorage } from "./storage.js";
import { checkForWriting } from "./writer-check.js";
import { isPermanentWriteError, within } from "./write-errors.js";

export type Durability = "strict" | "batched";

export interface AuditLogOptions {
  keys: Keyring;
  /** strict: a record is on disk (fsync) before record() resolves. batched: group commit (default). */
  durability?: Durability;
  /** batched: flush at the latest this many ms after the first pending record (default 10). */
  batchMs?: number;
  /** batched: flush as soon as this many records are pending (default 512). */
  batchRecords?: number;
  /** Sign a tree head after this many records (default 1000)… */
  headEvery?: number;
  /** …or when this many ms have passed with unsealed records (default 1000). */
  headIntervalMs?: number;
  /** Per-record signatures (default hmac; tree heads are always Ed25519). */
  signatures?: SignatureMode;
  epoch?: number;
  /** Field paths a policy marks sensitive (`args.ssn`), and how to store them. */
  sensitive?: readonly string[];
  sensitiveMode?: SensitiveMode;
  /** Bounded buffer: records accepted but not yet written (default 100,000). */
  maxPending?: number;
  /** When the buffer is full (sink down): block the caller (default) or drop and count. */
  onFull?: "block" | "drop";
  /**
   * How long a caller waits on storage before failing with AuditUnavailableError (default 5000): record() for
   * buffer space (block) and, in strict mode, for its record to be durable; flush() and close() without progress.
   */
  blockTimeoutMs?: number;
  /** Failed writes are retried with exponential backoff from 10 ms up to this (default 1000). */
  retryMaxMs?: number;
  clock?: () => Date;
  /** Drops, write failures and repairs, as they happen. */
  onEvent?: (event: { type: "drop" | "write-error" | "repair" | "recovered" | "clock"; message: string }) => void;
}

/**
 * The log cannot take the record, or could not make it durable: buffer full in block mode past the timeout, storage
 * not answering within it, a write error retrying cannot fix (the writer has then stopped), or closed.
 */
export class AuditUnavailableError extends Error {
  override name = "AuditUnavailableError";
}

export interface AppendReceipt {
  /** null when the record was dropped (buffer full, onFull = drop). */
  seq: number | null;
  recordHash: string | null;
  inputHash: string | null;
  /** Resolves once the record is durable in storage. */
  durable: Promise<void>;
}

export interface AuditLogStats {
  size: number;
  durableSize: number;
  headSize: number;
  pending: number;
  dropped: number;
  writeErrors: number;
  lastError: string | null;
}

/** One per pending batch (not per record): resolved once every seq up to `seq` is durable. */
interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (e: Error) => void;
  promise: Promise<void>;
}

/** A caller of record() waiting for buffer space. */
interface SpaceWaiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class AuditLog {
  readonly tree = new MerkleTree();
  readonly repairs: string[] = [];
  private durability: Durability;
  private pending = new EntryBatch();
  /** Records handed to storage and not yet acknowledged by it (they count against maxPending too). */
  private inflight = 0;
  private pendingFirst = 0;
  private durableSize = 0;
  private headSize = 0;
  private lastHeadAt = 0;
  /** The time of the last signed head: a new head never names an earlier one (the clock can go backwards). */
  private lastHeadTime = "";
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private headTimer: NodeJS.Timeout | null = null;
  private waiters: Waiter[] = [];
  /** The waiter of the batch being filled; records appended until the next flush share it. */
  private batchWaiter: Waiter | null = null;
  private spaceWaiters: SpaceWaiter[] = [];
  /** Set once the writer has stopped for good (a permanent write error, or close() giving up): every call fails with it. */
  private failure: AuditUnavailableError | null = null;
  private droppedSinceLast = 0;
  /** The policy of the last dropped decision: the drop marker written at close names it. */
  private dropPolicy: Decision["policy"] | null = null;
  private droppedTotal = 0;
  private writeErrors = 0;
  private lastError: string | null = null;
  private closed = false;
  private readonly sensitive: string[][];
  private readonly o: Required<Omit<AuditLogOptions, "onEvent" | "sensitive" | "keys">>;

  private constructor(
    readonly storage: AuditStorage,
    readonly log: string,
    private readonly keys: Keyring,
    options: AuditLogOptions,
  ) {
    this.durability = options.durability ?? "batched";
    this.o = {
      durability: this.durability,
      batchMs: options.batchMs ?? 10,
      batchRecords: options.batchRecords ?? 512,
      headEvery: options.headEvery ?? 1000,
      headIntervalMs: options.headIntervalMs ?? 1000,
      signatures: options.signatures ?? "hmac",
      epoch: options.epoch ?? 0,
      sensitiveMode: options.sensitiveMode ?? "encrypt",
      maxPending: options.maxPending ?? 100_000,
      onFull: options.onFull ?? "block",
      blockTimeoutMs: options.blockTimeoutMs ?? 5000,
      retryMaxMs: options.retryMaxMs ?? 1000,
      clock: options.clock ?? (() => new Date()),
    };
    const parsed = parseFieldPaths(options.sensitive ?? []);
    if (parsed.errors.length > 0) throw new AuditLogError(parsed.errors.join("; "));
    this.sensitive = parsed.paths;
    this.onEvent = options.onEvent ?? (() => {});
  }

  private readonly onEvent: NonNullable<AuditLogOptions["onEvent"]>;

  /**
   * Opens (or creates) a log: rebuilds the tree, checks the last signed head and every record after it (refusing a
   * log that does not verify there), repairs a torn tail, then seals what a crashed writer left unsealed.
   */
  static async open(storage: AuditStorage, options: AuditLogOptions): Promise<AuditLog> {
    if (!options.keys.canSign) throw new AuditLogError("writing an audit log needs a keyring with signing keys (not a JWKS)");
    try {
      return await AuditLog.openOn(storage, options);
    } catch (e) {
      await storage.close().catch(() => {});
      throw e;
    }
  }

  private static async openOn(storage: AuditStorage, options: AuditLogOptions): Promise<AuditLog> {
    const opened = await storage.open({ log: randomBytes(8).toString("hex") });
    const log = new AuditLog(storage, opened.log, options.keys, options);
    for (const r of opened.repairs) {
      log.repairs.push(r);
      log.onEvent({ type: "repair", message: r });
    }
    // Nothing is signed over records that were not checked (see writer-check.ts).
    const { size: n, lastHead } = await checkForWriting(storage, opened.log, options.keys, log.tree);
    log.headSize = lastHead?.size ?? 0;
    log.lastHeadTime = lastHead?.time ?? "";
    // Only now, with the complete lines matching the last signed head, is a torn tail a crash's leftover.
    for (const r of storage.applyRepairs?.() ?? []) {
      log.repairs.push(r);
      log.onEvent({ type: "repair", message: r });
    }
    log.durableSize = n;
    log.pendingFirst = n;
    if (log.headSize < n) {
      await log.writeHead(); // seal what survived a crash
      log.onEvent({ type: "recovered", message: `checked and sealed ${n - lastHeadSizeOf(lastHead)} records left unsealed by the previous writer` });
    }
    log.lastHeadAt = Date.now();
    log.headTimer = setInterval(() => log.maybeHeadOnIdle(), log.o.headIntervalMs);
    log.headTimer.unref();
    return log;
  }

  get size(): number {
    return this.tree.size;
  }

  stats(): AuditLogStats {
    return {
      size: this.tree.size,
      durableSize: this.durableSize,
      headSize: this.headSize,
      pending: this.pending.length + this.inflight,
      dropped: this.droppedTotal,
      writeErrors: this.writeErrors,
      lastError: this.lastError,
    };
  }

  /**
   * The hot path: builds, signs and queues the record synchronously. `invalid` marks input that never
   * became an action (the raw text is kept, not replayed). Throws AuditUnavailableError when
   * the buffer is full and onFull is `block` (callers that can wait use record()).
   */
  append(action: unknown, decision: Decision, invalid?: string): AppendReceipt {
    if (this.failure) throw new AuditUnavailableError(this.failure.message);
    if (this.closed) throw new AuditUnavailableError("audit log is closed");
    if (this.pending.length + this.inflight >= this.o.maxPending) {
      if (this.o.onFull === "block") throw new AuditUnavailableError(`audit buffer full (${this.o.maxPending} records pending; ${this.lastError ?? "storage is slow"})`);
      this.droppedSinceLast++;
      this.droppedTotal++;
      this.dropPolicy = decision.policy;
      this.onEvent({ type: "drop", message: `audit buffer full: record dropped (${this.droppedTotal} so far)` });
      return { seq: null, recordHash: null, inputHash: null, durable: Promise.resolve() };
    }
    return this.push(action, decision, invalid);
  }

  /** Builds, signs and queues one record (append() past its checks; the drop marker at close). */
  private push(action: unknown, decision: Decision, invalid?: string): AppendReceipt {
    const seq = this.tree.size;
    const stored = storeInput(action, this.sensitive, this.o.sensitiveMode, this.keys, invalid);
    const env = { log: this.log, seq, time: this.now(), epoch: this.o.epoch, dropped: this.droppedSinceLast };
    const enc = signRecord(recordBody(env, action, stored.inputHash, stored.input, decision, stored.protected), this.keys, this.o.signatures);
    this.tree.appendHash(merkleLeafHash(enc.recordHash, enc.sigText));
    this.droppedSinceLast = 0;
    this.pending.push(encodeEntry(enc.signed, stored.attachment));
    let w = this.batchWaiter;
    if (w === null) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Batched callers rarely await `durable`: a writer that fails must not crash them with an unhandled rejection.
      promise.catch(() => {});
      w = this.batchWaiter = { seq, resolve, reject, promise };
      this.waiters.push(w);
    }
    w.seq = seq;
    this.schedule();
    return { seq, recordHash: enc.recordHash, inputHash: stored.inputHash, durable: w.promise };
  }

  /** Appends and, in strict mode, waits until the record is durable. Waits for buffer space when blocking. */
  async record(action: unknown, decision: Decision, invalid?: string): Promise<AppendReceipt> {
    if (this.pending.length + this.inflight >= this.o.maxPending && this.o.onFull === "block") await this.waitForSpace();
    const receipt = this.append(action, decision, invalid);
    const ms = this.o.blockTimeoutMs;
    if (this.durability === "strict") {
      // Bounded: a caller told "not recorded" BLOCKs its action. The record stays queued and is still written if
      // storage comes back (it then shows the decision as made, for an action that was blocked), unless the writer stops.
      await within(receipt.durable, ms, () => new AuditUnavailableError(`record ${String(receipt.seq)} was not durable within ${ms} ms (${this.lastError ?? "storage not answering"})`));
    } else if (this.pending.length >= this.o.batchRecords && this.flushing) {
      // batched: a caller that never yields would starve the writer; past one batch, wait for the write, but not
      // for longer than a caller may wait (the record is accepted; maxPending bounds what piles up behind it).
      await within(this.flushing, ms, () => new AuditUnavailableError("")).catch(() => {});
      if (this.failure) throw new AuditUnavailableError(this.failure.message);
    }
    return receipt;
  }

  private lastMs = NaN;
  private lastIso = "";

  /** The record time as RFC 3339; formatted once per millisecond (toISOString costs more than the rest of the clock). */
  private now(): string {
    const d = this.o.clock();
    const ms = d.getTime();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastIso = d.toISOString();
    }
    return this.lastIso;
  }

  private waitForSpace(): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.spaceWaiters = this.spaceWaiters.filter((w) => w !== waiter);
        reject(new AuditUnavailableError(`audit storage unavailable for ${this.o.blockTimeoutMs} ms (${this.lastError ?? "buffer full"})`));
      }, this.o.blockTimeoutMs);
      const waiter: SpaceWaiter = {
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      };
      this.spaceWaiters.push(waiter);
    });
  }

  private schedule(): void {
    if (this.flushing) return;
    if (this.durability === "strict" || this.pending.length >= this.o.batchRecords) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.flushing = this.flushLoop();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.flushing) this.flushing = this.flushLoop();
      }, this.o.batchMs);
    }
  }

  /** Writes pending batches until none are left (group commit: appends during a write join the next). */
  private async flushLoop(): Promise<void> {
    await Promise.resolve(); // let the caller store this promise in `flushing` before anything settles
    let backoff = 10;
    try {
      while (this.pending.length > 0 && this.failure === null) {
        const batch = this.pending;
        const first = this.pendingFirst;
        this.pending = new EntryBatch();
        this.batchWaiter = null;
        this.pendingFirst = first + batch.length;
        this.inflight = batch.length;
        try {
          await this.storage.appendEntries(batch, first);
        } catch (e) {
          this.inflight = 0;
          if (this.failure) return batch.release(); // the writer stopped while this write hung
          // Keep the batch (in order) and retry: nothing acknowledged as durable is lost.
          const newer = this.pending;
          this.pending = batch.concat(newer);
          batch.release();
          newer.release();
          this.pendingFirst = first;
          this.writeErrors++;
          this.lastError = (e as Error).message;
          if (isPermanentWriteError(e)) {
            this.stop(`audit storage ${this.storage.describe} cannot be written (${this.lastError}); retrying cannot fix that, so the writer stopped and the records not yet written are lost: fix what it names (permissions, storage, another writer), then restart`);
            return;
          }
          this.onEvent({ type: "write-error", message: `audit write failed (${this.lastError}); retrying in ${backoff} ms` });
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(backoff * 2, this.o.retryMaxMs);
          continue;
        }
        this.inflight = 0;
        // The writer stopped (close() gave up) while this write hung: nothing more goes to storage, no head.
        if (this.failure) return batch.release();
        backoff = 10;
        this.lastError = null;
        this.durableSize = first + batch.length;
        batch.release();
        this.releaseWaiters();
        if (this.durableSize - this.headSize >= this.o.headEvery) await this.tryWriteHead();
      }
    } finally {
      this.flushing = null;
    }
  }

  private releaseWaiters(): void {
    let i = 0;
    while (i < this.waiters.length && (this.waiters[i] as Waiter).seq < this.durableSize) (this.waiters[i++] as Waiter).resolve();
    if (i > 0) this.waiters = this.waiters.slice(i);
    while (this.spaceWaiters.length > 0 && this.pending.length + this.inflight < this.o.maxPending) (this.spaceWaiters.shift() as SpaceWaiter).resolve();
  }

  /**
   * Stops the writer for good: every record not yet durable fails (its durable promise rejects), so does every
   * caller waiting for space, and every later call. Records already durable stay; the next writer checks and seals them.
   */
  private stop(message: string): void {
    if (this.failure) return;
    this.failure = new AuditUnavailableError(message);
    this.lastError = message;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.waiters) w.reject(this.failure);
    for (const w of this.spaceWaiters) w.reject(this.failure);
    this.waiters = [];
    this.spaceWaiters = [];
    this.batchWaiter = null;
    this.pending.release();
    this.pending = new EntryBatch();
    this.onEvent({ type: "write-error", message });
  }

  /** A head written from the flush loop: a failure to write it stops the writer if permanent, else waits for the next try. */
  private async tryWriteHead(): Promise<void> {
    try {
      await this.writeHead();
    } catch (e) {
      this.lastError = (e as Error).message;
      if (isPermanentWriteError(e)) this.stop(`audit storage ${this.storage.describe} cannot take a tree head (${this.lastError}); retrying cannot fix that, so the writer stopped: fix what it names (permissions, storage, another writer), then restart`);
    }
  }

  /** Signs and stores a head over everything durable. */
  private async writeHead(): Promise<TreeHeadV1 | null> {
    const size = this.durableSize;
    if (size <= this.headSize) return null;
    const head = signHead(this.log, size, this.tree.root(size), this.headTime(), this.keys);
    await this.storage.appendHead(`${encodeHead(head)}\n`, size);
    this.headSize = size;
    this.lastHeadTime = head.time;
    this.lastHeadAt = Date.now();
    return head;
  }

  /**
   * Now, or the last head's time if the clock reads earlier (set back, or another writer's clock ahead): heads must not
   * go back in time (verify checks it), so the writer keeps the last time and says so.
   */
  private headTime(): string {
    const now = this.o.clock().toISOString();
    if (now >= this.lastHeadTime) return now;
    this.onEvent({
      type: "clock",
      message: `the clock reads ${now}, earlier than the last signed tree head (${this.lastHeadTime}): the new head is signed with ${this.lastHeadTime}, as tree head times never go backwards; check the system clock`,
    });
    return this.lastHeadTime;
  }

  private maybeHeadOnIdle(): void {
    if (this.flushing || this.closed || this.durableSize <= this.headSize) return;
    if (Date.now() - this.lastHeadAt < this.o.headIntervalMs) return;
    this.flushing = this.tryWriteHead()
      .finally(() => {
        this.flushing = null;
        if (this.pending.length > 0) this.schedule();
      });
  }

  /**
   * Writes everything queued. Rejects with AuditUnavailableError when the writer has stopped, or when storage makes
   * no progress for blockTimeoutMs (the records stay queued; close() then gives them up).
   */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ms = this.o.blockTimeoutMs;
    while (this.failure === null && (this.flushing || this.pending.length > 0)) {
      if (!this.flushing) this.flushing = this.flushLoop();
      const before = this.durableSize;
      const settled = await within(this.flushing.then(() => true), ms, () => new AuditUnavailableError("")).catch(() => false);
      if (!settled && this.durableSize === before && this.failure === null) {
        const waiting = this.tree.size - this.durableSize;
        throw new AuditUnavailableError(`${waiting} audit records could not be written: ${this.storage.describe} made no progress for ${ms} ms (${this.lastError ?? "storage not answering"})`);
      }
    }
    if (this.failure) throw new AuditUnavailableError(this.failure.message);
  }

  /**
   * Stops without flushing or sealing, as a crash would (for failure drills and tests): pending records
   * are lost, durable ones stay, the tail is left unsealed.
   */
  async abandon(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.headTimer) clearInterval(this.headTimer);
    this.pending = new EntryBatch();
    if (this.flushing) await this.flushing.catch(() => {});
    await this.storage.close();
  }

  /**
   * Flushes, seals with a final signed head and closes storage. When records cannot be written (the writer stopped,
   * or no progress for blockTimeoutMs) it gives them up, closes storage without a head and rejects: the records
   * already durable stay unsealed for the next writer to check and seal.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    // Drops since the last record would otherwise be told by no record: a marker carries their count into the log.
    if (this.droppedSinceLast > 0 && this.failure === null) this.appendDropMarker();
    try {
      await this.flush();
    } catch (e) {
      this.stop((e as Error).message);
    }
    this.closed = true;
    if (this.headTimer) clearInterval(this.headTimer);
    const ms = this.o.blockTimeoutMs;
    if (this.failure) {
      await this.closeStorage().catch(() => {}); // the failure is the news
      throw new AuditUnavailableError(this.failure.message);
    }
    try {
      await within(this.writeHead(), ms, () => new Error(`${this.storage.describe} did not answer within ${ms} ms`));
    } catch (e) {
      await this.closeStorage().catch(() => {});
      throw new AuditUnavailableError(`the final tree head could not be written (${(e as Error).message}); the records are durable but unsealed until the next writer checks and seals them`);
    }
    await this.closeStorage();
  }

  /**
   * The drop marker: records dropped (buffer full, onFull "drop") are counted in the `dropped` of the next record
   * written; when none follows before close, this record is that next one. It is an ordinary signed record of input
   * that is not an action (input mode `invalid`, raw null): `dropped: N`, an enforced BLOCK by rule `audit`, code
   * AUDIT_RECORDS_DROPPED, under the policy of the last dropped decision. verify and export read it like any record;
   * replay counts it as invalid input (nothing to re-decide), which must be an enforced BLOCK, as it is. It is
   * queued past maxPending (one record over the bound), since dropping it would hide the drops.
   */
  private appendDropMarker(): void {
    const n = this.droppedSinceLast;
    const message = `${n} decision record${n === 1 ? " was" : "s were"} dropped just before this point because the audit buffer was full (onFull: drop); this marker records the count, no action was decided here`;
    const policy = this.dropPolicy ?? { id: "", version: "", hash: "" };
    this.push(null, engineBlock(policy, "audit", "AUDIT_RECORDS_DROPPED", message), message);
  }

  /** Closes storage, waiting no longer than a caller may (a hung write can hold a file or a database connection). */
  private closeStorage(): Promise<void> {
    const ms = this.o.blockTimeoutMs;
    return within(this.storage.close(), ms, () => new AuditUnavailableError(`closing ${this.storage.describe} took longer than ${ms} ms`));
  }
}

function lastHeadSizeOf(h: TreeHeadV1 | null): number {
  return h ? h.size : 0;
}
