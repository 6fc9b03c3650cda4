// guardAiSdkTools() with a streaming tool: an `execute` that is an async generator (preliminary results) stays one,
// driven by the real `ai` package (generateText and streamText with its MockLanguageModelV3, no LLM). The guard
// decides on the first step; a stopped call is the SDK's tool-error and the generator body never runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateText, simulateReadableStream, stepCountIs, streamText, tool as aiTool } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { z } from "zod";
import { compilePolicy } from "../src/compile/compile.js";
import { guardAiSdkTools, WardenBlockedError } from "../src/guard/index.js";

const compiled = compilePolicy(`
id: streaming
version: "1"
default: BLOCK
tools: { report: read }
lists: { regions: [eu, us] }
rules:
  - { id: declared, match: { class: read }, verdict: ALLOW }
  - id: region-allowlist
    match: { tool: report }
    when: { field: args.region, not_in: { list: regions } }
    verdict: BLOCK
    code: REGION_NOT_ALLOWED
    message: "region \`{args.region}\` is not allowlisted"
  - id: cap-rows
    match: { tool: report }
    when: { field: args.rows, gt: 10 }
    verdict: MODIFY
    code: ROWS_CAPPED
    modify: [ { clamp: args.rows, max: 10 } ]
`);
assert.ok(compiled.ok, JSON.stringify(compiled.diagnostics));
const policy = compiled.policy;
type StreamPart = Awaited<ReturnType<MockLanguageModelV3["doStream"]>>["stream"] extends ReadableStream<infer P> ? P : never;
const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };

/** A report tool that streams its progress, as the AI SDK's preliminary tool results do. */
function reporter() {
  const started: unknown[] = [];
  const report = aiTool({
    description: "build a report",
    inputSchema: z.object({ region: z.string(), rows: z.number() }),
    async *execute(input: { region: string; rows: number }) {
      started.push(input);
      yield { status: "working", done: 0 };
      yield { status: "done", rows: input.rows, region: input.region };
    },
  });
  return { started, report };
}

const calls = [
  { type: "tool-call" as const, toolCallId: "ok", toolName: "report", input: JSON.stringify({ region: "eu", rows: 5 }) },
  { type: "tool-call" as const, toolCallId: "blocked", toolName: "report", input: JSON.stringify({ region: "mars", rows: 5 }) },
  { type: "tool-call" as const, toolCallId: "capped", toolName: "report", input: JSON.stringify({ region: "us", rows: 500 }) },
];

test("AI SDK generateText: a guarded async-generator tool returns its final result; the blocked call is a tool-error", async () => {
  const r = reporter();
  const tools = guardAiSdkTools({ report: r.report }, { policy });
  let step = 0;
  const model = new MockLanguageModelV3({
    doGenerate: async () => {
      step++;
      if (step > 1) return { content: [{ type: "text", text: "done" }], finishReason: { unified: "stop", raw: "stop" }, usage, warnings: [] };
      return { content: calls, finishReason: { unified: "tool-calls", raw: "tool_calls" }, usage, warnings: [] };
    },
  });
  const result = await generateText({ model, tools, prompt: "reports", stopWhen: stepCountIs(3) });
  const content = result.steps[0]?.content ?? [];
  const byId = (id: string) => content.find((c) => (c.type === "tool-result" || c.type === "tool-error") && c.toolCallId === id);
  const ok = byId("ok");
  assert.ok(ok?.type === "tool-result", JSON.stringify(ok));
  assert.deepEqual(ok.output, { status: "done", rows: 5, region: "eu" });
  const blocked = byId("blocked");
  assert.ok(blocked?.type === "tool-error" && blocked.error instanceof WardenBlockedError && blocked.error.code === "REGION_NOT_ALLOWED", String(blocked?.type === "tool-error" ? blocked.error : blocked?.type));
  const capped = byId("capped");
  assert.ok(capped?.type === "tool-result");
  assert.deepEqual(capped.output, { status: "done", rows: 10, region: "us" });
  assert.deepEqual(r.started, [{ region: "eu", rows: 5 }, { region: "us", rows: 10 }], "the blocked generator never started; the capped one got the modified input");
  assert.equal(result.text, "done");
});

test("AI SDK streamText: the guarded tool's preliminary results still stream before the final one", async () => {
  const r = reporter();
  const tools = guardAiSdkTools({ report: r.report }, { policy });
  let step = 0;
  const model = new MockLanguageModelV3({
    doStream: async () => {
      step++;
      const chunks: StreamPart[] =
        step > 1
          ? [{ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "done" }, { type: "text-end", id: "t" }, { type: "finish", finishReason: { unified: "stop", raw: "stop" }, usage }]
          : [calls[0]!, calls[1]!, { type: "finish", finishReason: { unified: "tool-calls", raw: "tool_calls" }, usage }];
      return { stream: simulateReadableStream({ chunks }) };
    },
  });
  const result = streamText({ model, tools, prompt: "reports", stopWhen: stepCountIs(3) });
  const parts: Array<{ type: string; id?: string; preliminary?: boolean; output?: unknown; error?: unknown }> = [];
  for await (const p of result.fullStream) {
    if (p.type === "tool-result") parts.push({ type: p.type, id: p.toolCallId, preliminary: p.preliminary === true, output: p.output });
    if (p.type === "tool-error") parts.push({ type: p.type, id: p.toolCallId, error: p.error });
    if (p.type === "error") throw p.error;
  }
  const ok = parts.filter((p) => p.id === "ok");
  assert.deepEqual(ok.map((p) => [p.preliminary, p.output]), [
    [true, { status: "working", done: 0 }],
    [true, { status: "done", rows: 5, region: "eu" }],
    [false, { status: "done", rows: 5, region: "eu" }],
  ]);
  const blocked = parts.filter((p) => p.id === "blocked");
  assert.equal(blocked.length, 1);
  assert.ok(blocked[0]?.type === "tool-error" && blocked[0].error instanceof WardenBlockedError && blocked[0].error.code === "REGION_NOT_ALLOWED");
  assert.equal(await result.text, "done");
  assert.deepEqual(r.started, [{ region: "eu", rows: 5 }]);
});

test("AI SDK generateText: a plain execute that returns an async iterable gets its last value as the final result", async () => {
  async function* progress(rows: number) {
    yield { status: "working" };
    yield { status: "done", rows };
  }
  const tools = guardAiSdkTools(
    { report: aiTool({ description: "build a report", inputSchema: z.object({ region: z.string(), rows: z.number() }), execute: (input: { region: string; rows: number }) => progress(input.rows) }) },
    { policy },
  );
  let step = 0;
  const model = new MockLanguageModelV3({
    doGenerate: async () => {
      step++;
      if (step > 1) return { content: [{ type: "text", text: "done" }], finishReason: { unified: "stop", raw: "stop" }, usage, warnings: [] };
      return { content: [calls[2]!], finishReason: { unified: "tool-calls", raw: "tool_calls" }, usage, warnings: [] };
    },
  });
  const result = await generateText({ model, tools, prompt: "reports", stopWhen: stepCountIs(3) });
  const out = result.steps[0]?.content.find((c) => c.type === "tool-result" || c.type === "tool-error");
  assert.ok(out?.type === "tool-result", String(out?.type === "tool-error" ? out.error : out?.type));
  assert.deepEqual(out.output, { status: "done", rows: 10 });
});
