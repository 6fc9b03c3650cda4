// `warden test <cases…>`: run policy unit tests; exit 1 on any mismatch (like `opa test`).
import { dirname, resolve } from "node:path";
import { compileCasePolicy, parseCaseFile, runCase, type CaseResult } from "../../testing/cases.js";
import { parseArgs } from "../args.js";
import { ExitError, type Command } from "../io.js";
import { INPUT_LIMITS, readInputFile } from "../input-file.js";

export const USAGE = "usage: warden test <cases.yaml…> [--json] [--verbose]";

export const run: Command = async (argv, io) => {
  const args = parseArgs(argv, { booleans: ["json", "verbose"] }, "test");
  if (args.positionals.length === 0) throw new ExitError(USAGE);
  let passed = 0;
  let failed = 0;
  const report: Array<{ file: string; error?: string; results: CaseResult[] }> = [];
  for (const file of args.positionals) {
    const path = resolve(io.cwd, file);
    try {
      const cases = parseCaseFile(readInputFile(path, file, "test cases", INPUT_LIMITS.cases));
      const policyPath = typeof cases.policy === "string" ? resolve(dirname(path), cases.policy) : undefined;
      const policy = compileCasePolicy(cases, { readFile: (p) => readInputFile(p, p, "policy", INPUT_LIMITS.policy), file: path }, policyPath);
      const results = cases.cases.map((c) => runCase(policy, c));
      report.push({ file, results });
      for (const r of results) {
        if (r.ok) passed++;
        else failed++;
        if (!args.bools.has("json") && (!r.ok || args.bools.has("verbose"))) {
          io.out(`${r.ok ? "PASS" : "FAIL"}: ${file}: ${r.name}\n${r.failures.map((f) => `    ${f}\n`).join("")}`);
        }
      }
    } catch (e) {
      failed++;
      const error = e instanceof Error ? e.message : String(e);
      report.push({ file, error, results: [] });
      if (!args.bools.has("json")) io.out(`ERROR: ${file}: ${error}\n`);
    }
  }
  if (args.bools.has("json")) {
    io.out(`${JSON.stringify({ passed, failed, files: report.map((f) => ({ file: f.file, error: f.error, results: f.results.map(({ name, ok, failures }) => ({ name, ok, failures })) })) }, null, 2)}\n`);
  } else io.out(`${"-".repeat(40)}\n${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
};
