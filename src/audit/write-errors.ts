// Storage write failures for the audit log writer: which ones retrying cannot fix, and waiting on storage for a
// bounded time only.

/**
 * File-system errors that stay until someone changes the files or the mount (permissions, a read-only file system,
 * a file where a folder belongs), and PostgreSQL SQLSTATEs that stay until someone changes the database (no
 * privilege, read-only, the log's rows taken by another writer or removed). A full disk (ENOSPC), an I/O error and
 * a lost connection are not here: they can pass, and the writer retries them.
 */
const PERMANENT = new Set([
  "EACCES", "EPERM", "EROFS", "EBADF", "EISDIR", "ENOTDIR", "ENOENT", "ENAMETOOLONG", "ELOOP", "EFBIG",
  "42501", // insufficient_privilege
  "25006", // read_only_sql_transaction
  "23505", // unique_violation: another writer wrote these records
  "23503", // foreign_key_violation: the log's row is gone
  "42P01", // undefined_table
  "WARDEN_WRITER_LOCK_TAKEN", // the PostgreSQL writer lock was lost and another writer holds it now
]);

/** Whether a write that failed with `e` would fail again however often it is retried. */
export function isPermanentWriteError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && PERMANENT.has(code);
}

/**
 * `p`, or a rejection with `onTimeout()` once `ms` have passed (the work behind `p` is not cancelled: storage
 * calls cannot be, so a stalled write may still land later).
 */
export function within<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(onTimeout()), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
