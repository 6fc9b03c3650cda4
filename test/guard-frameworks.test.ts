// guard() adapters end to end with the real frameworks, calling tools the way each framework does (no LLM):
// the Vercel AI SDK's generateText driven by its own MockLanguageModelV3, LangChain.js tool.invoke with a
// ToolCall, and the OpenAI Agents SDK's FunctionTool.invoke with the model's JSON arguments.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateText, stepCountIs, tool as aiTool } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { tool as lcTool } from "@langchain/core/tools";
import { RunContext, tool as agentsTool } from "@openai/agents-core";
import { z } from "zod";
import { compilePolicy } from "../src/compile/compile.js";
import { guardAgentsExecute, guardAiSdkTools, guardLangChainTool, WardenBlockedError } from "../src/guard/index.js";

const compiled = compilePolicy(`
id: frameworks
version: "1"
default: BLOCK
tools: { pay: write }
lists: { payees: [acme, globex] }
rules:
  - { id: declared, match: { class: write }, verdict: ALLOW }
  - id: payee-allowlist
    match: { tool: pay }
    when: { field: args.payee, not_in: { list: payees } }
    verdict: BLOCK
    code: PAYEE_NOT_ALLOWED
    message: "payee \`{args.payee}\` is not allowlisted"
  - id: cap-amount
    match: { tool: pay }
    when: { field: args.amount, gt: 1000 }
    verdict: MODIFY
    code: AMOUNT_CAPPED
    modify: [ { clamp: args.amount, max: 1000 } ]
`);
assert.ok(compiled.ok, JSON.stringify(compiled.diagnostics));
const policy = compiled.policy;
const payArgs = z.object({ payee: z.string(), amount: z.number() });

function bank() {
  const sent: Array<{ payee: string; amount: number }> = [];
  return { sent, pay: async (a: { payee: string; amount: number }) => (sent.push(a), `sent ${a.amount} to ${a.payee}`) };
}

test("Vercel AI SDK: generateText runs allowed and modified tool calls and reports the blocked one as a tool error", async () => {
  const b = bank();
  const tools = guardAiSdkTools({ pay: aiTool({ description: "send a payment", inputSchema: payArgs, execute: b.pay }) }, { policy, agent: { id: "ai-agent" } });
  let step = 0;
  const model = new MockLanguageModelV3({
    doGenerate: async () => {
      step++;
      const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
      if (step > 1) return { content: [{ type: "text", text: "done" }], finishReason: { unified: "stop", raw: "stop" }, usage, warnings: [] };
      return {
        content: [
          { type: "tool-call", toolCallId: "c1", toolName: "pay", input: JSON.stringify({ payee: "acme", amount: 50 }) },
          { type: "tool-call", toolCallId: "c2", toolName: "pay", input: JSON.stringify({ payee: "mallory", amount: 50 }) },
          { type: "tool-call", toolCallId: "c3", toolName: "pay", input: JSON.stringify({ payee: "globex", amount: 99999 }) },
        ],
        finishReason: { unified: "tool-calls", raw: "tool_calls" },
        usage,
        warnings: [],
      };
    },
  });
  const result = await generateText({ model, tools, prompt: "pay the invoices", stopWhen: stepCountIs(3) });
  const content = result.steps[0]?.content ?? [];
  const byId = (id: string) => content.find((c) => (c.type === "tool-result" || c.type === "tool-error") && c.toolCallId === id);
  assert.equal(byId("c1")?.type, "tool-result");
  const blocked = byId("c2");
  assert.equal(blocked?.type, "tool-error");
  assert.ok(blocked?.type === "tool-error" && blocked.error instanceof WardenBlockedError && blocked.error.code === "PAYEE_NOT_ALLOWED");
  assert.equal(byId("c3")?.type, "tool-result");
  assert.deepEqual(b.sent, [{ payee: "acme", amount: 50 }, { payee: "globex", amount: 1000 }], "mallory never paid; the large payment was capped");
  assert.equal(result.text, "done");
});

test("LangChain.js: a guarded tool invoked with a ToolCall returns a ToolMessage, or throws the block", async () => {
  const b = bank();
  const original = lcTool(b.pay, { name: "pay", description: "send a payment", schema: payArgs });
  const guarded = guardLangChainTool(original, { policy, agent: { id: "lc-agent" } });
  const ok = await guarded.invoke({ name: "pay", args: { payee: "globex", amount: 5000 }, id: "t1", type: "tool_call" });
  assert.equal(ok.content, "sent 1000 to globex");
  assert.equal(ok.tool_call_id, "t1");
  await assert.rejects(guarded.invoke({ name: "pay", args: { payee: "mallory", amount: 5 }, id: "t2", type: "tool_call" }), (e: unknown) => e instanceof WardenBlockedError && e.code === "PAYEE_NOT_ALLOWED");
  assert.deepEqual(b.sent, [{ payee: "globex", amount: 1000 }]);
  // the original tool is untouched
  assert.equal((await original.invoke({ payee: "mallory", amount: 1 })) as string, "sent 1 to mallory");
});

test("OpenAI Agents SDK: FunctionTool.invoke runs allowed calls; a blocked call reaches the model as error text", async () => {
  const b = bank();
  const pay = agentsTool({ name: "pay", description: "send a payment", parameters: payArgs, execute: guardAgentsExecute("pay", b.pay, { policy, agent: { id: "oa-agent" } }) });
  const ctx = new RunContext();
  assert.equal(await pay.invoke(ctx, JSON.stringify({ payee: "acme", amount: 7 })), "sent 7 to acme");
  const out = await pay.invoke(ctx, JSON.stringify({ payee: "mallory", amount: 7 }));
  assert.match(String(out), /PAYEE_NOT_ALLOWED/);
  assert.match(String(out), /mallory/);
  assert.deepEqual(b.sent, [{ payee: "acme", amount: 7 }]);
});
