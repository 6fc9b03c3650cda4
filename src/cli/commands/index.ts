// The command table: one lazily imported module per `warden <command>`.
import type { Command } from "../io.js";

export interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  validate: { summary: "validate policy files (exit 1 on any error)", load: async () => (await import("./validate.js")).run },
  check: { summary: "decide one action or a trace of actions against a policy", load: async () => (await import("./check.js")).run },
  test: { summary: "run policy unit tests (actions -> expected verdict and rules)", load: async () => (await import("./test.js")).run },
  explain: { summary: "explain in plain words why an action gets its decision", load: async () => (await import("./explain.js")).run },
  compile: { summary: "compile a policy to its deterministic artifact and print the hash", load: async () => (await import("./compile.js")).run },
};
