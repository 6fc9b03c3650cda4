// For tests: run the CLI in process with its output captured. captureIO() is a CliIO that collects stdout and
// stderr (no stdin, an empty environment); cli() runs one command with one and returns the exit code and output.
import { runCli } from "../src/cli/main.js";
import type { CliIO } from "../src/cli/io.js";

export function captureIO(cwd = process.cwd()): CliIO & { stdout: string; stderr: string } {
  const o = {
    stdout: "",
    stderr: "",
    out(t: string) {
      o.stdout += t;
    },
    err(t: string) {
      o.stderr += t;
    },
    readStdin: async () => "",
    cwd,
    env: {} as Record<string, string>,
  };
  return o;
}

export async function cli(args: string[], cwd = process.cwd()): Promise<{ code: number; out: string; err: string }> {
  const o = captureIO(cwd);
  const code = await runCli(args, o);
  return { code, out: o.stdout, err: o.stderr };
}
