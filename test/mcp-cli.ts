// Shared by the MCP end-to-end tests: `warden mcp …` run from the sources (tsx) as a child process, either as a
// stdio transport the SDK's Client talks to or in HTTP mode, with its stderr collected for assertions.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const MAIN = pathToFileURL(join(process.cwd(), "src/cli/main.ts")).href;

/** `args` are the CLI's (starting with "mcp"). */
export function wardenCliTransport(args: string[]): { transport: StdioClientTransport; stderr: () => string } {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ["--import", "tsx", "--input-type=module", "-e", `const { runCli } = await import(${JSON.stringify(MAIN)}); process.exitCode = await runCli(${JSON.stringify(args)});`],
    env: process.env as Record<string, string>,
    cwd: process.cwd(),
    stderr: "pipe",
  });
  let err = "";
  transport.stderr?.on("data", (c: Buffer) => (err += c.toString()));
  return { transport, stderr: () => err };
}

export interface WardenHttpCli {
  /** The proxy's MCP endpoint, from its `--json` announcement. */
  url: string;
  stderr: () => string;
  /** SIGTERM, then the exit code. */
  stop: () => Promise<number | null>;
  /** Sends a signal to the process. */
  signal: (name: NodeJS.Signals) => void;
  /** Whether the process is still running. */
  running: () => boolean;
}

/** Runs `warden mcp --upstream-url … --listen 127.0.0.1:0 --json …` (`args` start with "mcp") and waits for its address. */
export async function startWardenHttpCli(args: string[], env: Record<string, string | undefined> = process.env): Promise<WardenHttpCli> {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", `const { runCli } = await import(${JSON.stringify(MAIN)}); process.exitCode = await runCli(${JSON.stringify(args)});`], { stdio: ["ignore", "pipe", "pipe"], env, cwd: process.cwd() });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const stop = async (): Promise<number | null> => {
    // A process ended by a signal has exitCode null and a signalCode: waiting for "exit" again would hang.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    return child.exitCode;
  };
  const end = Date.now() + 20_000;
  while (!out.includes("\n") && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  if (!out.includes("\n")) {
    await stop();
    throw new Error(`warden mcp did not announce its address: ${err}`);
  }
  return { url: (JSON.parse(out.split("\n")[0] as string) as { listening: string }).listening, stderr: () => err, stop, signal: (name) => child.kill(name), running: () => child.exitCode === null && child.signalCode === null };
}
