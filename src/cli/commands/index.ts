// The command table: one lazily imported module per `warden <command>`.
import type { FlagSpec } from "../args.js";
import type { Command } from "../io.js";

/** What each command module exports: the command and its usage text (`warden <command> --help`). */
export interface CommandModule {
  run: Command;
  USAGE: string;
  /** For a command with subcommands (`keys`, `audit`, `approvals`): each subcommand's own flags. */
  SUBCOMMANDS?: Record<string, FlagSpec>;
}

export interface CommandEntry {
  summary: string;
  load: () => Promise<CommandModule>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  validate: { summary: "validate policy files (exit 1 on any error)", load: () => import("./validate.js") },
  check: { summary: "decide one action or a trace of actions against a policy", load: () => import("./check.js") },
  test: { summary: "run policy unit tests (actions -> expected verdict and rules)", load: () => import("./test.js") },
  explain: { summary: "explain in plain words why an action gets its decision", load: () => import("./explain.js") },
  compile: { summary: "compile a policy to its deterministic artifact and print the hash", load: () => import("./compile.js") },
  scan: { summary: "scan text for prompt injection, secrets, PII and dangerous shell commands (exit 1 on findings)", load: () => import("./scan.js") },
  keys: { summary: "create, rotate and export signing keys (HMAC, Ed25519 JWKS, AES)", load: () => import("./keys.js") },
  audit: { summary: "verify an audit log, print and check proofs, export decisions for a SIEM", load: () => import("./audit.js") },
  replay: { summary: "re-decide every logged action offline and confirm identical records", load: () => import("./replay.js") },
  serve: { summary: "run the HTTP decision sidecar (POST /v1/decide, /healthz, /metrics)", load: () => import("./serve.js") },
  mcp: { summary: "govern every tools/call of an MCP server (stdio or streamable-HTTP proxy)", load: () => import("./mcp.js") },
  approvals: { summary: "list, approve or deny held (ESCALATE) actions", load: () => import("./approvals.js") },
  drill: { summary: "fire a policy's known-bad test actions through the real interception point", load: () => import("./drill.js") },
};
