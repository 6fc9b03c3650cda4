// `warden compile <policy> [--out file.wpc.json]`: write the deterministic compiled artifact and print its hash.
import { parseArgs, flag } from "../args.js";
import { ExitError, type Command } from "../io.js";
import { requirePolicy } from "../policy-input.js";
import { writeOutputFile } from "../output-file.js";

export const USAGE = "usage: warden compile <policy.yaml> [--out policy.wpc.json] [--json]";

export const run: Command = async (argv, io) => {
  const args = parseArgs(argv, { values: ["out"], booleans: ["json"] }, "compile");
  const [path] = args.positionals;
  if (path === undefined || args.positionals.length > 1) throw new ExitError(USAGE);
  const policy = requirePolicy(path, io, "compile");
  const out = flag(args, "out");
  if (out !== undefined) writeOutputFile("compile", io.cwd, out, policy.artifact, [path]);
  if (args.bools.has("json")) io.out(`${JSON.stringify({ id: policy.id, version: policy.version, hash: policy.hash, bytes: policy.artifact.length, out: out ?? null })}\n`);
  else io.out(`${policy.id} v${policy.version} ${policy.hash}${out ? ` -> ${out}` : ""}\n`);
  return 0;
};
