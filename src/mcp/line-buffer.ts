// The read side of MCP's stdio framing (one JSON-RPC message per line) with a hand check of the message's
// envelope instead of the SDK's zod schema for every message. Swapped into the SDK's own stdio transports
// (which keep spawning, writing and closing), on the proxy's hot path: the zod parse was ~15 µs per message.
import { ErrorCode, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
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

/** Why a batch is refused: the message of each error answering it. */
export const BATCH_REFUSED =
  "JSON-RPC batches are not supported: MCP removed them (protocol 2025-06-18) and MCP's stdio transport never carried them; send each message on its own line. Nothing in the batch was run";

/**
 * The answers to a batch (a JSON array on one line): an Invalid Request error for each request in it, by its id,
 * each on its own line, since the SDK's readers (the agent's too, most likely) take no arrays. A batch with no
 * request to answer by id (empty, only notifications, or not messages at all) gets one error with id null.
 */
export function batchRefusals(elements: unknown[]): JSONRPCMessage[] {
  const out: JSONRPCMessage[] = [];
  for (const e of elements) {
    if (!isRecord(e) || typeof e["method"] !== "string" || !isId(e["id"])) continue;
    out.push({ jsonrpc: "2.0", id: e["id"] as string | number, error: { code: ErrorCode.InvalidRequest, message: BATCH_REFUSED } });
  }
  if (out.length === 0) out.push({ jsonrpc: "2.0", id: null, error: { code: ErrorCode.InvalidRequest, message: BATCH_REFUSED } } as unknown as JSONRPCMessage);
  return out;
}

export class LineReadBuffer implements ReadBufferLike {
  private buffer: Buffer | null = null;

  /** `onBatch` gets the elements of a line that is a JSON array (a batch); without it such a line is refused like any non-message. */
  constructor(private readonly onBatch: ((elements: unknown[]) => void) | null = null) {}

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
    for (;;) {
      const buf = this.buffer;
      if (buf === null) return null;
      const nl = buf.indexOf(10);
      if (nl < 0) return null;
      const end = nl > 0 && buf[nl - 1] === 13 ? nl - 1 : nl;
      const line = buf.toString("utf8", 0, end);
      this.buffer = nl + 1 < buf.length ? buf.subarray(nl + 1) : null;
      const message: unknown = JSON.parse(line);
      if (Array.isArray(message) && this.onBatch !== null) {
        // answered by the owner (with errors), then on to the next line
        this.onBatch(message);
        continue;
      }
      const problem = jsonRpcProblem(message);
      if (problem !== null) throw new Error(`not a JSON-RPC message (${problem}): ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`);
      return message as JSONRPCMessage;
    }
  }

  clear(): void {
    this.buffer = null;
  }
}

/**
 * Puts a LineReadBuffer into one of the SDK's stdio transports (before it starts). A batch read from the peer is
 * answered on the same transport with errors (batchRefusals), where the SDK's buffer gave no answer at all and
 * the peer waited for one. Returns false, leaving the SDK's own buffer, if the transport is not built as expected
 * (test/mcp-line-buffer.test.ts notices).
 */
export function useLineReadBuffer(transport: object): boolean {
  const t = transport as { _readBuffer?: unknown; send?: unknown; onerror?: (e: Error) => void };
  const current = t._readBuffer as Partial<ReadBufferLike> | undefined;
  if (!current || typeof current.append !== "function" || typeof current.readMessage !== "function" || typeof current.clear !== "function") return false;
  const send = typeof t.send === "function" ? (t.send as (m: JSONRPCMessage) => Promise<void>).bind(transport) : null;
  t._readBuffer = new LineReadBuffer(
    send === null
      ? null
      : (elements) => {
          for (const m of batchRefusals(elements)) send(m).catch((e: unknown) => t.onerror?.(e as Error));
        },
  );
  return true;
}
