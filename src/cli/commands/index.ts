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
  scan: { summary: "scan text for prompt injection, secrets, PII and dangerous shell commands (exit 1 on findings)", load: async () => (await import("./scan.js")).run },
  keys: { summary: "create, rotate and export signing keys (HMAC, Ed25519 JWKS, AES)", load: async () => (await import("./keys.js")).run },
  audit: { summary: "verify an audit log, print and check proofs, export decisions for a SIEM", load: async () => (await import("./audit.js")).run },
  replay: { summary: "re-decide every logged action offline and confirm identical records", load: async () => (await import("./replay.js")).run },
  serve: { summary: "run the HTTP decision sidecar (POST /v1/decide, /healthz, /metrics)", load: async () => (await import("./serve.js")).run },
  mcp: { summary: "govern every tools/call of an MCP server (stdio proxy)", load: async () => (await import("./mcp.js")).run },
  approvals: { summary: "list, approve or deny held (ESCALATE) actions", load: async () => (await import("./approvals.js")).run },
  drill: { summary: "fire a policy's known-bad test actions through the real interception point", load: async () => (await import("./drill.js")).run },
};
