// `warden validate <policy…>`: compile each policy and report every diagnostic; exit 1 on any error.
import { formatDiagnostic } from "../../diagnostics.js";
import { parseArgs } from "../args.js";
import { ExitError, type Command } from "../io.js";
import { loadPolicyInput } from "../policy-input.js";

export const USAGE = "usage: warden validate <policy.yaml…> [--json]";

export const run: Command = async (argv, io) => {
  const args = parseArgs(argv, { booleans: ["json"] }, "validate");
  if (args.positionals.length === 0) throw new ExitError(USAGE);
  let failed = 0;
  const results = [];
  for (const path of args.positionals) {
    const r = loadPolicyInput(path, io);
    const errors = r.diagnostics.filter((d) => d.severity === "error").length;
    if (!r.ok) failed++;
    results.push({ file: path, ok: r.ok, hash: r.ok ? r.policy.hash : null, rules: r.ok ? r.policy.rules.length : null, diagnostics: r.diagnostics });
    if (!args.bools.has("json")) {
      for (const d of r.diagnostics) io.out(`${formatDiagnostic(d)}\n`);
      io.out(r.ok ? `ok ${path}: ${r.policy.rules.length} rules, ${r.policy.hash}\n` : `FAIL ${path}: ${errors} error(s)\n`);
    }
  }
  if (args.bools.has("json")) io.out(`${JSON.stringify(results, null, 2)}\n`);
  return failed === 0 ? 0 : 1;
};
