// `warden serve --policy P [--host H] [--port N] [--token-file F]`: run the HTTP decision sidecar.
import { isPostgresTarget, storageFor } from "../../audit/target.js";
import { resolve } from "node:path";
import { pino } from "pino";
import { AuditSink } from "../../gateway/audit-sink.js";
import { Governor } from "../../gateway/governor.js";
import { watchPolicy } from "../../gateway/reload.js";
import { buildGateway, type Gateway } from "../../gateway/server.js";
import type { DecisionSink } from "../../gateway/sink.js";
import { MAX_DELAY_MS, flag, numberFlag, parseArgs, requireFlag, type ParsedArgs } from "../args.js";
import { logLevel } from "../log-level.js";
import { ExitError, type CliIO, type Command } from "../io.js";
import { requirePolicy } from "../policy-input.js";
import { INPUT_LIMITS, checkInputFile } from "../input-file.js";
import { secretFrom } from "../secrets.js";
import { makeDirs } from "../dirs.js";
import { waitForStop } from "../signals.js";
import { allowedHostsFlags } from "../allowed-hosts.js";

export const USAGE = `usage: warden serve --policy <policy.yaml> [--host H] [--port N] [--token-file F] [--admin-token-file F] [--allowed-hosts H,…] [--allowed-origins O,…]
       [--audit LOG --keys|--key KEYRING [--durability strict|batched] [--audit-on-full block|drop]] [--reload-ms N] [--shed-delay-ms N] [--log-level L] [--json]`;
const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** Reads a secret from a file (first line, trimmed) or an environment variable. */
export function readToken(io: CliIO, file: string | undefined, envName: string, what: string): string | null {
  const t = secretFrom(io, file, envName, what);
  if (t !== null && t.length < 16) throw new ExitError(`${file !== undefined ? `${what} in \`${file}\`` : envName} is too short (need at least 16 characters)`, 2);
  return t;
}

/** The signing keyring of `--keys` or its alias `--key`; both at once is a usage error (one would be ignored). */
export function keyringFlag(args: ParsedArgs, command: string): string | undefined {
  const key = flag(args, "key");
  const keys = flag(args, "keys");
  if (key !== undefined && keys !== undefined) throw new ExitError(`warden ${command}: --key and --keys are the same flag (the signing keyring); give it once`);
  return key ?? keys;
}

/** Opens the audit sink when --audit is given (it needs --keys). */
export async function openSink(io: CliIO, audit: string | undefined, keys: string | undefined, durability: string | undefined, command: string, onFull?: string, sensitive: readonly string[] = []): Promise<DecisionSink | null> {
  if (audit === undefined) {
    if (keys !== undefined) throw new ExitError(`warden ${command}: --key only makes sense with --audit LOG`);
    // both say how decisions are written to the log: without one, ignoring them would hide the missing --audit
    if (durability !== undefined) throw new ExitError(`warden ${command}: --durability only applies with --audit LOG (it sets how decisions are written to the audit log); add --audit LOG --key KEYRING, or drop --durability`);
    if (onFull !== undefined) throw new ExitError(`warden ${command}: --audit-on-full only applies with --audit LOG (it says what happens when the audit log falls behind); add --audit LOG --key KEYRING, or drop --audit-on-full`);
    return null;
  }
  if (keys === undefined) throw new ExitError(`warden ${command}: --audit needs --key <keyring> (create one with \`warden keys gen --out DIR\`)`);
  if (durability !== undefined && durability !== "strict" && durability !== "batched") throw new ExitError(`warden ${command}: --durability is strict or batched`);
  if (onFull !== undefined && onFull !== "block" && onFull !== "drop") throw new ExitError(`warden ${command}: --audit-on-full is block (decisions wait, then BLOCK) or drop (counted)`);
  checkInputFile(resolve(io.cwd, keys), keys, "key file", INPUT_LIMITS.key);
  // A PostgreSQL URL is a fleet log (as for `check --audit`), never a folder named after it.
  const pg = isPostgresTarget(audit);
  if (!pg) makeDirs(resolve(io.cwd, audit), command, "--audit", audit);
  const warnings: string[] = [];
  try {
    const storage = pg ? await storageFor(audit, io.cwd, "write") : null;
    // the storage's own name: a URL may carry a password, and state() shows the name on /healthz
    const sink = await AuditSink.open({ dir: storage ? storage.describe : resolve(io.cwd, audit), ...(storage ? { storage } : {}), keys: resolve(io.cwd, keys), ...(durability ? { durability: durability as "strict" | "batched" } : {}), ...(onFull ? { onFull: onFull as "block" | "drop" } : {}), sensitive }, warnings);
    for (const w of warnings) io.err(`warning: ${w}\n`);
    return sink;
  } catch (e) {
    throw new ExitError(`warden ${command}: cannot open audit log \`${audit}\`: ${(e as Error).message}`, 1);
  }
}

export const run: Command = async (argv, io) => {
  const args = parseArgs(argv, { values: ["policy", "host", "port", "token-file", "admin-token-file", "audit", "key", "keys", "durability", "audit-on-full", "reload-ms", "shed-delay-ms", "log-level"], repeatable: ["allowed-hosts", "allowed-origins"], booleans: ["json"] }, "serve");
  if (args.positionals.length > 0) throw new ExitError(USAGE);
  const allowed = allowedHostsFlags(args, "serve");
  const keyring = keyringFlag(args, "serve");
  const policyPath = resolve(io.cwd, requireFlag(args, "policy", "serve"));
  const port = numberFlag(args, "port", "serve", { min: 0, max: 65535, what: "a port number" }) ?? 8787;
  const reloadMs = numberFlag(args, "reload-ms", "serve", { min: 50, max: MAX_DELAY_MS, what: "a number of milliseconds", hint: " (how often the policy file is checked for changes)" }) ?? 1000;
  // Load shedding (off unless given): 503 OVERLOADED while the event loop lags more than this.
  const shedDelayMs = numberFlag(args, "shed-delay-ms", "serve", { min: 1, max: MAX_DELAY_MS, what: "a number of milliseconds" });
  const apiToken = readToken(io, flag(args, "token-file"), "WARDEN_API_TOKEN", "API token");
  const adminToken = readToken(io, flag(args, "admin-token-file"), "WARDEN_ADMIN_TOKEN", "admin token");
  let host = flag(args, "host") ?? "127.0.0.1";
  if (apiToken === null && !LOOPBACK.has(host)) {
    io.err(`WARNING: no API token (--token-file or WARDEN_API_TOKEN): refusing to bind \`${host}\`; binding 127.0.0.1 only\n`);
    host = "127.0.0.1";
  }
  if (apiToken !== null && adminToken !== null && apiToken === adminToken) throw new ExitError("warden serve: the admin token must differ from the API token");

  const policy = requirePolicy(policyPath, io, "serve");
  const logger = pino({ level: logLevel(flag(args, "log-level"), "serve"), base: { svc: "warden-serve" } }, pino.destination({ fd: 2, sync: false }));
  const sink = await openSink(io, flag(args, "audit"), keyring, flag(args, "durability"), "serve", flag(args, "audit-on-full"), policy.ir.sensitive);
  const governor = new Governor(policy, { sink });
  let gateway: Gateway | null = null;
  const watcher = watchPolicy(policyPath, governor, (o) => {
    gateway?.metrics.reload(o.ok);
    if (o.ok) {
      if (o.changed) logger.info({ hash: o.hash }, "policy reloaded");
    } else logger.error({ errors: o.errors, kept: o.keptHash }, "policy reload rejected; the running policy stays in force");
  }, reloadMs);
  gateway = buildGateway({ governor, apiToken, adminToken, logger, watcher, listenHost: host, ...allowed, ...(shedDelayMs !== undefined ? { maxEventLoopDelayMs: shedDelayMs } : {}) });
  let address: string;
  try {
    address = await gateway.app.listen({ host, port });
  } catch (e) {
    watcher.close();
    await sink?.close();
    throw new ExitError(`warden serve: cannot listen on ${host}:${port}: ${(e as Error).message}`, 1);
  }
  if (sink === null) io.err("note: no --audit LOG: decisions are enforced but not recorded\n");
  if (apiToken === null) io.err(`WARNING: warden serve is UNAUTHENTICATED (no --token-file or WARDEN_API_TOKEN); listening on loopback only\n`);
  const info = { listening: address, policy: policy.info, audit: sink ? sink.state() : null, authenticated: apiToken !== null, admin: adminToken !== null };
  io.out(args.bools.has("json") ? `${JSON.stringify(info)}\n` : `warden serve: policy \`${policy.id}\` v${policy.version} (${policy.info.hash}) on ${address}\n`);

  await waitForStop(() => void watcher.reload());
  watcher.close();
  await gateway.app.close();
  await sink?.close();
  logger.flush();
  return 0;
};
