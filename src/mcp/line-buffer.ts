// The read side of MCP's stdio framing (one JSON-RPC message per line) with a hand check of the message's
// envelope instead of the SDK's zod schema for every message. Swapped into the SDK's own stdio transports
// (which keep spawning, writing and closing), on the proxy's hot path: the zod parse was ~15 µs per message.
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { isRecord } from "../policy/context.js";

/** The SDK's ReadBuffer, as its stdio transports use it. */
interface ReadBufferLike {
  append(chunk: Buffer): void;
  readMessage(): JSONRPCMessage | null;
  clear(): void;
}

/** As the SDK's default: a line longer than this is refused (and the buffer dropped). */
const MAX_BUFFER_BYTES = 10 * 1024 * 1024;

const isId = (v: unknown): boolean => typeof v === "string" || (typeof v === "number" && Number.isInteger(v));

/** What makes `v` not a JSON-RPC 2.0 request, notification or response (null: nothing). */
export function jsonRpcProblem(v: unknown): string | null {
  if (!isRecord(v)) return "not a JSON object";
  if (v["jsonrpc"] !== "2.0") return "`jsonrpc` is not \"2.0\"";
  if ("method" in v) {
    if (typeof v["method"] !== "string") return "`method` is not a string";
    if ("id" in v && !isId(v["id"])) return "`id` is not a string or an integer";
    if (v["params"] !== undefined && !isRecord(v["params"])) return "`params` is not an object";
    return null;
  }
  if ("result" in v) {
    if (!isId(v["id"])) return "a response's `id` is not a string or an integer";
    return isRecord(v["result"]) ? null : "`result` is not an object";
  }
  if ("error" in v) {
    if (v["id"] !== undefined && !isId(v["id"])) return "an error's `id` is not a string or an integer";
    const e = v["error"];
    return isRecord(e) && Number.isInteger(e["code"]) && typeof e["message"] === "string" ? null : "`error` is not {code, message}";
  }
  return "neither a request, a notification nor a response";
}

export class LineReadBuffer implements ReadBufferLike {
  private buffer: Buffer | null = null;

  append(chunk: Buffer): void {
    const size = (this.buffer?.length ?? 0) + chunk.length;
    if (size > MAX_BUFFER_BYTES) {
      this.clear();
      throw new Error(`a message line exceeds ${MAX_BUFFER_BYTES} bytes`);
    }
    this.buffer = this.buffer ? Buffer.concat([this.buffer, chunk]) : chunk;
  }

  /** The next whole line as a message (null: none yet). Throws for a line that is not one; the next call goes on. */
  readMessage(): JSONRPCMessage | null {
    const buf = this.buffer;
    if (buf === null) return null;
    const nl = buf.indexOf(10);
    if (nl < 0) return null;
    const end = nl > 0 && buf[nl - 1] === 13 ? nl - 1 : nl;
    const line = buf.toString("utf8", 0, end);
    this.buffer = nl + 1 < buf.length ? buf.subarray(nl + 1) : null;
    const message: unknown = JSON.parse(line);
    const problem = jsonRpcProblem(message);
    if (problem !== null) throw new Error(`not a JSON-RPC message (${problem}): ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`);
    return message as JSONRPCMessage;
  }

  clear(): void {
    this.buffer = null;
  }
}

/**
 * Puts a LineReadBuffer into one of the SDK's stdio transports (before it starts). Returns false, leaving the
 * SDK's own buffer, if the transport is not built as expected (test/mcp-line-buffer.test.ts notices).
 */
export function useLineReadBuffer(transport: object): boolean {
  const t = transport as { _readBuffer?: unknown };
  const current = t._readBuffer as Partial<ReadBufferLike> | undefined;
  if (!current || typeof current.append !== "function" || typeof current.readMessage !== "function" || typeof current.clear !== "function") return false;
  t._readBuffer = new LineReadBuffer();
  return true;
}
