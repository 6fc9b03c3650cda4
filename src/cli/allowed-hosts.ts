// `--allowed-hosts` and `--allowed-origins` (serve, mcp in HTTP mode): the names and web origins the server accepts
// requests from besides loopback (src/gateway/host-check.ts). Repeatable, and each takes a comma-separated list.
import { allowedHostProblem, allowedOriginProblem } from "../gateway/host-check.js";
import { ExitError } from "./io.js";
import type { ParsedArgs } from "./args.js";

export interface AllowedHosts {
  allowedHosts: string[] | null;
  allowedOrigins: string[] | null;
}

function list(args: ParsedArgs, name: string, command: string, problem: (entry: string) => string | null, example: string): string[] | null {
  const given = args.flags.get(name);
  if (given === undefined) return null;
  const out: string[] = [];
  for (const v of given) {
    for (const raw of v.split(",")) {
      const entry = raw.trim();
      if (entry === "") throw new ExitError(`warden ${command}: --${name} has an empty entry in \`${v}\`; give ${example}`);
      const p = problem(entry);
      if (p !== null) throw new ExitError(`warden ${command}: --${name}: ${p}; give ${example}`);
      out.push(entry);
    }
  }
  return out;
}

export function allowedHostsFlags(args: ParsedArgs, command: string): AllowedHosts {
  return {
    allowedHosts: list(args, "allowed-hosts", command, allowedHostProblem, "names like `warden.internal` or `warden.internal:443`, comma-separated, or `*` for any"),
    allowedOrigins: list(args, "allowed-origins", command, allowedOriginProblem, "origins like `https://app.example`, comma-separated, or `*` for any"),
  };
}
