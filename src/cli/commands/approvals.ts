// `warden approvals list|approve|deny --dir D`: the local approval console for ESCALATE'd actions.
import { statSync } from "node:fs";
import { userInfo } from "node:os";
import { resolve } from "node:path";
import { ApprovalError, ApprovalStore, type ApprovalRecord, type ApprovalStatus } from "../../approvals/store.js";
import { flag, onePositional, parseSubcommandArgs, shown, subcommandOf, type FlagSpec } from "../args.js";
import { ExitError, type CliIO, type Command } from "../io.js";

export const USAGE = `usage:
  warden approvals list [--dir D] [--status pending|approved|denied|expired|all] [--json]
  warden approvals approve <id> [--dir D] [--by NAME] [--note TEXT] [--json]
  warden approvals deny <id> [--dir D] [--by NAME] [--note TEXT] [--json]
--dir defaults to $WARDEN_APPROVALS_DIR or ./.warden/approvals`;
const STATUSES = ["pending", "approved", "denied", "expired", "all"];

/** Each subcommand's own flags: `list --by bob` or `approve --status all` is refused, not ignored. */
export const SUBCOMMANDS: Record<string, FlagSpec> = {
  list: { values: ["dir", "status"], booleans: ["json"] },
  approve: { values: ["dir", "by", "note"], booleans: ["json"] },
  deny: { values: ["dir", "by", "note"], booleans: ["json"] },
};

export function approvalsDir(io: CliIO, given: string | undefined): string {
  return resolve(io.cwd, given ?? io.env.WARDEN_APPROVALS_DIR ?? ".warden/approvals");
}

/**
 * The console only reads and resolves what a proxy wrote, so the store must already exist: creating it here would
 * turn a mistyped --dir (or the wrong current directory) into an empty store that says "no pending approvals".
 */
function requireStoreDir(dir: string, sub: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") throw e;
    throw new ExitError(`warden approvals ${sub}: the approvals directory \`${dir}\` does not exist (\`warden mcp\` creates it when it starts; give the proxy's --approvals-dir as --dir, or set $WARDEN_APPROVALS_DIR)`);
  }
  if (!isDir) throw new ExitError(`warden approvals ${sub}: the approvals directory \`${dir}\` is a file, not a directory`);
}

export const run: Command = async (argv, io) => {
  const [given, ...rest] = argv;
  const sub = subcommandOf(given, SUBCOMMANDS, "approvals", USAGE);
  const args = parseSubcommandArgs(rest, SUBCOMMANDS, sub, "approvals");
  const dir = approvalsDir(io, flag(args, "dir"));
  requireStoreDir(dir, sub);
  const store = new ApprovalStore(dir);
  const json = args.bools.has("json");
  if (sub === "list") {
    if (args.positionals.length > 0) throw new ExitError(`warden approvals list: takes no arguments, got ${args.positionals.map(shown).join(" ")} (to approve one: warden approvals approve <id>)\n${USAGE}`);
    const status = flag(args, "status") ?? "pending";
    if (!STATUSES.includes(status)) throw new ExitError(`warden approvals list: --status is one of ${STATUSES.join(", ")}`);
    const list = store.list(status === "all" ? undefined : (status as ApprovalStatus));
    if (json) io.out(`${JSON.stringify(list)}\n`);
    else if (list.length === 0) io.out(`no ${status === "all" ? "" : `${status} `}approvals in ${store.file}\n`);
    else for (const r of list) io.out(describe(r));
    return 0;
  }
  const id = onePositional(args, `approvals ${sub}`, "the approval id (from `warden approvals list`)", USAGE);
  const by = flag(args, "by") ?? io.env.USER ?? safeUser();
  try {
    const r = store.resolve(id, sub === "approve" ? "approved" : "denied", by, flag(args, "note"));
    io.out(json ? `${JSON.stringify(r)}\n` : `${r.status}: ${id} (${r.request.action.tool ?? "?"}) by ${by}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ApprovalError) {
      if (json) io.out(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
      else io.err(`warden approvals ${sub}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
};

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

function describe(r: ApprovalRecord): string {
  const q = r.request;
  const agent = (q.action.agent as { id?: string } | undefined)?.id ?? "?";
  const res = r.resolution ? ` by ${r.resolution.by} at ${r.resolution.at}` : ` (expires ${q.expiresAt})`;
  return `${q.id}  ${r.status.toUpperCase().padEnd(8)} ${q.action.tool ?? "?"}  agent ${agent}  group ${q.group}${res}\n    ${q.code}: ${q.message}\n    args ${JSON.stringify(q.action.args ?? {}).slice(0, 300)}\n${q.masked ? `    sensitive, not shown: ${q.masked.join(" ")}\n` : ""}`;
}
