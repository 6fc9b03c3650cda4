// The hook interception points call: open a log (directory or PostgreSQL) with a keyring, record each
// decision, close with a final signed head. Used by `warden check --audit` (and later `serve`).
import { resolve } from "node:path";
import type { CompiledPolicy } from "../compile/build.js";
import { loadKeys } from "../keys/keyfile.js";
import type { SensitiveMode } from "../record/input.js";
import type { SignatureMode } from "../record/record.js";
import type { Decision } from "../types.js";
import { AuditLog, type AuditLogStats, type Durability } from "./log.js";
import { storageFor } from "./target.js";

export interface RecorderOptions {
  /** A directory or `postgres://host:port/db#log-id`. */
  audit: string;
  /** The keyring file from `warden keys gen`. */
  key: string;
  cwd?: string;
  durability?: Durability;
  signatures?: SignatureMode;
  /** Sensitive field paths; defaults to the policy's `sensitive:` list. */
  sensitive?: readonly string[];
  sensitiveMode?: SensitiveMode;
  onFull?: "block" | "drop";
  policy?: CompiledPolicy;
  /** Warnings (loose key file permissions, repairs of a torn tail, drops). */
  warn?: (message: string) => void;
}

export interface Recorder {
  readonly log: AuditLog;
  /** Records one decision; in strict mode resolves after fsync. */
  record(action: unknown, decision: Decision, invalid?: string): Promise<{ seq: number | null; recordHash: string | null }>;
  close(): Promise<AuditLogStats & { log: string; root: string }>;
}

export async function openRecorder(o: RecorderOptions): Promise<Recorder> {
  const cwd = o.cwd ?? process.cwd();
  const warn = o.warn ?? (() => {});
  const warnings: string[] = [];
  const keys = loadKeys(resolve(cwd, o.key), warnings);
  warnings.forEach(warn);
  const storage = await storageFor(o.audit, cwd, "write");
  const sensitive = o.sensitive ?? o.policy?.ir.sensitive ?? [];
  const log = await AuditLog.open(storage, {
    keys,
    durability: o.durability ?? "batched",
    signatures: o.signatures ?? "hmac",
    sensitive,
    sensitiveMode: o.sensitiveMode ?? "encrypt",
    onFull: o.onFull ?? "block",
    onEvent: (e) => {
      warn(`audit: ${e.message}`);
    },
  });
  return {
    log,
    async record(action, decision, invalid) {
      const r = await log.record(action, decision, invalid);
      return { seq: r.seq, recordHash: r.recordHash };
    },
    async close() {
      await log.close();
      return { ...log.stats(), log: log.log, root: log.tree.root().toString("base64") };
    },
  };
}
