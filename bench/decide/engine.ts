// The shape every engine in the decide benchmark is wrapped in, and the oracle check applied to its answers.
import { oracle, type BenchAction, type Expected } from "./scenario.js";

/** What an engine said, read back (untimed) from its raw result. */
export interface Answer {
  verdict: string;
  /** "all": every scenario rule that fired; "first": the one rule that decided; "none": verdict only. */
  rulesKind: "all" | "first" | "none";
  rules: string[];
}

export interface Engine<R = unknown> {
  name: string;
  /** Timed: translate the Action into the engine's request and ask the engine. */
  decide: (action: BenchAction) => R;
  /** Untimed: read the verdict (and rules, where the engine reports them) from the raw result. */
  read: (raw: R) => Answer;
}

/** Compares one answer with the oracle; returns a description of the mismatch, or null. */
export function mismatch(action: BenchAction, answer: Answer, expected: Expected = oracle(action)): string | null {
  if (answer.verdict !== expected.verdict) return `verdict ${answer.verdict}, oracle ${expected.verdict}`;
  if (answer.rulesKind === "all") {
    const got = [...answer.rules].sort().join(",");
    if (got !== expected.rules.join(",")) return `rules [${got}], oracle [${expected.rules.join(",")}]`;
  } else if (answer.rulesKind === "first" && expected.rules.length > 0) {
    const first = answer.rules[0];
    if (first === undefined || !expected.rules.includes(first)) {
      return `deciding rule ${first ?? "(none)"} not among oracle rules [${expected.rules.join(",")}]`;
    }
  }
  return null;
}

/** Thrown when any engine disagrees with the oracle: the benchmark must fail loudly, not report numbers. */
export class OracleMismatchError extends Error {
  constructor(engine: string, index: number, action: BenchAction, detail: string) {
    super(`decide bench: ${engine} disagrees with the oracle on request #${index}: ${detail}\n  action: ${JSON.stringify(action)}`);
    this.name = "OracleMismatchError";
  }
}

/** Checks every raw result of `engine` against precomputed oracle answers; throws on the first mismatch. */
export function checkAll<R>(engine: Engine<R>, actions: readonly BenchAction[], raws: readonly R[], expected: readonly Expected[]): void {
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i] as BenchAction;
    const m = mismatch(a, engine.read(raws[i] as R), expected[i]);
    if (m !== null) throw new OracleMismatchError(engine.name, i, a, m);
  }
}
