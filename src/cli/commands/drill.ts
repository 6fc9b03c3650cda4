// `warden drill --policy P --target mcp|http`: fire the known-bad actions of the policy's own test file through
// the real interception point and confirm each is stopped; exit 1 if any gets through. `http` fires at a sidecar
// (one started on loopback, or a running one with --url / --token-file); `mcp` at a governed proxy it builds in
// front of the server (after `--`, or --upstream-url), and refuses --url / --token-file.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { DrillTargetError, drillHttp, type DrillCase, type DrillOutcome } from "../../gateway/drill-http.js";
import { drillMcp } from "../../mcp/drill.js";
import { parseCaseFile } from "../../testing/cases.js";
import type { Action } from "../../types.js";
import { flag, parseArgs, requireFlag } from "../args.js";
import { ExitError, type Command } from "../io.js";
import { requirePolicy } from "../policy-input.js";
import { readToken } from "./serve.js";
import { INPUT_LIMITS, readInputFile } from "../input-file.js";
import { upstreamHeaders } from "../upstream-token.js";

export const USAGE = `usage: warden drill --policy <policy.yaml> --target http|mcp [--cases <cases.test.yaml>] [--json]
       http: [--url http://host:port [--token-file F]]   (default: a sidecar started on loopback)
       mcp:  -- <server command> [args…]  or  --upstream-url URL [--upstream-token-file F]   (use a disposable server: a leak is real)`;

export const run: Command = async (argv, io) => {
  const args = parseArgs(argv, { values: ["policy", "target", "cases", "url", "token-file", "upstream-url", "upstream-token-file"], booleans: ["json"] }, "drill");
  if (args.positionals.length > 0) throw new ExitError(USAGE);
  const policyArg = requireFlag(args, "policy", "drill");
  const target = requireFlag(args, "target", "drill");
  if (target !== "http" && target !== "mcp") throw new ExitError(`warden drill: --target is http or mcp\n${USAGE}`);
  const upstreamUrl = flag(args, "upstream-url");
  if (target === "mcp" && (args.rest.length === 0) === (upstreamUrl === undefined)) throw new ExitError(`warden drill: --target mcp needs the server command after \`--\` or --upstream-url\n${USAGE}`);
  if (target === "http" && (args.rest.length > 0 || upstreamUrl !== undefined)) throw new ExitError("warden drill: --target http takes no server command (use --url for a running sidecar)");
  // --url and --token-file name a running sidecar. Accepted and ignored elsewhere, they would let a drill pass
  // against something other than what the user meant to test, so they are refused.
  if (target === "mcp" && flag(args, "url") !== undefined) {
    throw new ExitError(
      "warden drill: --url is for --target http (a running sidecar). --target mcp drills a governed proxy it builds from --policy in front of the " +
        "server: give the server command after `--`, or a streamable-HTTP server with --upstream-url. A running `warden mcp` proxy cannot be drilled " +
        "(a call that got through would really run, under the proxy's agent identity rather than the case's)",
    );
  }
  if (target === "mcp" && flag(args, "token-file") !== undefined) {
    throw new ExitError("warden drill: --token-file is the API token of a running sidecar (--target http --url); for a token the --upstream-url server expects, use --upstream-token-file");
  }
  if (flag(args, "upstream-token-file") !== undefined && upstreamUrl === undefined) {
    throw new ExitError("warden drill: --upstream-token-file is the token of the --upstream-url server (--target mcp); give --upstream-url too");
  }
  if (target === "http" && flag(args, "token-file") !== undefined && flag(args, "url") === undefined) {
    throw new ExitError("warden drill: --token-file is the API token of a running sidecar: give its --url too (without --url the drill starts a sidecar of its own, which needs no token)");
  }
  const policy = requirePolicy(policyArg, io, "drill", args.bools.has("json"));
  const casesPath = resolve(io.cwd, flag(args, "cases") ?? policyArg.replace(/\.(ya?ml|json)$/, "") + ".test.yaml");
  if (!existsSync(casesPath)) throw new ExitError(`warden drill: no test file \`${casesPath}\` (give one with --cases)`, 2);
  const text = readInputFile(casesPath, casesPath, "test cases", INPUT_LIMITS.cases);
  let file;
  try {
    file = parseCaseFile(text);
  } catch (e) {
    throw new ExitError(`warden drill: ${casesPath}: ${(e as Error).message}`, 2);
  }
  const cases: DrillCase[] = [];
  const skipped: Array<{ name: string; why: string }> = [];
  for (const c of file.cases) {
    if (c.expect.verdict !== "BLOCK") continue;
    const a = c.action as Action;
    if (c.before && c.before.length > 0) skipped.push({ name: c.name, why: "needs `before` setup steps" });
    else if (target === "mcp" && (a?.kind !== "tool_call" || typeof a.tool !== "string")) skipped.push({ name: c.name, why: "not a tool_call" });
    else cases.push({ name: c.name, action: a, expectCodes: c.expect.codes ?? [] });
  }
  if (cases.length === 0) throw new ExitError(`warden drill: \`${casesPath}\` has no BLOCK cases to fire${skipped.length ? ` (${skipped.length} skipped)` : ""}`, 2);

  let results: DrillOutcome[];
  if (target === "http") {
    const token = readToken(io, flag(args, "token-file"), "WARDEN_API_TOKEN", "API token");
    const url = flag(args, "url");
    try {
      results = await drillHttp(policy, cases, { ...(url ? { url } : {}), ...(token ? { token } : {}) });
    } catch (e) {
      if (e instanceof DrillTargetError) throw new ExitError(`warden drill: ${e.message}`, 1);
      throw e;
    }
  } else {
    const [command, ...rest] = args.rest as [string, ...string[]];
    const headers = upstreamUrl !== undefined ? upstreamHeaders(io, flag(args, "upstream-token-file"), "drill") : null;
    try {
      results = await drillMcp(policy, cases, upstreamUrl !== undefined ? { url: upstreamUrl, headers } : { command, args: rest, cwd: io.cwd });
    } catch (e) {
      throw new ExitError(`warden drill: cannot reach the MCP server \`${upstreamUrl ?? command}\`: ${(e as Error).message}`, 1);
    }
  }
  const through = results.filter((r) => !r.stopped);
  // A running sidecar (--url) may run another policy than --policy: say which one decided.
  const others = [...new Map(results.flatMap((r) => (r.policy && r.policy.hash !== policy.hash ? [[r.policy.hash, r.policy] as const] : []))).values()];
  const mismatch = others.map((p) => `the target decided with policy \`${p.id}\` v${p.version} (${p.hash}), not --policy's \`${policy.id}\` v${policy.version} (${policy.hash}): these results are that policy's`);
  for (const m of mismatch) io.err(`warning: ${m}\n`);
  if (args.bools.has("json")) io.out(`${JSON.stringify({ target, policy: policy.info, decidedBy: others, cases: casesPath, fired: results.length, stopped: results.length - through.length, through: through.length, results, skipped })}\n`);
  else {
    for (const r of results) {
      const note = r.stopped && r.missingCodes.length ? ` (expected ${r.missingCodes.join(", ")})` : "";
      io.out(`${r.stopped ? "STOPPED" : "THROUGH"}  ${r.verdict.padEnd(8)} ${r.codes.join(",").padEnd(24)} ${r.name}${note}${r.stopped ? "" : `\n         ${r.detail}`}\n`);
    }
    for (const s of skipped) io.out(`SKIPPED  ${s.name}: ${s.why}\n`);
    io.out(`${"-".repeat(40)}\ndrill (${target}) of policy \`${policy.id}\` v${policy.version}: ${results.length} known-bad actions fired, ${results.length - through.length} stopped, ${through.length} got through\n`);
  }
  return through.length === 0 ? 0 : 1;
};
