#!/usr/bin/env node
// Entry point for the `warden` CLI: runs the compiled CLI from dist/ (built by `npm install` / `npm run build`).
// For long-running processes that decide in a hot loop (`serve`, or a program embedding `decide()`) on VMs where
// first-touching memory is slow, start Node with `--min-semi-space-size=16` (docs/performance.md, "Node flags"; not
// for `mcp`, which it slows down): the shebang cannot carry it portably (`env -S` is GNU/BSD only, not BusyBox), and
// NODE_OPTIONS does not accept it.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("warden: dist/ is missing; run `npm install` (or `npm run build`) in the repository first\n");
  process.exit(2);
}
// Compiled rule packs are cached on disk for the next run (src/node/pack-cache-dir.ts; WARDEN_NO_CACHE=1: off).
const { installPackCache } = await import(new URL("../dist/node/pack-cache-dir.js", import.meta.url).href);
// A cache folder that cannot be used (under /proc, under a file, read-only) is said once on stderr; the command goes on.
installPackCache(process.env, { warn: (message) => process.stderr.write(`warden: warning: ${message}\n`) });
const { runCli } = await import(main.href);
const { stdoutFailure } = await import(new URL("../dist/cli/io.js", import.meta.url).href);
const code = await runCli(process.argv.slice(2));
// a failed write is reported by an 'error' event after the write call: let it arrive before looking
await new Promise((done) => (process.stdout.destroyed ? done() : process.stdout.write("", () => setImmediate(done))));
const failed = stdoutFailure();
// A reader that went away early (`| head`) is not an error; any other failed write of the output is.
if (failed && failed.code !== "EPIPE") process.stderr.write(`warden: could not write the output (${failed.code ?? failed.message}); the command ran to its end, its output is incomplete\n`);
process.exitCode = failed && failed.code !== "EPIPE" && code === 0 ? 1 : code;
