// The CLI's I/O seam: commands write through this instead of touching process streams directly.

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Reads all of standard input (for `-` arguments). */
  readStdin(): Promise<string>;
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

export function processIO(): CliIO {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    cwd: process.cwd(),
    env: process.env,
  };
}
