// A server's sampling/createMessage is a model call made with the agent's model: it becomes an Action of
// kind model_call, and its Decision becomes forward (maybe modified), hold, or refuse.
import type { CreateMessageRequest } from "@modelcontextprotocol/sdk/types.js";
import type { Action, Decision, Reason } from "../types.js";
import { decidingReason, type ProxyRefusal } from "./enforce.js";

type Params = CreateMessageRequest["params"];

export type SamplingPlan =
  | { kind: "forward"; params: Params }
  | { kind: "hold"; reason: Reason; params: Params }
  | { kind: "refuse"; text: string; refusal?: ProxyRefusal };

export const SAMPLING = "sampling/createMessage";
export const NOT_SENT = "The request was not sent to the model.";

/** The prompt text the policy scans: the system prompt, then every text block of every message. */
function promptText(params: Params): string {
  const out: string[] = [];
  if (typeof params.systemPrompt === "string") out.push(params.systemPrompt);
  for (const m of params.messages ?? []) {
    const blocks: unknown[] = Array.isArray(m.content) ? m.content : [m.content];
    for (const b of blocks) {
      const block = b as { type?: unknown; text?: unknown };
      if (block?.type === "text" && typeof block.text === "string") out.push(block.text);
    }
  }
  return out.join("\n");
}

/**
 * `{kind: model_call, at, text, args, model?, agent, context: {via: mcp, server, request}}`: `args` is the
 * request's parameters (messages, systemPrompt, maxTokens, modelPreferences, …) without `_meta`; `model` is
 * the server's first model hint, when it gives one.
 */
export function samplingAction(params: Params, at: string, server: string, agent: Action["agent"] | undefined): Action {
  const { _meta: _ignored, ...args } = params as Params & { _meta?: unknown };
  const action: Action = { kind: "model_call", at, text: promptText(params), args: args as Record<string, unknown>, context: { via: "mcp", server, request: SAMPLING } };
  const hint = params.modelPreferences?.hints?.[0]?.name;
  if (typeof hint === "string") action.model = hint;
  if (agent) action.agent = agent;
  return action;
}

function describe(d: Decision, lead: string): string {
  const r = decidingReason(d);
  const why = r ? `${r.code}: ${r.message} (rule \`${r.rule}\`)` : "no reason given";
  return `${lead} a sampling request under policy \`${d.policy.id}\` v${d.policy.version}: ${why}.`;
}

export function planSampling(params: Params, d: Decision): SamplingPlan {
  switch (d.verdict) {
    case "ALLOW":
      return { kind: "forward", params };
    case "MODIFY": {
      const m = d.obligations.modify;
      // Only changes to `args.*` map back onto the request; a change to the derived `text` cannot be enforced.
      if (!m || m.changes.some((c) => c.applied && !c.field.startsWith("args."))) return { kind: "refuse", refusal: "MODIFY_UNAVAILABLE", text: `${describe(d, "Warden could not apply the required changes to")} ${NOT_SENT}` };
      return { kind: "forward", params: withArgs(params, m.action.args) };
    }
    case "ESCALATE": {
      const r = decidingReason(d);
      if (!r) return { kind: "refuse", refusal: "ESCALATE_WITHOUT_REASON", text: `${describe(d, "Warden held")} ${NOT_SENT}` };
      const m = d.obligations.modify;
      if (m && m.changes.some((c) => c.applied && !c.field.startsWith("args."))) return { kind: "refuse", refusal: "MODIFY_UNAVAILABLE", text: `${describe(d, "Warden could not apply the required changes to")} ${NOT_SENT}` };
      return { kind: "hold", reason: r, params: m ? withArgs(params, m.action.args) : params };
    }
    case "THROTTLE":
      return { kind: "refuse", text: `${describe(d, "Warden throttled")} ${NOT_SENT} Retry after ${d.obligations.retryAfterMs} ms.` };
    case "SANDBOX":
      return { kind: "refuse", refusal: "SANDBOX_UNAVAILABLE", text: `${describe(d, "Warden requires a sandbox for")} A model call cannot run in a sandbox, so it is refused. ${NOT_SENT}` };
    default:
      return { kind: "refuse", text: `${describe(d, "Warden blocked")} ${NOT_SENT}` };
  }
}

function withArgs(params: Params, args: Record<string, unknown> | undefined): Params {
  const meta = (params as { _meta?: unknown })._meta;
  return { ...((args ?? params) as Params), ...(meta !== undefined ? { _meta: meta } : {}) } as Params;
}
