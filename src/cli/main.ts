// CLI dispatch: `warden <command> [args]`; each command lives in commands/<name>.ts.
import { COMMANDS } from "./commands/index.js";
import { ApprovalError } from "../approvals/store.js";
import { AuditLogError } from "../audit/storage.js";
import { KeyError } from "../keys/keyring.js";
import { ExitError, processIO, type CliIO } from "./io.js";

function usage(): string {
  const names = Object.keys(COMMANDS).sort();
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]?.summary ?? ""}`);
  return `usage: warden <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nEvery command takes --json for machine-readable output.\n`;
}

export async function runCli(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  // `warden help <command>` and `warden <command> --help` print that command's usage (a --help after `--`
  // belongs to the command `warden mcp` starts)
  const dashes = rest.indexOf("--");
  const own = dashes < 0 ? rest : rest.slice(0, dashes);
  const helpFor = name === "help" ? rest[0] : own.includes("--help") || own.includes("-h") ? name : undefined;
  const helpEntry = helpFor === undefined ? undefined : COMMANDS[helpFor];
  if (helpEntry) {
    io.out(`${helpEntry.summary}\n\n${(await helpEntry.load()).USAGE}\n`);
    return 0;
  }
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "version") {
    const { WARDEN_VERSION } = await import("../version.js");
    io.out(`${WARDEN_VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.err(`warden: unknown command \`${name}\`\n\n${usage()}`);
    return 2;
  }
  try {
    const command = await entry.load();
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof ExitError) {
      io.err(`${e.message}\n`);
      return e.code;
    }
    const user = userError(e);
    if (user !== null) {
      io.err(`warden ${name}: ${user}\n`);
      return 2;
    }
    io.err(`warden ${name}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 70;
  }
}

/** File-system failures on paths the user gave (a folder where a file belongs, a missing parent, no permission). */
const USER_FS_ERRORS = new Set(["ENOENT", "EEXIST", "EISDIR", "ENOTDIR", "EACCES", "EPERM", "EROFS", "ENOSPC", "ENAMETOOLONG", "ELOOP"]);

/**
 * The message of an error that is about the user's input or environment rather than a bug: the domain errors
 * that carry a code (a damaged approvals store, an audit log refused, a key file) and file-system errors on a
 * path. Those get a one-line message and exit 2; anything else is an internal error with its stack.
 */
function userError(e: unknown): string | null {
  if (!(e instanceof Error)) return null;
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code === "string" && USER_FS_ERRORS.has(code)) return e.message;
  if (e instanceof ApprovalError || e instanceof AuditLogError || e instanceof KeyError) return e.message;
  return null;
}
