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
    const execute = t.execute as ((input: unknown, ...rest: unknown[]) => unknown) | undefined;
    out[name] = execute ? { ...t, execute: guardAiSdkExecute(name, execute, options) } : t;
  }
  return out as T;
}

type AiExecute = (input: unknown, ...rest: unknown[]) => unknown;

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> => typeof (v as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] === "function";

/**
 * The SDK streams preliminary results only when `execute` returns an async iterable at once (not a Promise of
 * one: that reaches the model as the generator object itself and fails to clone). So an `async function*`
 * execute stays a generator, whose first step decides and whose later steps are the tool's own. Any other
 * execute must be decided before it is called, so its result is a Promise: an async iterable it returns is
 * drained to its last value, the final result the SDK would have taken (its preliminary results are lost).
 */
function guardAiSdkExecute(name: string, execute: AiExecute, options: Omit<GuardOptions, "name">): AiExecute {
  const guarded = guard(async (input: unknown, ...rest: unknown[]) => execute(input, ...rest), { ...options, name });
  if ((execute as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === "AsyncGeneratorFunction") {
    return async function* (input: unknown, ...rest: unknown[]) {
      // A stopped call throws here, on the first step: the SDK reports it as a tool-error and the body never runs.
      const stream = (await guarded(input, ...rest)) as AsyncIterable<unknown>;
      yield* stream;
    };
  }
  return async (input: unknown, ...rest: unknown[]) => {
    const result = await guarded(input, ...rest);
    if (!isAsyncIterable(result)) return result;
    let last: unknown;
    for await (const output of result) last = output;
    return last;
  };
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
