// Adapts the signed audit log (src/audit) to the DecisionSink seam used by serve, mcp and guard().
import { resolve } from "node:path";
import { AuditLog, type Durability } from "../audit/log.js";
import { FileStorage } from "../audit/file-storage.js";
import type { AuditStorage } from "../audit/storage.js";
import { loadKeys } from "../keys/keyfile.js";
import type { Decision } from "../types.js";
import type { DecisionSink, SinkReceipt, SinkState } from "./sink.js";

export interface AuditSinkOptions {
  /** Directory of the segment-file audit log (created if missing). */
  dir: string;
  /** Keyring file with signing keys (`warden keys init`). */
  keys: string;
  durability?: Durability;
  /** When the log's buffer is full: block callers (then BLOCK the action) or drop and count. */
  onFull?: "block" | "drop";
  /** Bounded buffer of records accepted but not yet written (default 100,000). */
  maxPending?: number;
  /** onFull=block: how long a decision waits for buffer space before it becomes a BLOCK (default 5000 ms). */
  blockTimeoutMs?: number;
  sensitive?: readonly string[];
  /** A storage backend other than the segment files in `dir` (e.g. PostgreSQL). */
  storage?: AuditStorage;
  onEvent?: (event: { type: string; message: string }) => void;
}

export class AuditSink implements DecisionSink {
  private constructor(readonly log: AuditLog, readonly dir: string) {}

  static async open(options: AuditSinkOptions, warnings: string[] = []): Promise<AuditSink> {
    const keys = loadKeys(resolve(options.keys), warnings);
    // With a storage given, `dir` only names it (e.g. a PostgreSQL URL) and is not a path.
    const dir = options.storage ? options.dir : resolve(options.dir);
    const log = await AuditLog.open(options.storage ?? new FileStorage(dir), {
      keys,
      durability: options.durability ?? "batched",
      onFull: options.onFull ?? "block",
      ...(options.maxPending !== undefined ? { maxPending: options.maxPending } : {}),
      ...(options.blockTimeoutMs !== undefined ? { blockTimeoutMs: options.blockTimeoutMs } : {}),
      ...(options.sensitive ? { sensitive: options.sensitive } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    return new AuditSink(log, dir);
  }

  async append(action: unknown, decision: Decision): Promise<SinkReceipt> {
    const receipt = await this.log.record(action, decision);
    // seq null: dropped under onFull=drop (counted by the log, reported in state()), so there is no record to name.
    if (receipt.seq === null) return { record: null, inputHash: null };
    return { record: `${this.log.log}:${receipt.seq}`, inputHash: receipt.inputHash };
  }

  state(): SinkState {
    const s = this.log.stats();
    return { kind: `audit:${this.dir}`, ok: s.lastError === null, size: s.size, pending: s.size - s.durableSize, dropped: s.dropped, lastError: s.lastError };
  }

  async close(): Promise<void> {
    await this.log.close();
  }
}
