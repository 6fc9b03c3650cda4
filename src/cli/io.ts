// The CLI's I/O seam: commands write through this instead of touching process streams directly.

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Reads all of standard input (for `-` arguments); rejects with StdinTooLargeError past `maxBytes`. */
  readStdin(maxBytes?: number): Promise<string>;
  cwd: string;
  env: Record<string, string | undefined>;
}

/** A command: parses its own arguments, returns the process exit code, never calls process.exit. */
export type Command = (args: string[], io: CliIO) => Promise<number>;

/** Thrown by commands for usage errors; main prints the message and exits with `code`. */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly code: number = 2,
  ) {
    super(message);
  }
}

/** Standard input went on past the reader's limit (`warden check --action - < /dev/zero` would never end). */
export class StdinTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`standard input is more than ${limit} bytes`);
  }
}

/** The first error writing standard output (EPIPE when the reader went away, ENOSPC on a full disk), if any. */
let stdoutError: NodeJS.ErrnoException | null = null;
let streamsGuarded = false;

export function stdoutFailure(): NodeJS.ErrnoException | null {
  return stdoutError;
}

/**
 * A failed write to stdout (`warden check … | head -1`) must not kill the process with an unhandled 'error'
 * event: the command would die before its audit log is flushed and closed, losing decisions it already made.
 * The command runs to its end instead, writing no more output; bin/warden.js reports the failure afterwards.
 */
function guardStreams(): void {
  if (streamsGuarded) return;
  streamsGuarded = true;
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    stdoutError ??= e;
  });
  process.stderr.on("error", () => {}); // nowhere left to report it
}

export function processIO(): CliIO {
  guardStreams();
  return {
    out: (t) => void (stdoutError === null && process.stdout.write(t)),
    err: (t) => void process.stderr.write(t),
    readStdin: async (maxBytes = Infinity) => {
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const c of process.stdin) {
        chunks.push(c as Buffer);
        total += (c as Buffer).length;
        if (total > maxBytes) throw new StdinTooLargeError(maxBytes);
      }
      return Buffer.concat(chunks).toString("utf8");
    },
    cwd: process.cwd(),
    env: process.env,
  };
}
