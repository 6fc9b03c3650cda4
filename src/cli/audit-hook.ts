// CLI glue for recording decisions: `--audit <dir|postgres-url> --key <keyring> [--durability strict|batched]`.
import type { CompiledPolicy } from "../compile/build.js";
import { openRecorder, type Recorder } from "../audit/recorder.js";
import { AuditLogError } from "../audit/storage.js";
import { AuditUnavailableError } from "../audit/log.js";
import { KeyError } from "../keys/keyring.js";
import { flag, type ParsedArgs } from "./args.js";
import { ExitError, type CliIO } from "./io.js";
import { INPUT_LIMITS, checkInputFile } from "./input-file.js";
import { makeDirs } from "./dirs.js";
import { isPostgresTarget } from "../audit/target.js";
import { resolve } from "node:path";

/** The flags a command adds to its parseArgs `values` to support recording. */
export const AUDIT_FLAGS = ["audit", "key", "durability"];

/** Opens the recorder when `--audit` is given (null otherwise); usage problems become ExitErrors. */
export async function openAuditHook(args: ParsedArgs, policy: CompiledPolicy, io: CliIO, command: string): Promise<Recorder | null> {
  const audit = flag(args, "audit");
  const key = flag(args, "key");
  const durability = flag(args, "durability") ?? "batched";
  if (audit === undefined) {
    if (key !== undefined || flag(args, "durability") !== undefined) throw new ExitError(`warden ${command}: --key and --durability only apply with --audit <dir>`);
    return null;
  }
  if (key === undefined) throw new ExitError(`warden ${command}: --audit needs --key <keyring> (create one with \`warden keys gen --out DIR\`)`);
  if (durability !== "strict" && durability !== "batched") throw new ExitError(`warden ${command}: --durability takes \`strict\` or \`batched\`, got \`${durability}\``);
  checkInputFile(resolve(io.cwd, key), key, "key file", INPUT_LIMITS.key);
  if (!isPostgresTarget(audit)) makeDirs(resolve(io.cwd, audit), command, "--audit", audit);
  let recorder: Recorder;
  try {
    recorder = await openRecorder({ audit, key, cwd: io.cwd, durability, policy, warn: (m) => io.err(`warning: ${m}\n`) });
  } catch (e) {
    if (e instanceof KeyError || e instanceof AuditLogError) throw new ExitError(`warden ${command}: ${e.message}`, 2);
    throw e;
  }
  // Fail closed: a decision that cannot be recorded stops the run (nothing proceeds without its record). In batched
  // mode a write failure may show only at the final flush, in close(): the same exit 1, not an internal error.
  return {
    log: recorder.log,
    close: async () => {
      try {
        return await recorder.close();
      } catch (e) {
        if (e instanceof AuditUnavailableError) throw new ExitError(`warden ${command}: audit log unavailable, the last decisions may be unrecorded (exit 1): ${e.message}`, 1);
        throw e;
      }
    },
    record: async (action, decision, invalid) => {
      try {
        return await recorder.record(action, decision, invalid);
      } catch (e) {
        if (e instanceof AuditUnavailableError) {
          // Stopping: release the log now (a PostgreSQL pool and advisory lock kept the process alive forever; a
          // folder's LOCK stayed). close() is bounded; its own error adds nothing to this one.
          await recorder.close().catch(() => {});
          throw new ExitError(`warden ${command}: audit log unavailable, stopping (no decision goes unrecorded): ${e.message}`, 1);
        }
        throw e;
      }
    },
  };
}
