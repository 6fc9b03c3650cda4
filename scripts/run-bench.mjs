// Runs every benchmark (bench/*.bench.ts) one after another; pass substrings to select some.
// Each benchmark writes its own section of docs/performance.md.
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";

const filters = process.argv.slice(2);
let files = readdirSync("bench").filter((f) => f.endsWith(".bench.ts")).sort();
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
// The heap tuning docs/performance.md recommends ("Node flags"); the benches hand it on to the Warden
// processes they start (bench/lib/node-flags.ts).
const nodeFlags = ["--min-semi-space-size=16"];
let failed = 0;
for (const file of files) {
  console.log(`\n=== bench/${file} (node ${nodeFlags.join(" ")})`);
  const r = spawnSync(process.execPath, ["--expose-gc", ...nodeFlags, "--import", "tsx", `bench/${file}`], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
