// Where an audit log's bytes live: the seam between the log (tree, signing, batching) and a backend
// (append-only segment files by default, PostgreSQL for a fleet).
import type { EntryBatch } from "./batch.js";

export interface OpenedStorage {
  log: string;
  /** Repairs made while opening, in words (file storage defers its cuts to applyRepairs()). */
  repairs: string[];
}

export interface AuditStorage {
  /** e.g. `file:/var/log/warden` or `postgres:test/log-id`. */
  readonly describe: string;
  /** Opens (creating when `create` and empty); torn tails are reported, or cut later by applyRepairs(). */
  open(create: { log: string } | null): Promise<OpenedStorage>;
  /**
   * Cuts the torn tails open() found (a writer calls it once the log checks out against its last signed
   * head, before appending); returns what was cut, in words. Storage that cannot tear has none.
   */
  applyRepairs?(): string[];
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
