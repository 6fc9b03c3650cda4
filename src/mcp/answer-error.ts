// The error a request is answered with, as the peer will read it. The SDK's McpError puts `MCP error <code>: ` in
// front of its message, and the receiving SDK puts it there again: an upstream error passed on as an McpError
// reached the agent as `MCP error -32000: MCP error -32000: …`. An AnswerError's message goes on the wire as it is.
import { McpError } from "@modelcontextprotocol/sdk/types.js";

export class AnswerError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "AnswerError";
  }
}

/** An error answer (an McpError or an AnswerError) as the AnswerError that passes it on unchanged; null for any other error. */
export function answerError(e: unknown): AnswerError | null {
  if (e instanceof AnswerError) return e;
  if (!(e instanceof McpError)) return null;
  const prefix = `MCP error ${e.code}: `;
  return new AnswerError(e.code, e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message, e.data);
}

/** The text of an error answer the agent's model may see: its message and its data (as JSON). */
export function errorTexts(e: AnswerError): Array<{ field: string; text: string }> {
  const out = [{ field: "error.message", text: e.message }];
  if (e.data !== undefined) {
    let text: string | undefined;
    try {
      text = JSON.stringify(e.data);
    } catch {
      text = String(e.data);
    }
    if (text !== undefined) out.push({ field: "error.data", text });
  }
  return out;
}
