// `warden check --policy P (--action A.json | --trace T.jsonl)`: decide one action or a stream, in order.
import { decide, engineBlock } from "../../engine/decide.js";
import { recordable } from "../../engine/recordable.js";
import { explainDecision } from "../../engine/explain.js";
import { MemoryThrottleStore } from "../../engine/throttle-store.js";
import { VERDICTS, type Decision, type Verdict } from "../../types.js";
import { flag, parseArgs, requireFlag } from "../args.js";
import { ExitError, type CliIO, type Command } from "../io.js";
import { parseJson, readInput, requirePolicy } from "../policy-input.js";
import { INPUT_LIMITS } from "../input-file.js";
import type { CompiledPolicy } from "../../compile/build.js";
import { AUDIT_FLAGS, openAuditHook } from "../audit-hook.js";
import type { Recorder } from "../../audit/recorder.js";

export const USAGE = `usage: warden check --policy <policy.yaml> (--action <action.json|-> | --trace <actions.jsonl|->) [--fail-on VERDICT] [--json]
       [--audit LOG --key KEYRING [--durability strict|batched]]   record every decision; LOG is a directory or postgres://host:port/db#log-id`;

export const run: Command = async (argv, io) => {
  const args = parseArgs(argv, { values: ["policy", "action", "trace", "fail-on", ...AUDIT_FLAGS], booleans: ["json"] }, "check");
  const policyPath = requireFlag(args, "policy", "check");
  const actionPath = flag(args, "action");
  const tracePath = flag(args, "trace");
  if ((actionPath === undefined) === (tracePath === undefined) || args.positionals.length > 0) throw new ExitError(`${USAGE}\n(give exactly one of --action and --trace)`);
  const failOn = flag(args, "fail-on");
  if (failOn !== undefined && !(VERDICTS as readonly string[]).includes(failOn)) throw new ExitError(`warden check: --fail-on takes one of ${VERDICTS.join(", ")}`);
  const policy = requirePolicy(policyPath, io, "check", args.bools.has("json"));
  const json = args.bools.has("json");
  const recorder = await openAuditHook(args, policy, io, "check");
  try {
    return await checkInputs(policy, actionPath, tracePath, io, json, failOn as Verdict | undefined, recorder);
  } finally {
    // Every exit path closes the log: a run stopped by a write error (or by anything else) left a PostgreSQL log's
    // pool and advisory lock open, so the process never exited, and a folder log's LOCK behind. Closing twice is a
    // no-op; close() is bounded (blockTimeoutMs per step). Its own error here is not the news: the one thrown is.
    if (recorder) await recorder.close().catch(() => {});
  }
};

async function checkInputs(policy: CompiledPolicy, actionPath: string | undefined, tracePath: string | undefined, io: CliIO, json: boolean, failOn: Verdict | undefined, recorder: Recorder | null): Promise<number> {
  if (actionPath !== undefined) {
    const text = await readInput(actionPath, io, "action", INPUT_LIMITS.action);
    const parsed = parseJson(text, actionPath);
    let d = parsed.ok ? decide(policy, parsed.value) : engineBlock(policy.info, "engine", "INVALID_ACTION", parsed.message);
    if (recorder) {
      if (parsed.ok) d = recordable(parsed.value, d);
      await recorder.record(parsed.ok ? parsed.value : text, d, parsed.ok ? undefined : parsed.message);
      await recorder.close();
    }
    io.out(json ? `${JSON.stringify(d)}\n` : explainDecision(d));
    return d.verdict === "ALLOW" ? 0 : 1;
  }
  return checkTrace(policy, await readInput(tracePath as string, io, "trace", INPUT_LIMITS.trace), tracePath as string, io, json, failOn, recorder);
}

async function checkTrace(policy: CompiledPolicy, text: string, file: string, io: CliIO, json: boolean, failOn: Verdict | undefined, recorder: Recorder | null): Promise<number> {
  const store = new MemoryThrottleStore();
  const state = { throttle: store };
  const counts: Record<string, number> = Object.fromEntries(VERDICTS.map((v) => [v, 0]));
  const wouldBe: Record<string, number> = Object.fromEntries(VERDICTS.map((v) => [v, 0]));
  const codes: Record<string, number> = {};
  let total = 0;
  let malformed = 0;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "" || line.startsWith("//")) continue;
    total++;
    const parsed = parseJson(line, file, i + 1);
    let d: Decision;
    if (parsed.ok) {
      d = decide(policy, parsed.value, state);
      if (recorder) d = recordable(parsed.value, d);
    } else {
      malformed++;
      d = engineBlock(policy.info, "engine", "INVALID_ACTION", parsed.message);
    }
    store.commit(d);
    if (recorder) await recorder.record(parsed.ok ? parsed.value : line, d, parsed.ok ? undefined : parsed.message);
    counts[d.verdict] = (counts[d.verdict] ?? 0) + 1;
    const effective = d.shadowVerdict ?? d.verdict;
    wouldBe[effective] = (wouldBe[effective] ?? 0) + 1;
    for (const r of d.enforced ? d.reasons : d.shadow) if (r.verdict !== "ALLOW") codes[r.code] = (codes[r.code] ?? 0) + 1;
    if (json) io.out(`${JSON.stringify(d)}\n`);
    else {
      const top = (d.enforced ? d.reasons : d.shadow).find((r) => r.verdict === effective);
      const tool = parsed.ok && typeof (parsed.value as { tool?: unknown })?.tool === "string" ? (parsed.value as { tool: string }).tool : "?";
      const shadowNote = d.enforced ? "" : ` (shadow: would be ${effective})`;
      io.out(`${String(i + 1).padStart(4)}  ${d.verdict.padEnd(8)} ${tool.padEnd(20)} ${top ? `${top.code}: ${top.message}` : ""}${shadowNote}\n`);
    }
  }
  if (recorder) {
    const a = await recorder.close();
    io.err(`audit: ${a.size} records in log ${a.log} (sealed at ${a.headSize}${a.dropped ? `, ${a.dropped} dropped` : ""})\n`);
  }
  const shadowMode = policy.mode === "shadow";
  const summary = { summary: { policy: policy.info, actions: total, malformed, verdicts: counts, ...(shadowMode ? { wouldHaveBeen: wouldBe } : {}), reasonCodes: codes } };
  if (json) io.out(`${JSON.stringify(summary)}\n`);
  else {
    io.out(`\n${total} actions under policy \`${policy.id}\` v${policy.version}${shadowMode ? " (shadow mode: nothing enforced)" : ""}\n`);
    for (const v of VERDICTS) io.out(`  ${v.padEnd(8)} ${counts[v]}${shadowMode ? `   would have been: ${wouldBe[v]}` : ""}\n`);
    const top = Object.entries(codes).sort((a, b) => b[1] - a[1]);
    if (top.length) io.out(`reason codes: ${top.map(([c, n]) => `${c} ×${n}`).join(", ")}\n`);
    if (malformed) io.out(`${malformed} malformed line(s) were blocked\n`);
  }
  if (malformed > 0) return 1;
  if (failOn !== undefined && (counts[failOn] ?? 0) > 0) return 1;
  return 0;
}
