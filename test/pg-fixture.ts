// The real PostgreSQL server the fleet tests use (127.0.0.1:5432, database `test`; WARDEN_TEST_PG overrides), and
// whether they run: under CI=true a missing server FAILS the tests that need it; otherwise they skip, saying why.
import pg from "pg";

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
