// The real PostgreSQL server the fleet tests use (127.0.0.1:5432, database `test`; WARDEN_TEST_PG overrides), and
// whether they run: under CI=true a missing server FAILS the tests that need it; otherwise they skip, saying why.
import pg from "pg";
import { PgStorage } from "../src/audit/pg-storage.js";
import { tempDir } from "./record-fixtures.js";

export const PG_URL = process.env["WARDEN_TEST_PG"] ?? "postgres://postgres@127.0.0.1:5432/test";

/** Null when the server answers; else why not. */
export async function pgDown(): Promise<string | null> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query("SELECT 1");
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * `{ down, skip }` for a test file: `skip` is false when the server is up, or under CI=true (the tests then fail
 * on `down`); otherwise the reason, printed once as `# SKIP <name>: …`.
 */
export async function pgAvailability(name: string): Promise<{ down: string | null; skip: string | false }> {
  const down = await pgDown();
  const skip = down === null ? false : process.env["CI"] === "true" ? false : `PostgreSQL not reachable at ${PG_URL}: ${down}`;
  if (skip) console.log(`# SKIP ${name}: ${skip}`);
  return { down, skip };
}

export interface PgLogContext {
  /** A temporary folder (keys, scratch files), removed afterwards. */
  t: ReturnType<typeof tempDir>;
  /** A log id no other run uses, and its sink URL (`…#<logId>`). */
  logId: string;
  target: string;
  /** A connection for inspecting or editing the log's rows directly. */
  admin: pg.Client;
}

/** Runs `fn` on a fresh log id with an admin connection; the log's rows, the connection and the folder go afterwards. */
export async function withPgLog(prefix: string, fn: (c: PgLogContext) => Promise<void>): Promise<void> {
  const t = tempDir(prefix);
  const logId = `${prefix}-${process.pid}-${Date.now()}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await fn({ t, logId, target: `${PG_URL}#${logId}`, admin });
  } finally {
    const s = new PgStorage(PG_URL, logId);
    await s.dropLog().catch(() => {});
    await s.close();
    await admin.end();
    t.cleanup();
  }
}
