// Runs every test file (*.test.ts under src/ and test/) with node's built-in runner through tsx.
// Node 20's --test takes no globs, so the files are listed here; pass paths or substrings to filter.
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";

function collect(dir, out) {
  let names;
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names.sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith(".test.ts")) out.push(relative(process.cwd(), path));
  }
  return out;
}

const filters = process.argv.slice(2);
let files = collect("src", []).concat(collect("test", []));
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error("run-tests: no test files found");
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? "2";
// The CLI caches compiled rule packs on disk: tests get a fresh cache of their own (never the user's).
const cacheDir = mkdtempSync(join(tmpdir(), "warden-test-cache-"));
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, "--test-reporter=spec", ...files],
  { stdio: "inherit", env: { ...process.env, WARDEN_CACHE_DIR: cacheDir } },
);
rmSync(cacheDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
