// Warden peer: finance-3.yaml (the scenario) and a generated 500-rule policy where only the same rules apply.
import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import type { CompiledPolicy, Decision } from "../../src/index.js";
import type { Engine } from "./engine.js";
import { RULE, type BenchAction } from "./scenario.js";

export const WARDEN_3_FILE = new URL("./finance-3.yaml", import.meta.url);
export const WARDEN_3_SOURCE = readFileSync(WARDEN_3_FILE, "utf8");

// The engine under test is the built dist/ (what users run, as in the cold-start processes; `npm run bench` builds
// it first), not src/ through the tsx loader. Types come from src/, which dist/ is compiled from.
const DIST = new URL("../../dist/index.js", import.meta.url).href;
const { compilePolicy, decide, decideLinear } = (await import(DIST)) as typeof import("../../src/index.js");

const SCENARIO_RULES = new Set<string>(Object.values(RULE));

export function compileOrThrow(source: string, file: string): CompiledPolicy {
  const r = compilePolicy(source, { file });
  if (!r.ok) throw new Error(`decide bench: ${file} does not compile:\n${r.diagnostics.map((d) => `  ${d.code}: ${d.message}`).join("\n")}`);
  return r.policy;
}

/** The full Decision is the answer; the check compares the verdict and every scenario rule that fired. */
export function wardenEngine(name: string, policy: CompiledPolicy, linear = false): Engine<Decision> {
  const fn = linear ? decideLinear : decide;
  return {
    name,
    decide: (a: BenchAction) => fn(policy, a),
    read: (d) => ({
      verdict: d.verdict,
      rulesKind: "all",
      // `declared-tools` (ALLOW) and `default` are bookkeeping of the policy, not scenario rules.
      rules: d.reasons.map((r) => r.rule).filter((id) => SCENARIO_RULES.has(id)),
    }),
  };
}

const OTHER_CLASSES = ["exec", "payment", "admin", "network", "storage"] as const;

/**
 * A policy of exactly `total` rules: the 4 rules of finance-3.yaml plus `total - 4` rules on 100 other
 * declared tools, other classes and other action kinds — none of which can apply to the benchmark's
 * requests (tools payments.send, ledger.*, and undeclared ones). A mix of operators, lists, globs and roles.
 */
export function generateLargePolicy(total: number): string {
  const doc = parse(WARDEN_3_SOURCE) as {
    id: string;
    lists: Record<string, string[]>;
    tools: Record<string, string>;
    rules: Array<Record<string, unknown>>;
  };
  doc.id = `decide-bench-${total}`;
  const nTools = 100;
  for (let t = 0; t < nTools; t++) doc.tools[`svc${t}.op${t % 7}`] = OTHER_CLASSES[t % OTHER_CLASSES.length] as string;
  for (let l = 0; l < 10; l++) doc.lists[`region-set-${l}`] = Array.from({ length: 20 }, (_, k) => `region-${l}-${k}`);
  const tool = (i: number): string => `svc${i % nTools}.op${(i % nTools) % 7}`;
  for (let i = 0; doc.rules.length < total; i++) {
    const id = `other-${i}`;
    const approval = { group: `approvers-${i % 5}`, timeout: "30min", on_timeout: "deny" };
    switch (i % 8) {
      case 0:
        doc.rules.push({ id, match: { tool: tool(i) }, when: { field: "args.size", gt: 1000 + i }, verdict: "BLOCK", code: "SIZE_LIMIT" });
        break;
      case 1:
        doc.rules.push({ id, match: { class: OTHER_CLASSES[i % 5], role: "viewer" }, verdict: "BLOCK", code: "ROLE_FORBIDDEN" });
        break;
      case 2:
        doc.rules.push({ id, match: { tool: `svc${i % nTools}.*` }, when: { any: [{ field: "args.region", not_in: { list: `region-set-${i % 10}` } }, { field: "args.count", gte: 50 }] }, verdict: "ESCALATE", code: "NEEDS_REVIEW", approval });
        break;
      case 3:
        doc.rules.push({ id, match: { kind: "model_call" }, when: { field: "args.model", starts_with: `model-${i}` }, verdict: "BLOCK", code: "MODEL_FORBIDDEN" });
        break;
      case 4:
        doc.rules.push({ id, match: { tool: tool(i), role: ["auditor", "viewer"] }, when: { field: "args.path", contains: `/secret-${i}` }, verdict: "BLOCK", code: "PATH_FORBIDDEN" });
        break;
      case 5:
        doc.rules.push({ id, match: { class: OTHER_CLASSES[i % 5] }, when: { all: [{ field: "args.amount", between: [i, i + 500] }, { field: "args.currency", ne: "USD" }] }, verdict: "ESCALATE", code: "FX_REVIEW", approval });
        break;
      case 6:
        doc.rules.push({ id, match: { kind: "message" }, when: { field: "text", ends_with: `-${i}` }, verdict: "BLOCK", code: "MESSAGE_FORBIDDEN" });
        break;
      default:
        doc.rules.push({ id, match: { tool: tool(i) }, when: { not: { field: "args.ticket", exists: true } }, verdict: "BLOCK", code: "TICKET_REQUIRED" });
    }
  }
  return stringify(doc, { lineWidth: 0 });
}
