// CLI dispatch: `warden <command> [args]`; each command lives in commands/<name>.ts.
import { COMMANDS } from "./commands/index.js";
import { ExitError, processIO, type CliIO } from "./io.js";

function usage(): string {
  const names = Object.keys(COMMANDS).sort();
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]?.summary ?? ""}`);
  return `usage: warden <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nEvery command takes --json for machine-readable output.\n`;
}

export async function runCli(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
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
    return await command(rest, io);
  } catch (e) {
    if (e instanceof ExitError) {
      io.err(`${e.message}\n`);
      return e.code;
    }
    io.err(`warden ${name}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 70;
  }
}
