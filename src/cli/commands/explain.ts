// `warden explain --policy P --action A.json`: the decision, in plain words.
import { engineBlock, decide } from "../../engine/decide.js";
import { explainDecision } from "../../engine/explain.js";
import { parseArgs, requireFlag } from "../args.js";
import type { Command } from "../io.js";
import { parseJson, readInput, requirePolicy } from "../policy-input.js";
import { INPUT_LIMITS } from "../input-file.js";

export const USAGE = "usage: warden explain --policy <policy.yaml> --action <action.json|-> [--json]";

export const run: Command = async (argv, io) => {
  const args = parseArgs(argv, { values: ["policy", "action"], booleans: ["json"] }, "explain");
  const policy = requirePolicy(requireFlag(args, "policy", "explain"), io, "explain", args.bools.has("json"));
  const actionPath = requireFlag(args, "action", "explain");
  const parsed = parseJson(await readInput(actionPath, io, "action", INPUT_LIMITS.action), actionPath);
  const d = parsed.ok ? decide(policy, parsed.value) : engineBlock(policy.info, "engine", "INVALID_ACTION", parsed.message);
  const text = explainDecision(d);
  io.out(args.bools.has("json") ? `${JSON.stringify({ decision: d, explanation: text })}\n` : text);
  return 0;
};
