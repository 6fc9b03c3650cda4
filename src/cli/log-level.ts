// --log-level for the long-running commands: one of pino's levels, checked before the logger is built.
import { ExitError } from "./io.js";

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** The level given (default info), or a usage error that lists the levels. */
export function logLevel(value: string | undefined, command: string): string {
  if (value === undefined) return "info";
  if (!(LEVELS as readonly string[]).includes(value)) throw new ExitError(`warden ${command}: --log-level \`${value}\` is not a level (choose from ${LEVELS.join(", ")})`);
  return value;
}
