// Minimal, strict argument parser shared by all commands: unknown flags are usage errors, never ignored.
import { ExitError } from "./io.js";

export interface FlagSpec {
  /** Flags that take a value (`--policy P` or `--policy=P`); repeatable ones collect into arrays. */
  values?: string[];
  repeatable?: string[];
  /** Boolean flags (`--json`). */
  booleans?: string[];
}

export interface ParsedArgs {
  flags: Map<string, string[]>;
  bools: Set<string>;
  positionals: string[];
  /** Everything after a bare `--`. */
  rest: string[];
}

export function parseArgs(argv: string[], spec: FlagSpec, command: string): ParsedArgs {
  const values = new Set([...(spec.values ?? []), ...(spec.repeatable ?? [])]);
  const booleans = new Set(spec.booleans ?? []);
  const out: ParsedArgs = { flags: new Map(), bools: new Set(), positionals: [], rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--") {
      out.rest = argv.slice(i + 1);
      break;
    }
    if (a.startsWith("--") && a.length > 2) {
      const eq = a.indexOf("=");
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (booleans.has(name)) {
        if (eq >= 0) throw new ExitError(`warden ${command}: flag \`--${name}\` takes no value`);
        out.bools.add(name);
        continue;
      }
      if (!values.has(name)) throw new ExitError(`warden ${command}: unknown flag \`--${name}\` (see \`warden help ${command}\`)`);
      let value: string | undefined;
      if (eq >= 0) value = a.slice(eq + 1);
      else value = argv[++i];
      if (value === undefined) throw new ExitError(`warden ${command}: flag \`--${name}\` needs a value`);
      const list = out.flags.get(name) ?? [];
      if (list.length > 0 && !(spec.repeatable ?? []).includes(name)) {
        throw new ExitError(`warden ${command}: flag \`--${name}\` given more than once`);
      }
      list.push(value);
      out.flags.set(name, list);
      continue;
    }
    out.positionals.push(a);
  }
  return out;
}

export function flag(p: ParsedArgs, name: string): string | undefined {
  return p.flags.get(name)?.[0];
}

export function requireFlag(p: ParsedArgs, name: string, command: string): string {
  const v = flag(p, name);
  if (v === undefined) throw new ExitError(`warden ${command}: missing required flag \`--${name}\``);
  return v;
}
