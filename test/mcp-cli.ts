// Shared by the MCP end-to-end tests: a stdio transport that runs `warden mcp …` from the sources (tsx) as
// a child process the SDK's Client talks to, with its stderr collected for assertions and failure messages.
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
