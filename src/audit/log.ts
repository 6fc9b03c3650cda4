// The audit log writer: turns decisions into signed records, keeps the Merkle tree, batches writes to a
// storage backend (group commit), seals the tree with signed heads, and bounds its buffer without ever
// losing a record silently.
import { randomBytes } from "node:crypto";
import type { Keyring } from "../keys/keyring.js";
import { parseFieldPaths, storeInput, type SensitiveMode } from "../record/input.js";
import { recordBody, signRecord, type SignatureMode } from "../record/record.js";
import type { Decision } from "../types.js";
import { encodeEntry, merkleLeafHash } from "./entry.js";
import { encodeHead, signHead, type TreeHeadV1 } from "./heads.js";
import { EntryBatch } from "./batch.js";
import { MerkleTree } from "./merkle.js";
import { AuditLogError, type AuditStorage } from "./storage.js";
import { checkForWriting } from "./writer-check.js";

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
  /** block: how long record() waits for space before failing with AuditUnavailableError (default 5000). */
  blockTimeoutMs?: number;
  /** Failed writes are retried with exponential backoff from 10 ms up to this (default 1000). */
  retryMaxMs?: number;
  clock?: () => Date;
  /** Drops, write failures and repairs, as they happen. */
  onEvent?: (event: { type: "drop" | "write-error" | "repair" | "recovered"; message: string }) => void;
}

/** The log cannot take the record (buffer full in block mode past the timeout, or closed). */
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
  promise: Promise<void>;
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
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private headTimer: NodeJS.Timeout | null = null;
  private waiters: Waiter[] = [];
  /** The waiter of the batch being filled; records appended until the next flush share it. */
  private batchWaiter: Waiter | null = null;
  private spaceWaiters: Array<() => void> = [];
  private droppedSinceLast = 0;
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
    if (this.closed) throw new AuditUnavailableError("audit log is closed");
    if (this.pending.length + this.inflight >= this.o.maxPending) {
      if (this.o.onFull === "block") throw new AuditUnavailableError(`audit buffer full (${this.o.maxPending} records pending; ${this.lastError ?? "storage is slow"})`);
      this.droppedSinceLast++;
      this.droppedTotal++;
      this.onEvent({ type: "drop", message: `audit buffer full: record dropped (${this.droppedTotal} so far)` });
      return { seq: null, recordHash: null, inputHash: null, durable: Promise.resolve() };
    }
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
      const promise = new Promise<void>((r) => (resolve = r));
      w = this.batchWaiter = { seq, resolve, promise };
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
    if (this.durability === "strict") await receipt.durable;
    // batched: a caller that never yields would starve the writer; past one batch, wait for the write.
    else if (this.pending.length >= this.o.batchRecords && this.flushing) await this.flushing;
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
        this.spaceWaiters = this.spaceWaiters.filter((w) => w !== done);
        reject(new AuditUnavailableError(`audit storage unavailable for ${this.o.blockTimeoutMs} ms (${this.lastError ?? "buffer full"})`));
      }, this.o.blockTimeoutMs);
      const done = (): void => {
        clearTimeout(t);
        resolve();
      };
      this.spaceWaiters.push(done);
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
      while (this.pending.length > 0) {
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
          // Keep the batch (in order) and retry: nothing acknowledged as durable is lost.
          const newer = this.pending;
          this.pending = batch.concat(newer);
          batch.release();
          newer.release();
          this.pendingFirst = first;
          this.writeErrors++;
          this.lastError = (e as Error).message;
          this.onEvent({ type: "write-error", message: `audit write failed (${this.lastError}); retrying in ${backoff} ms` });
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(backoff * 2, this.o.retryMaxMs);
          continue;
        }
        this.inflight = 0;
        backoff = 10;
        this.lastError = null;
        this.durableSize = first + batch.length;
        batch.release();
        this.releaseWaiters();
        if (this.durableSize - this.headSize >= this.o.headEvery) await this.writeHead();
      }
    } finally {
      this.flushing = null;
    }
  }

  private releaseWaiters(): void {
    let i = 0;
    while (i < this.waiters.length && (this.waiters[i] as Waiter).seq < this.durableSize) (this.waiters[i++] as Waiter).resolve();
    if (i > 0) this.waiters = this.waiters.slice(i);
    while (this.spaceWaiters.length > 0 && this.pending.length + this.inflight < this.o.maxPending) (this.spaceWaiters.shift() as () => void)();
  }

  /** Signs and stores a head over everything durable. */
  private async writeHead(): Promise<TreeHeadV1 | null> {
    const size = this.durableSize;
    if (size <= this.headSize) return null;
    const head = signHead(this.log, size, this.tree.root(size), this.o.clock().toISOString(), this.keys);
    await this.storage.appendHead(`${encodeHead(head)}\n`, size);
    this.headSize = size;
    this.lastHeadAt = Date.now();
    return head;
  }

  private maybeHeadOnIdle(): void {
    if (this.flushing || this.closed || this.durableSize <= this.headSize) return;
    if (Date.now() - this.lastHeadAt < this.o.headIntervalMs) return;
    this.flushing = this.writeHead()
      .then(() => undefined, (e: unknown) => {
        this.lastError = (e as Error).message;
      })
      .finally(() => {
        this.flushing = null;
        if (this.pending.length > 0) this.schedule();
      });
  }

  /** Everything queued is written, then a final head seals the log. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.flushing || this.pending.length > 0) {
      if (!this.flushing) this.flushing = this.flushLoop();
      await this.flushing;
    }
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

  /** Flushes, seals with a final signed head and closes storage. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    if (this.headTimer) clearInterval(this.headTimer);
    await this.writeHead();
    await this.storage.close();
  }
}

function lastHeadSizeOf(h: TreeHeadV1 | null): number {
  return h ? h.size : 0;
}
