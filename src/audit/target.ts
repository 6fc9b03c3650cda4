// Turns a log target string into a storage backend: a directory path (segment files) or a PostgreSQL
// URL whose fragment names the log (`postgres://127.0.0.1:5432/test#node-1`).
import { resolve } from "node:path";
import { FileStorage } from "./file-storage.js";
import type { AuditStorage } from "./storage.js";

export function isPostgresTarget(target: string): boolean {
  return /^postgres(ql)?:\/\//.test(target);
}

/** `mode: "read"` never repairs (verify, proof, replay, export); `"write"` cuts torn tails. */
export async function storageFor(target: string, cwd: string, mode: "read" | "write"): Promise<AuditStorage & { problems?: string[] }> {
  if (isPostgresTarget(target)) {
    const { PgStorage } = await import("./pg-storage.js");
    return PgStorage.fromUrl(target);
  }
  return new FileStorage(resolve(cwd, target), { repair: mode === "write" });
}
