// Where an audit log's bytes live: the seam between the log (tree, signing, batching) and a backend
// (append-only segment files by default, PostgreSQL for a fleet).
import type { EntryBatch } from "./batch.js";

export interface OpenedStorage {
  log: string;
  /** Torn tails found and cut while opening (after a crash), in words. */
  repairs: string[];
}

export interface AuditStorage {
  /** e.g. `file:/var/log/warden` or `postgres:test/log-id`. */
  readonly describe: string;
  /** Opens (creating when `create` and empty) and repairs torn tails. */
  open(create: { log: string } | null): Promise<OpenedStorage>;
  /** Calls `fn` for every entry line (without newline) in order; returns the count. */
  scanEntries(fn: (line: string, seq: number) => void): Promise<number>;
  /** Every tree head line, in order. */
  readHeads(): Promise<string[]>;
  /** Appends a batch of entries (lines ending in `\n`) starting at `firstSeq`; durable when the promise resolves. */
  appendEntries(batch: EntryBatch, firstSeq: number): Promise<void>;
  /** Appends one tree head line; durable when the promise resolves. */
  appendHead(line: string, size: number): Promise<void>;
  close(): Promise<void>;
}

/** Raised when a log cannot be opened for writing because it is damaged (not merely torn). */
export class AuditLogError extends Error {
  override name = "AuditLogError";
}
