// The fleet audit backend: the same entries and signed tree heads, as rows in PostgreSQL. Each node
// writes its own log (one writer per log, held by an advisory lock); verification is the same code.
import type pg from "pg";
import { createRequire } from "node:module";

// `pg` costs ~35 ms to import: load it when a PostgreSQL log is actually opened, not with `import "warden"`.
const requirePg = (): typeof pg => createRequire(import.meta.url)("pg") as typeof pg;
import type { EntryBatch } from "./batch.js";
import { MANIFEST_FORMAT } from "./entry.js";
import { AuditLogError, type AuditStorage, type OpenedStorage } from "./storage.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS warden_audit_logs (
  log text PRIMARY KEY,
  format text NOT NULL,
  created timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS warden_audit_entries (
  log text NOT NULL REFERENCES warden_audit_logs(log),
  seq bigint NOT NULL,
  entry text NOT NULL,
  PRIMARY KEY (log, seq)
);
CREATE TABLE IF NOT EXISTS warden_audit_heads (
  log text NOT NULL REFERENCES warden_audit_logs(log),
  size bigint NOT NULL,
  head text NOT NULL,
  PRIMARY KEY (log, size)
);`;

const PAGE = 10_000;

/** Another writer holds the log's lock: retrying cannot fix that (a permanent write error for the writer). */
class WriterLockTaken extends AuditLogError {
  readonly code = "WARDEN_WRITER_LOCK_TAKEN";
}

export class PgStorage implements AuditStorage {
  readonly describe: string;
  readonly problems: string[] = [];
  private readonly pool: pg.Pool;
  private lockClient: pg.PoolClient | null = null;

  constructor(
    connectionString: string,
    readonly log: string,
  ) {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(log)) throw new AuditLogError(`log id \`${log}\` must be 1–128 of A-Z a-z 0-9 . _ -`);
    this.pool = new (requirePg().Pool)({ connectionString, max: 2, connectionTimeoutMillis: 5000 });
    this.pool.on("error", () => {}); // idle-client errors surface on the next query instead
    this.describe = `postgres:${connectionString.replace(/\/\/[^@/]*@/, "//***@")}#${log}`;
  }

  /** `postgres://host:port/db#log-id` (the fragment names the log; default `default`). */
  static fromUrl(url: string): PgStorage {
    const hash = url.indexOf("#");
    return new PgStorage(hash >= 0 ? url.slice(0, hash) : url, hash >= 0 ? decodeURIComponent(url.slice(hash + 1)) : "default");
  }

  async open(create: { log: string } | null): Promise<OpenedStorage> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      await this.endPool();
      throw new AuditLogError(`cannot connect to ${this.describe}: ${(e as Error).message || String(e)}`);
    }
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtext('warden_audit_schema'))");
      await client.query(SCHEMA);
      const m = await client.query<{ format: string }>("SELECT format FROM warden_audit_logs WHERE log = $1", [this.log]);
      if (m.rowCount === 0) {
        if (!create) throw new AuditLogError(`there is no warden audit log \`${this.log}\` in ${this.describe}`);
        await client.query("INSERT INTO warden_audit_logs (log, format) VALUES ($1, $2)", [this.log, MANIFEST_FORMAT]);
      } else if (m.rows[0]?.format !== MANIFEST_FORMAT) {
        throw new AuditLogError(`log \`${this.log}\` has format \`${String(m.rows[0]?.format)}\`, not \`${MANIFEST_FORMAT}\``);
      }
      await client.query("COMMIT");
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      client.release();
      throw e;
    }
    client.release();
    if (create) {
      this.writer = true;
      await this.takeWriterLock();
    }
    return { log: this.log, repairs: [] };
  }

  private writer = false;
  /** Why the writer lock's connection last went away (null: never); with no lock client, the next write takes it again. */
  private lockLost: string | null = null;

  /**
   * One writer per log, for the writer's lifetime: an advisory lock held on a connection of its own (the lock dies
   * with that connection). That connection can drop (a server restart, an idle kill, pg_terminate_backend); an
   * unhandled 'error' on it used to kill the process. Now the loss is noted and the next write takes the lock again
   * before writing; if another writer took it meanwhile, that write fails for good (and the primary key on
   * (log, seq) refuses any record another writer already wrote at the same position).
   */
  private async takeWriterLock(): Promise<void> {
    const client = await this.pool.connect();
    // stays attached for the client's life: an 'error' with no listener would be thrown at the process
    const onError = (e: Error): void => {
      if (this.lockClient !== client) return; // still taking the lock (the query rejects too), or released
      this.lockClient = null;
      this.lockLost = e.message || String(e);
      client.release(e); // a broken client is destroyed, not returned to the pool
    };
    client.on("error", onError);
    let got;
    try {
      got = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext('warden_audit_log'), hashtext($1)) AS ok", [this.log]);
    } catch (e) {
      client.release(e as Error);
      throw e;
    }
    if (!got.rows[0]?.ok) {
      client.release();
      throw new WriterLockTaken(`audit log \`${this.log}\` is open in another writer (one writer per log)`);
    }
    this.lockClient = client;
  }

  /** Before a write: the writer lock again if its connection went away. */
  private async holdWriterLock(): Promise<void> {
    if (!this.writer || this.lockClient !== null) return;
    try {
      await this.takeWriterLock();
    } catch (e) {
      if (e instanceof WriterLockTaken) {
        throw new WriterLockTaken(`lost the writer lock on audit log \`${this.log}\` (${this.lockLost ?? "connection closed"}) and another writer holds it now`);
      }
      throw new Error(`the writer lock's connection to ${this.describe} was lost (${this.lockLost ?? "closed"}) and cannot be taken again yet: ${(e as Error).message || String(e)}`);
    }
  }

  async scanEntries(fn: (line: string, seq: number) => void): Promise<number> {
    let position = 0;
    let from = -1;
    for (;;) {
      const r = await this.pool.query<{ seq: string; entry: string }>("SELECT seq, entry FROM warden_audit_entries WHERE log = $1 AND seq > $2 ORDER BY seq LIMIT $3", [this.log, from, PAGE]);
      for (const row of r.rows) {
        fn(row.entry, position++);
        from = Number(row.seq);
      }
      if (r.rows.length < PAGE) return position;
    }
  }

  async readHeads(): Promise<string[]> {
    const r = await this.pool.query<{ head: string }>("SELECT head FROM warden_audit_heads WHERE log = $1 ORDER BY size", [this.log]);
    return r.rows.map((x) => x.head);
  }

  async appendEntries(batch: EntryBatch, firstSeq: number): Promise<void> {
    await this.holdWriterLock();
    const lines = batch.lines();
    const seqs = lines.map((_, i) => firstSeq + i);
    const entries = lines.map((l) => (l.endsWith("\n") ? l.slice(0, -1) : l));
    // One statement: the batch commits atomically (PostgreSQL's commit is the fsync).
    try {
      await this.pool.query("INSERT INTO warden_audit_entries (log, seq, entry) SELECT $1, s, e FROM unnest($2::bigint[], $3::text[]) AS t(s, e)", [this.log, seqs, entries]);
    } catch (e) {
      if ((e as { code?: unknown }).code !== "23505") throw e;
      // A retry of a write that did commit (the connection dropped after COMMIT, before its answer): the rows are
      // exactly these, and the write is done. Anything else there is another writer's.
      if (await this.holdsExactly(firstSeq, entries)) return;
      // positions this writer counted on hold another writer's records: say so (the code stays, a permanent error)
      const lost = this.lockLost === null ? "" : ` while this writer's lock was lost (${this.lockLost})`;
      throw Object.assign(new Error(`another writer appended records ${firstSeq}… to audit log \`${this.log}\`${lost}; this writer cannot go on beside it: restart it to continue after those records`), { code: "23505" });
    }
  }

  /** Whether the log's rows from `firstSeq` on are exactly `entries` (one statement's batch, all or none). */
  private async holdsExactly(firstSeq: number, entries: string[]): Promise<boolean> {
    const r = await this.pool.query<{ entry: string }>("SELECT entry FROM warden_audit_entries WHERE log = $1 AND seq >= $2 AND seq < $3 ORDER BY seq", [this.log, firstSeq, firstSeq + entries.length]);
    return r.rows.length === entries.length && r.rows.every((row, i) => row.entry === entries[i]);
  }

  async appendHead(line: string, size: number): Promise<void> {
    await this.holdWriterLock();
    const head = line.endsWith("\n") ? line.slice(0, -1) : line;
    try {
      await this.pool.query("INSERT INTO warden_audit_heads (log, size, head) VALUES ($1, $2, $3)", [this.log, size, head]);
    } catch (e) {
      if ((e as { code?: unknown }).code !== "23505") throw e;
      // the retry of a head that did commit is done; another head at this size is not ours
      const r = await this.pool.query<{ head: string }>("SELECT head FROM warden_audit_heads WHERE log = $1 AND size = $2", [this.log, size]);
      if (r.rows[0]?.head === head) return;
      throw e;
    }
  }

  async close(): Promise<void> {
    this.writer = false;
    if (this.lockClient) {
      await this.lockClient.query("SELECT pg_advisory_unlock(hashtext('warden_audit_log'), hashtext($1))", [this.log]).catch(() => {});
      this.lockClient.release();
      this.lockClient = null;
    }
    await this.endPool();
  }

  private ended = false;

  private async endPool(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.pool.end().catch(() => {});
  }

  /** Deletes a log and its rows (tests and retention tooling). */
  async dropLog(): Promise<void> {
    await this.pool.query("DELETE FROM warden_audit_heads WHERE log = $1", [this.log]);
    await this.pool.query("DELETE FROM warden_audit_entries WHERE log = $1", [this.log]);
    await this.pool.query("DELETE FROM warden_audit_logs WHERE log = $1", [this.log]);
  }
}
