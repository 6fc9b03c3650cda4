// `warden replay <log> --policy P [--key KEYRING]`: re-decide every stored action offline and confirm
// the same verdict, reasons and record hash; on drift show the record, old and new decision, exit 1.
import { resolve } from "node:path";
import { AuditLogError } from "../../audit/storage.js";
import { storageFor } from "../../audit/target.js";
import { loadKeys } from "../../keys/keyfile.js";
import { KeyError } from "../../keys/keyring.js";
import { replayLog, type ReplayDrift, type ReplayReport } from "../../record/replay.js";
import { flag, numberFlag, parseArgs, requireFlag } from "../args.js";
import { ExitError, type Command } from "../io.js";
import { requirePolicy } from "../policy-input.js";
import { INPUT_LIMITS, checkInputFile } from "../input-file.js";

export const USAGE = "usage: warden replay <log> --policy <policy.yaml|artifact> [--key KEYRING] [--max-drift N] [--allow-skipped] [--json]";

export const run: Command = async (argv, io) => {
  const args = parseArgs(argv, { values: ["policy", "key", "max-drift"], booleans: ["json", "allow-skipped"] }, "replay");
  const target = args.positionals[0];
  if (target === undefined || args.positionals.length > 1) throw new ExitError(USAGE);
  const policy = requirePolicy(requireFlag(args, "policy", "replay"), io, "replay", args.bools.has("json"));
  const keyPath = flag(args, "key");
  let keys = null;
  if (keyPath !== undefined) {
    checkInputFile(resolve(io.cwd, keyPath), keyPath, "key file", INPUT_LIMITS.key);
    try {
      const warnings: string[] = [];
      keys = loadKeys(resolve(io.cwd, keyPath), warnings);
      for (const w of warnings) io.err(`warning: ${w}\n`);
    } catch (e) {
      if (e instanceof KeyError) throw new ExitError(`warden replay: ${e.message}`, 2);
      throw e;
    }
  }
  const maxDrift = numberFlag(args, "max-drift", "replay", { min: 0, max: Number.MAX_SAFE_INTEGER, what: "a count of drifted records to show" }) ?? 20;
  const storage = await storageFor(target, io.cwd, "read");
  let report: ReplayReport;
  try {
    report = await replayLog(storage, { policy, keys, maxDrift });
  } catch (e) {
    if (e instanceof AuditLogError) throw new ExitError(`warden replay: ${e.message}`, 1);
    throw e;
  } finally {
    await storage.close();
  }
  const ok = report.drifted === 0 && report.damage.length === 0 && (report.skipped.length === 0 || args.bools.has("allow-skipped"));
  if (args.bools.has("json")) {
    io.out(`${JSON.stringify({ ...report, ok })}\n`);
    return ok ? 0 : 1;
  }
  io.out(`${ok ? "ok" : "FAIL"} ${target}: ${report.records} records, ${report.replayed} replayed, ${report.matched} identical (verdict, reasons, record hash), ${report.drifted} drifted, ${report.skipped.length} skipped\n`);
  for (const d of report.damage) io.out(`  damaged log: ${d}\n`);
  if (report.approvals) io.out(`  ${report.approvals} of the replayed records are approval outcomes (re-derived with approvalDecision(), bindings checked)\n`);
  if (report.policyMismatch) io.out(`  note: ${report.policyMismatch} records were decided under a different policy hash than \`${policy.hash}\`\n`);
  if (Object.keys(report.differs).length) io.out(`  what differs: ${Object.entries(report.differs).map(([k, v]) => `${k} ×${v}`).join(", ")}\n`);
  for (const d of report.drift) io.out(describeDrift(d));
  // --max-drift caps the `drift` list of --json as well, so only raising it shows the rest
  const hidden = report.drifted - report.drift.length;
  if (hidden > 0) io.out(`… ${hidden} ${report.drift.length > 0 ? "more " : ""}drifted record${hidden === 1 ? "" : "s"} not shown: --max-drift ${maxDrift} caps the details, in --json too; raise it to see them\n`);
  for (const s of report.skipped.slice(0, 5)) io.out(`  skipped record ${s.seq}: ${s.reason}\n`);
  if (report.skipped.length > 5) io.out(`  … ${report.skipped.length - 5} more skipped\n`);
  return ok ? 0 : 1;
};

function describeDrift(d: ReplayDrift): string {
  const r = d.record;
  const reasons = (list: Array<{ code: string; rule: string }>): string => list.map((x) => `${x.code} (${x.rule})`).join(", ") || "-";
  return [
    `\ndrift at record ${d.seq} (${r.id}): ${d.differs.join(", ")}`,
    `  action:   ${r.kind ?? "?"} ${r.tool ?? "?"} by ${r.agent ?? "?"} at ${r.at ?? "?"}  input ${r.inputHash}`,
    `  recorded: ${r.verdict}${r.enforced ? "" : " (not enforced)"}  reasons ${reasons(r.reasons)}  policy ${r.policy.id} v${r.policy.version} ${r.policy.hash}`,
    `  replayed: ${d.replayed.verdict}${d.replayed.enforced ? "" : " (not enforced)"}  reasons ${reasons(d.replayed.reasons)}  policy ${d.replayed.policy.id} v${d.replayed.policy.version} ${d.replayed.policy.hash}`,
    `  record hash: ${d.recordHash} -> ${d.replayedHash}`,
    ...(d.problems ?? []).map((p) => `  problem: ${p}`),
    "",
  ].join("\n");
}
