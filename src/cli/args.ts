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

/** Every flag `spec` accepts, as `--name`: value flags, repeatable ones, then booleans. */
export function flagNames(spec: FlagSpec): string[] {
  return [...(spec.values ?? []), ...(spec.repeatable ?? []), ...(spec.booleans ?? [])].map((n) => `--${n}`);
}

/**
 * The usage error for a flag `spec` does not take: names the flag and the command, the other commands (or
 * subcommands) that do take it, and every flag this one takes.
 */
function unknownFlag(command: string, name: string, spec: FlagSpec, elsewhere: Record<string, FlagSpec>): string {
  const owners = Object.entries(elsewhere).filter(([, s]) => flagNames(s).includes(`--${name}`)).map(([c]) => `\`warden ${c}\``);
  const belongs = owners.length > 0 ? ` (it belongs to ${owners.join(" and ")})` : "";
  const takes = flagNames(spec);
  const help = command.split(" ")[0] as string;
  return `warden ${command}: unknown flag \`--${name}\`${belongs}; \`warden ${command}\` takes ${takes.length > 0 ? takes.join(", ") : "no flags"} (see \`warden help ${help}\`)`;
}

/**
 * Parses `argv` against `spec`. `elsewhere` names the specs of sibling commands (the other subcommands of
 * `warden audit`, say), so a flag that belongs to one of them is reported as such.
 */
export function parseArgs(argv: string[], spec: FlagSpec, command: string, elsewhere: Record<string, FlagSpec> = {}): ParsedArgs {
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
      if (!values.has(name)) throw new ExitError(unknownFlag(command, name, spec, elsewhere));
      let value: string | undefined;
      if (eq >= 0) value = a.slice(eq + 1);
      else value = argv[++i];
      if (value === undefined) throw new ExitError(`warden ${command}: flag \`--${name}\` needs a value`);
      // `--action=` or `--policy ""` (an unset shell variable) is a missing value, not a path or a name.
      if (value === "") throw new ExitError(`warden ${command}: flag \`--${name}\` was given an empty value; give it one (an unset shell variable?)`);
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

/**
 * Parses the arguments of subcommand `sub` of `command` (`warden audit verify …`) against that subcommand's own
 * flags in `specs`: a flag of another subcommand is a usage error that says where it belongs, never silently
 * ignored. Aliases share one spec object (`{ gen: GEN, init: GEN }`); `sub` must be a key of `specs`.
 */
export function parseSubcommandArgs(argv: string[], specs: Record<string, FlagSpec>, sub: string, command: string): ParsedArgs {
  const own = specs[sub];
  if (own === undefined) throw new Error(`parseSubcommandArgs: \`${command} ${sub}\` has no flag spec`);
  const elsewhere: Record<string, FlagSpec> = {};
  const seen = new Set<FlagSpec>([own]);
  for (const [name, spec] of Object.entries(specs)) {
    if (seen.has(spec)) continue;
    seen.add(spec);
    elsewhere[`${command} ${name}`] = spec;
  }
  return parseArgs(argv, own, `${command} ${sub}`, elsewhere);
}

/** The subcommand `sub` if `specs` has it; else a usage error that says what was wrong before the usage. */
export function subcommandOf(sub: string | undefined, specs: Record<string, FlagSpec>, command: string, usage: string): string {
  if (sub !== undefined && Object.hasOwn(specs, sub)) return sub;
  const what = sub === undefined ? "give a subcommand" : `unknown subcommand ${shown(sub)}`;
  throw new ExitError(`warden ${command}: ${what} (one of ${Object.keys(specs).join(", ")})\n${usage}`);
}

/** Exactly one positional argument (`what`, e.g. "the approval id"), or a usage error saying what was given. */
export function onePositional(p: ParsedArgs, command: string, what: string, usage: string): string {
  const [first, ...extra] = p.positionals;
  if (first === undefined) throw new ExitError(`warden ${command}: give ${what}\n${usage}`);
  if (extra.length > 0) throw new ExitError(`warden ${command}: give ${what} once; also got ${extra.map(shown).join(" ")}\n${usage}`);
  return first;
}

export function flag(p: ParsedArgs, name: string): string | undefined {
  return p.flags.get(name)?.[0];
}

export function requireFlag(p: ParsedArgs, name: string, command: string): string {
  const v = flag(p, name);
  if (v === undefined) throw new ExitError(`warden ${command}: missing required flag \`--${name}\``);
  return v;
}

/** The longest delay Node's timers take (2^31-1 ms); a longer one fires at once instead. */
export const MAX_DELAY_MS = 2_147_483_647;

/**
 * `text` as a whole number from `min` to `max`, or null. Decimal digits only: Number() would also take `0x1`,
 * `1e0`, ` 5 `, `+5`, `5.0` and the empty string (as 0), so a typo would quietly become some other number.
 */
export function parseWholeNumber(text: string, min: number, max: number): number | null {
  if (!/^[0-9]+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
}

/** What a numeric flag takes, for its error message. */
export function wholeNumberForm(min: number, max: number): string {
  return `a whole number ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`} in decimal digits`;
}

/** A value as the user typed it, quoted; JSON-escaped when backticks would hide what is wrong (empty, spaces, controls). */
export function shown(text: string): string {
  return /^[\x21-\x7e]+$/.test(text) && !text.includes("`") ? `\`${text}\`` : JSON.stringify(text);
}

export interface NumberFlagSpec {
  min: number;
  max: number;
  /** What the number is, for the message (default "a whole number"). */
  what?: string;
  /** Appended to the message, e.g. " (milliseconds)". */
  hint?: string;
}

/** The value of numeric flag `--name` (undefined when absent); anything but decimal digits in range is a usage error. */
export function numberFlag(p: ParsedArgs, name: string, command: string, spec: NumberFlagSpec): number | undefined {
  const text = flag(p, name);
  if (text === undefined) return undefined;
  const n = parseWholeNumber(text, spec.min, spec.max);
  if (n === null) throw new ExitError(`warden ${command}: --${name} ${shown(text)} is not ${spec.what ?? "a whole number"}: give ${wholeNumberForm(spec.min, spec.max)}${spec.hint ?? ""}`);
  return n;
}
