// The floor of any MCP proxy that runs as its own Node process: starts the server command and copies bytes
// both ways without reading them (no JSON parsing, no MCP, no policy). What is left is the extra process hop:
// two more pipe writes and event-loop wake-ups per message.
import { spawn } from "node:child_process";

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  process.stderr.write("usage: node byte-pipe.mjs <server command> [args…]\n");
  process.exit(2);
}
const child = spawn(command, args, { stdio: ["pipe", "pipe", "ignore"] });
process.stdin.pipe(child.stdin);
child.stdout.pipe(process.stdout);
child.on("exit", (code) => process.exit(code ?? 1));
process.stdin.on("end", () => child.stdin.end());
