// `warden audit verify|proof|verify-proof|export`: check a whole log (naming the first bad record), print
// proofs a third party checks with the public key alone, and export decisions for a SIEM.
import { resolve } from "node:path";
import { buildConsistencyProof, buildInclusionProof, verifyProofBundle } from "../../audit/proof.js";
import { AuditLogError } from "../../audit/storage.js";
import { storageFor } from "../../audit/target.js";
import { verifyLog, type VerifyReport } from "../../audit/verify.js";
import { parseHead, type TreeHeadV1 } from "../../audit/heads.js";
import { exportLog } from "../../audit/export.js";
import { loadKeys } from "../../keys/keyfile.js";
import { KeyError, type Keyring } from "../../keys/keyring.js";
import { flag, numberFlag, onePositional, parseSubcommandArgs, subcommandOf, type FlagSpec, type ParsedArgs } from "../args.js";
import { ExitError, type CliIO, type Command } from "../io.js";
import { parseJson, readInput } from "../policy-input.js";
import { INPUT_LIMITS, checkInputFile } from "../input-file.js";
import { writeOutputFile } from "../output-file.js";

export const USAGE = `usage:
  warden audit verify <log> [--key KEYRING|JWKS] [--expect-head HEAD.json]… [--allow-unsealed] [--deep] [--threads N] [--json]
  warden audit proof <log> --record N [--out FILE] [--json]
  warden audit proof <log> --consistency SIZE [--out FILE] [--json]
  warden audit verify-proof <proof.json|-> --key JWKS [--json]
  warden audit export <log> [--out FILE]        (JSON lines, with or without --json)
<log> is a directory or postgres://host:port/db#log-id`;

/** Each subcommand's own flags: a flag of another one (`verify --record 3`) is refused, not ignored. */
export const SUBCOMMANDS: Record<string, FlagSpec> = {
  verify: { values: ["key", "threads"], repeatable: ["expect-head"], booleans: ["allow-unsealed", "deep", "json"] },
  proof: { values: ["record", "consistency", "out"], booleans: ["json"] },
  "verify-proof": { values: ["key"], booleans: ["json"] },
  // --json is accepted and changes nothing: the export is JSON lines already
  export: { values: ["out"], booleans: ["json"] },
};

function keysFrom(args: ParsedArgs, io: CliIO, required: boolean): Keyring | null {
  const path = flag(args, "key");
  if (path === undefined) {
    if (required) throw new ExitError(`warden audit: --key is required (a JWKS from \`warden keys jwks\` is enough)\n${USAGE}`);
    return null;
  }
  const warnings: string[] = [];
  checkInputFile(resolve(io.cwd, path), path, "key file", INPUT_LIMITS.key);
  try {
    const keys = loadKeys(resolve(io.cwd, path), warnings);
    for (const w of warnings) io.err(`warning: ${w}\n`);
    return keys;
  } catch (e) {
    if (e instanceof KeyError) throw new ExitError(`warden audit: ${e.message}`, 2);
    throw e;
  }
}

/** The one positional argument: the log, or for verify-proof the proof file. */
function target(args: ParsedArgs, sub: string): string {
  return onePositional(args, `audit ${sub}`, sub === "verify-proof" ? "the proof file (or - for stdin)" : "the log (a folder, or postgres://host:port/db#log-id)", USAGE);
}

/** The log folder an --out must stay out of (none for a PostgreSQL log). */
function logInputs(args: ParsedArgs): string[] {
  const t = args.positionals[0];
  return t === undefined || /^postgres(ql)?:\/\//.test(t) ? [] : [t];
}

export const run: Command = async (argv, io) => {
  const [sub, ...rest] = argv;
  const args = parseSubcommandArgs(rest, SUBCOMMANDS, subcommandOf(sub, SUBCOMMANDS, "audit", USAGE), "audit");
  const json = args.bools.has("json");
  try {
    switch (sub) {
      case "verify": {
        const keys = keysFrom(args, io, false);
        const expectHeads = await readExpectedHeads(args.flags.get("expect-head") ?? [], io);
        if (expectHeads.length > 0 && keys === null) throw new ExitError("warden audit verify: --expect-head needs --key (the saved head's signature is checked)");
        const threads = numberFlag(args, "threads", "audit verify", { min: 1, max: 64, what: "a thread count", hint: " (1 checks inline; default: one per core for logs over 128 MiB)" });
        const storage = await storageFor(target(args, sub), io.cwd, "read");
        const report = await verifyLog(storage, { keys, expectHeads, allowUnsealed: args.bools.has("allow-unsealed"), deep: args.bools.has("deep"), ...(threads !== undefined ? { threads } : {}) }).finally(() => storage.close());
        io.out(json ? `${JSON.stringify(report)}\n` : describeVerify(report));
        return report.ok ? 0 : 1;
      }
      case "proof": {
        const rec = numberFlag(args, "record", "audit proof", { min: 0, max: Number.MAX_SAFE_INTEGER, what: "a record number" });
        const cons = numberFlag(args, "consistency", "audit proof", { min: 0, max: Number.MAX_SAFE_INTEGER, what: "a log size" });
        if ((rec === undefined) === (cons === undefined)) throw new ExitError(`warden audit proof: give exactly one of --record N and --consistency SIZE\n${USAGE}`);
        const n = (rec ?? cons) as number;
        // opened after the flags are checked: a usage error must not leave a log (or a database connection) open
        const storage = await storageFor(target(args, sub), io.cwd, "read");
        let bundle;
        try {
          bundle = rec !== undefined ? await buildInclusionProof(storage, n) : await buildConsistencyProof(storage, n);
        } catch (e) {
          if (e instanceof RangeError) throw new ExitError(`warden audit proof: ${e.message}`, 1);
          throw e;
        } finally {
          await storage.close();
        }
        const text = `${JSON.stringify(bundle, null, json ? undefined : 2)}\n`;
        const out = flag(args, "out");
        if (out !== undefined) {
          writeOutputFile("audit proof", io.cwd, out, text, logInputs(args));
          if (!json) io.out(`wrote ${bundle.type} proof to ${out}; check it with: warden audit verify-proof ${out} --key <jwks>\n`);
        } else io.out(text);
        return 0;
      }
      case "verify-proof": {
        const file = target(args, sub);
        const keys = keysFrom(args, io, true) as Keyring;
        const parsed = parseJson(await readInput(file, io, "proof", INPUT_LIMITS.proof), file);
        if (!parsed.ok) throw new ExitError(`warden audit verify-proof: ${parsed.message}`, 1);
        const r = verifyProofBundle(parsed.value, keys);
        if (json) io.out(`${JSON.stringify(r)}\n`);
        else if (r.ok) io.out(`ok: ${r.record ? `record ${r.record.seq} (${String(r.record.verdict)} ${String(r.record.tool)}) is in the log under the signed tree head` : "the later signed tree head extends the earlier one"}\n`);
        else io.out(`FAIL: ${r.errors.join("; ")}\n`);
        return r.ok ? 0 : 1;
      }
      case "export": {
        const storage = await storageFor(target(args, sub), io.cwd, "read");
        const out = flag(args, "out");
        const chunks: string[] = [];
        const r = await exportLog(storage, out === undefined ? (l) => io.out(l) : (l) => chunks.push(l)).finally(() => storage.close());
        if (out !== undefined) writeOutputFile("audit export", io.cwd, out, chunks.join(""), logInputs(args));
        io.err(`exported ${r.events} decision events${r.malformed ? ` (${r.malformed} malformed entries skipped: run \`warden audit verify\`)` : ""}\n`);
        for (const d of r.damage) io.err(`warden audit export: damaged log: ${d}\n`);
        return r.malformed || r.damage.length > 0 ? 1 : 0;
      }
      default:
        throw new ExitError(USAGE);
    }
  } catch (e) {
    if (e instanceof AuditLogError) throw new ExitError(`warden audit: ${e.message}`, 1);
    throw e;
  }
};

/** Saved tree heads: a TreeHeadV1 JSON file, or a proof bundle (its head, or both heads of a consistency proof). */
async function readExpectedHeads(paths: string[], io: CliIO): Promise<TreeHeadV1[]> {
  const heads: TreeHeadV1[] = [];
  for (const p of paths) {
    const parsed = parseJson(await readInput(p, io, "tree head", INPUT_LIMITS.proof), p);
    if (!parsed.ok) throw new ExitError(`warden audit verify: ${parsed.message}`);
    const v = parsed.value as { head?: unknown; from?: unknown; to?: unknown; sig?: unknown } | null;
    if (v === null || typeof v !== "object") throw new ExitError(`warden audit verify: \`${p}\` holds no tree head (expected a signed head, or a proof bundle with one)`);
    const found = (v.sig ? [v] : v.head ? [v.head] : [v.from, v.to].filter(Boolean)) as TreeHeadV1[];
    for (const h of found) {
      if (h === null || typeof h !== "object") throw new ExitError(`warden audit verify: \`${p}\` holds no valid tree head`);
      const ok = parseHead(JSON.stringify({ log: h.log, root: h.root, sig: h.sig, size: h.size, time: h.time, v: h.v }));
      if (typeof ok === "string") throw new ExitError(`warden audit verify: \`${p}\` holds no valid tree head (${ok})`);
      heads.push(ok);
    }
    if (found.length === 0) throw new ExitError(`warden audit verify: \`${p}\` holds no tree head`);
  }
  return heads;
}

function describeVerify(r: VerifyReport): string {
  const lines: string[] = [];
  lines.push(`${r.ok ? "ok" : "FAIL"} ${r.storage}: ${r.records} records, ${r.heads} signed tree heads, sealed up to ${r.sealed}`);
  lines.push(`  checked: ${r.checked.hmac} hmac, ${r.checked.ed25519} ed25519 record signatures, ${r.checked.heads} tree head signatures${r.unchecked ? `; ${r.unchecked} not checkable with the key given` : ""}`);
  if (r.root) lines.push(`  root: ${r.root}`);
  if (r.firstBad) {
    const b = r.firstBad;
    // a problem with a tree head (not with any one record) is named as such, not as record "-"
    lines.push(b.seq === null && b.head !== null ? `  first problem: tree head ${b.head}: ${b.reason}` : `  first bad record: ${b.seq ?? "-"}${b.head !== null ? ` (tree head ${b.head})` : ""}: ${b.reason}`);
  }
  for (const e of r.errors.slice(1, 10)) lines.push(`  also: ${e.seq !== null ? `record ${e.seq}` : `tree head ${e.head}`}: ${e.reason}`);
  if (r.errors.length > 10) lines.push(`  … ${r.errors.length - 10} more (use --json)`);
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return `${lines.join("\n")}\n`;
}
