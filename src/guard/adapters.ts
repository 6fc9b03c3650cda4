// Thin adapters of guard() for agent frameworks, typed structurally so Warden does not depend on them:
// Vercel AI SDK tool sets, LangChain.js tools, and OpenAI Agents SDK `execute` functions.
import { guard, type GuardOptions } from "./guard.js";

type AnyFn = (input: never, ...rest: never[]) => unknown;

/**
 * Vercel AI SDK (`ai`): returns the tool set with every `execute` guarded under its key as the tool name.
 * A stopped call throws WardenBlockedError; the SDK turns it into a `tool-error` the model sees.
 */
export function guardAiSdkTools<T extends Record<string, { execute?: AnyFn }>>(tools: T, options: Omit<GuardOptions, "name">): T {
  const out: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(tools)) {
    const execute = t.execute as ((input: unknown, ...rest: unknown[]) => Promise<unknown>) | undefined;
    out[name] = execute ? { ...t, execute: guard(async (input: unknown, ...rest: unknown[]) => execute(input, ...rest), { ...options, name }) } : t;
  }
  return out as T;
}

/**
 * LangChain.js: a copy of a `tool()` / DynamicStructuredTool / DynamicTool whose `func` is guarded under the
 * tool's name. The original tool is left untouched. A stopped call throws WardenBlockedError (LangGraph's
 * ToolNode turns it into an error ToolMessage).
 */
export function guardLangChainTool<T extends { name: string; func: AnyFn }>(tool: T, options: Omit<GuardOptions, "name"> & { name?: string }): T {
  const func = tool.func as unknown as (input: unknown, ...rest: unknown[]) => Promise<unknown>;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(tool) as object) as T, tool);
  (copy as { func: unknown }).func = guard(async (input: unknown, ...rest: unknown[]) => func.call(tool, input, ...rest), { ...options, name: options.name ?? tool.name });
  return copy;
}

/**
 * OpenAI Agents SDK (`@openai/agents`): a guarded `execute` for `tool({ name, parameters, execute })`.
 * A stopped call throws WardenBlockedError; the SDK's error function hands its message to the model.
 */
export function guardAgentsExecute<A, R, Rest extends unknown[]>(name: string, execute: (input: A, ...rest: Rest) => Promise<R>, options: Omit<GuardOptions, "name">): (input: A, ...rest: Rest) => Promise<R> {
  return guard(execute, { ...options, name });
}
