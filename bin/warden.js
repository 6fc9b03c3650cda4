#!/usr/bin/env -S node --min-semi-space-size=16
// Entry point for the `warden` CLI: runs the compiled CLI from dist/ (built by `npm install` / `npm run build`).
// The shebang pins V8's young generation at 16 MiB from the start. By default it starts at 1 MiB and is resized as
// the heap works, and on VMs where first-touching memory is slow (Firecracker here) the pages it takes on cost
// decide() a p99 of 11.7 µs instead of 1.2 µs, and the audit path ~20% of its throughput (docs/performance.md).
// Costs up to 32 MiB more resident memory. Run as `node bin/warden.js …` the flag is not applied; pass it yourself.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("warden: dist/ is missing; run `npm install` (or `npm run build`) in the repository first\n");
  process.exit(2);
}
// Compiled rule packs are cached on disk for the next run (src/node/pack-cache-dir.ts; WARDEN_NO_CACHE=1: off).
const { installPackCache } = await import(new URL("../dist/node/pack-cache-dir.js", import.meta.url).href);
installPackCache();
const { runCli } = await import(main.href);
process.exitCode = await runCli(process.argv.slice(2));
