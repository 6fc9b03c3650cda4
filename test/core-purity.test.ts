// Keeps the core pure: no I/O modules, no clock, no randomness in policy/compile/engine/scan/canonical.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const CORE = ["src/policy", "src/compile", "src/engine", "src/scan", "src/canonical"];
// node:crypto hashing is deterministic, so it is allowed; nothing else from node:*.
const ALLOWED_NODE = new Set(["node:crypto"]);
// Per file: source-lenient.ts loads the `yaml` package on first use with createRequire, which is what a static
// import would do at startup (reading the package's code), not I/O a decision could depend on.
const ALLOWED_IN_FILE = new Map([["src/policy/source-lenient.ts", new Set(["node:module"])]]);
const FORBIDDEN = [/\bDate\.now\s*\(/, /\bnew Date\s*\(\s*\)/, /\bMath\.random\s*\(/, /\bprocess\./, /\bperformance\.now\s*\(/, /\bsetTimeout\s*\(/, /\bsetInterval\s*\(/];

function files(dir: string, out: string[] = []): string[] {
  let names: string[] = [];
  try { names = readdirSync(dir); } catch { return out; }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) files(p, out);
    else if (n.endsWith(".ts") && !n.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

test("core modules import no I/O and read no clock or randomness", () => {
  const problems: string[] = [];
  for (const f of CORE.flatMap((d) => files(d))) {
    const src = readFileSync(f, "utf8");
    for (const m of src.matchAll(/from\s+"(node:[^"]+|fs|path|os|child_process|net|http|https)"/g)) {
      if (!ALLOWED_NODE.has(m[1] as string) && !ALLOWED_IN_FILE.get(f)?.has(m[1] as string)) problems.push(`${f}: imports ${m[1]}`);
    }
    for (const re of FORBIDDEN) if (re.test(src)) problems.push(`${f}: uses ${re.source}`);
    for (const m of src.matchAll(/from\s+"(\.\.\/[^"]+)"/g)) {
      const target = m[1] as string;
      if (/\.\.\/(cli|node|gateway|mcp|record|audit|guard)\//.test(target)) problems.push(`${f}: imports edge module ${target}`);
    }
  }
  assert.deepEqual(problems, []);
});
