// The read side of MCP's stdio framing (one JSON-RPC message per line) with a hand check of the message's
// envelope instead of the SDK's zod schema for every message. Swapped into the SDK's own stdio transports
// (which keep spawning, writing and closing), on the proxy's hot path: the zod parse was ~15 µs per message.
// A line too long to read is skipped to its end without being kept, and answered when it can be told what it was.
import { ErrorCode, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { isRecord } from "../policy/context.js";

/** The SDK's ReadBuffer, as its stdio transports use it. */
interface ReadBufferLike {
  append(chunk: Buffer): void;
  readMessage(): JSONRPCMessage | null;
  clear(): void;
}

/** As the SDK's default: a longer line is not read (it is skipped, see OversizeLine). */
export const MAX_LINE_BYTES = 10 * 1024 * 1024;

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

/**
 * A line longer than MAX_LINE_BYTES, skipped unread (only its top-level keys were looked at, as it went by): what
 * it was, when that could be told safely. `kind` null: it could not (`why` says why); nothing can be answered.
 */
export interface OversizeLine {
  bytes: number;
  kind: "request" | "notification" | "response" | null;
  /** The top-level id of a request or response. */
  id: string | number | null;
  method: string | null;
  why: string | null;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Longest top-level key kept (longer ones are none of `id`, `method`, `result`, `error`), and longest id or method read. */
const KEY_MAX = 16;
const VALUE_MAX = 1024;
const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;

/**
 * Reads the top-level keys of a JSON object going by in pieces, keeping nothing else: enough to tell a request
 * (`method` and `id`), a notification (`method`) and a response (`id` and `result` or `error`) apart, and to read
 * the id. Anything that makes that uncertain (not one object, an escaped key, a key twice) makes it unknown.
 */
class TopLevelKeys {
  bytes = 0;
  private problem: string | null = null;
  private started = false;
  private closed = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** depth 1: the next string is a key */
  private expectKey = false;
  private key: number[] | null = null;
  private keyLong = false;
  /** a top-level key read, waiting for its colon */
  private keyRead: string | null = null;
  /** `id` or `method`: its value is next */
  private want: string | null = null;
  private value: number[] | null = null;
  private valueString = false;
  private valueLong = false;
  private readonly counts = new Map<string, number>();
  private readonly values = new Map<string, string | null>();

  feed(buf: Buffer): void {
    this.bytes += buf.length;
    if (this.problem !== null) return;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i] as number;
      if (this.inString) {
        if (this.key !== null) {
          if (b === BACKSLASH) return this.fail("a top-level key holds an escape, so which key it is cannot be told without reading the whole line");
          if (b === QUOTE) {
            this.inString = false;
            this.keyRead = this.keyLong ? "" : Buffer.from(this.key).toString("utf8");
            this.key = null;
          } else if (this.key.length < KEY_MAX) this.key.push(b);
          else this.keyLong = true;
          continue;
        }
        if (this.value !== null) this.take(b);
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.value !== null) this.endValue();
        }
        continue;
      }
      if (isSpace(b)) {
        if (this.value !== null) this.endValue();
        continue;
      }
      if (this.closed) return this.fail("more follows the JSON object on the line");
      if (!this.started) {
        if (b !== 0x7b) return this.fail("it is not a JSON object");
        this.started = true;
        this.depth = 1;
        this.expectKey = true;
        continue;
      }
      if (this.want !== null && this.value === null) {
        // the first character of the value of `id` or `method`
        if (b === 0x7b || b === 0x5b) {
          this.values.set(this.want, null);
          this.want = null;
        } else {
          this.value = [];
          this.valueString = b === QUOTE;
          this.take(b);
          if (this.valueString) this.inString = true;
          continue;
        }
      }
      if (this.value !== null) {
        if (b !== 0x2c && b !== 0x7d && b !== 0x5d) {
          this.take(b);
          continue;
        }
        this.endValue();
      }
      switch (b) {
        case QUOTE:
          this.inString = true;
          if (this.depth === 1 && this.expectKey) {
            this.key = [];
            this.keyLong = false;
            this.expectKey = false;
          }
          break;
        case 0x3a: // :
          if (this.depth === 1 && this.keyRead !== null) {
            this.counts.set(this.keyRead, (this.counts.get(this.keyRead) ?? 0) + 1);
            if (this.keyRead === "id" || this.keyRead === "method") this.want = this.keyRead;
            this.keyRead = null;
          }
          break;
        case 0x2c: // ,
          if (this.depth === 1) this.expectKey = true;
          break;
        case 0x7b:
        case 0x5b:
          this.depth++;
          break;
        case 0x7d:
        case 0x5d:
          this.depth--;
          if (this.depth === 0) this.closed = true;
          break;
        default:
          break;
      }
    }
  }

  private take(b: number): void {
    const v = this.value as number[];
    if (v.length < VALUE_MAX) v.push(b);
    else this.valueLong = true;
  }

  private endValue(): void {
    this.values.set(this.want as string, this.valueLong ? null : Buffer.from(this.value as number[]).toString("utf8"));
    this.want = null;
    this.value = null;
    this.valueLong = false;
  }

  private fail(why: string): void {
    this.problem = why;
  }

  /** The line's end has come: what it was. */
  finish(): OversizeLine {
    const unknown = (why: string): OversizeLine => ({ bytes: this.bytes, kind: null, id: null, method: null, why });
    if (this.problem !== null) return unknown(this.problem);
    if (!this.closed) return unknown(this.started ? "the JSON object does not end on the line" : "the line is empty");
    const n = (k: string): number => this.counts.get(k) ?? 0;
    if (n("id") > 1 || n("method") > 1) return unknown("it has `id` or `method` more than once");
    const parsed = (k: string): unknown => {
      const raw = this.values.get(k);
      if (raw === null || raw === undefined) return undefined;
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return undefined;
      }
    };
    const method = parsed("method");
    const id = parsed("id");
    if (n("method") === 1 && typeof method !== "string") return unknown("its `method` is not a string");
    if (n("id") === 1 && !isId(id)) return unknown("its `id` is not a string or an integer");
    const base = { bytes: this.bytes, why: null };
    if (typeof method === "string") return n("id") === 1 ? { ...base, kind: "request", id: id as string | number, method } : { ...base, kind: "notification", id: null, method };
    if (n("id") === 1 && (n("result") > 0 || n("error") > 0)) return { ...base, kind: "response", id: id as string | number, method: null };
    return unknown("it is neither a request, a notification nor a response");
  }
}

/** How an oversize line is described in errors and logs. */
export function describeOversize(line: OversizeLine): string {
  const what = line.kind === "request" ? `request \`${line.method}\` (id ${JSON.stringify(line.id)})` : line.kind === "notification" ? `notification \`${line.method}\`` : line.kind === "response" ? `answer to request ${JSON.stringify(line.id)}` : "message";
  return `${line.kind === "response" ? "an" : "a"} ${what} of ${line.bytes} bytes, over the ${MAX_LINE_BYTES} bytes Warden reads in one line of MCP's stdio transport`;
}

const isSkipped = (x: Buffer | OversizeLine): x is OversizeLine => !Buffer.isBuffer(x);

export class LineReadBuffer implements ReadBufferLike {
  /** Whole lines not read yet (each Buffer ends with a line break) and skipped lines, in order. */
  private queue: Array<Buffer | OversizeLine> = [];
  /** The partial line after the queue's whole lines, in the pieces it arrived in, and its length. */
  private parts: Buffer[] = [];
  private tail = 0;
  /** The line being skipped, while its end has not come. */
  private skipping: TopLevelKeys | null = null;

  /**
   * `onBatch` gets the elements of a line that is a JSON array (a batch); without it such a line is refused like any
   * non-message. `onOversize` hears of every line skipped for its size, in its place among the messages; the answer
   * to one of our requests is also turned into an error answer to it (readMessage returns it). Without `onOversize`,
   * reading a skipped line that is not such an answer throws (as any line that is not a message does).
   */
  constructor(
    private readonly onBatch: ((elements: unknown[]) => void) | null = null,
    private readonly onOversize: ((line: OversizeLine) => void) | null = null,
  ) {}

  /** Never throws: a line too long is skipped to its end, keeping nothing of it. */
  append(chunk: Buffer): void {
    if (this.skipping === null && this.tail + chunk.length <= MAX_LINE_BYTES) {
      // no line in it can be too long
      this.push(chunk);
      return;
    }
    let data = chunk;
    while (data.length > 0) {
      const nl = data.indexOf(10);
      const line = nl < 0 ? data : data.subarray(0, nl);
      if (this.skipping === null && this.tail + line.length > MAX_LINE_BYTES) {
        // the partial line kept so far is the start of a line too long: skipped with the rest of it
        const skipping = new TopLevelKeys();
        for (const part of this.parts) skipping.feed(part);
        this.parts = [];
        this.tail = 0;
        this.skipping = skipping;
      }
      if (this.skipping !== null) {
        this.skipping.feed(line);
        if (nl < 0) return;
        this.queue.push(this.skipping.finish());
        this.skipping = null;
        data = data.subarray(nl + 1);
        continue;
      }
      // the rest of this chunk up to the next line that is too long, queued in one piece
      let end = nl < 0 ? data.length : nl + 1;
      while (end < data.length) {
        const next = data.indexOf(10, end);
        if ((next < 0 ? data.length : next) - end > MAX_LINE_BYTES) break;
        end = next < 0 ? data.length : next + 1;
      }
      this.push(data.subarray(0, end));
      data = data.subarray(end);
    }
  }

  /**
   * Queues bytes of whole lines and keeps the partial line after them as a list of pieces, joined once when its end
   * comes: concatenated on every chunk, a long line arriving in small chunks was copied again each time (a review
   * measured a legal 10 MiB line in 4 KiB chunks at 7 s of CPU), and searched again for its end.
   */
  private push(bytes: Buffer): void {
    const nl = bytes.lastIndexOf(10);
    if (nl < 0) {
      if (bytes.length > 0) this.parts.push(bytes);
      this.tail += bytes.length;
      return;
    }
    const whole = this.parts.length === 0 ? bytes.subarray(0, nl + 1) : Buffer.concat([...this.parts, bytes.subarray(0, nl + 1)]);
    this.queue.push(whole);
    this.parts = nl + 1 < bytes.length ? [bytes.subarray(nl + 1)] : [];
    this.tail = bytes.length - nl - 1;
  }

  /** The next whole line as a message (null: none yet). Throws for a line that is not one; the next call goes on. */
  readMessage(): JSONRPCMessage | null {
    for (;;) {
      const head = this.queue[0];
      if (head === undefined) return null;
      if (isSkipped(head)) {
        this.queue.shift();
        this.onOversize?.(head);
        // the answer to one of our requests: that request fails, rather than waiting for its timeout
        if (head.kind === "response") return { jsonrpc: "2.0", id: head.id as string | number, error: { code: ErrorCode.InternalError, message: `the answer to this request was dropped unread: ${describeOversize(head)}` } };
        if (this.onOversize === null) throw new Error(`a line was skipped unread: ${describeOversize(head)}`);
        continue;
      }
      const nl = head.indexOf(10);
      if (nl < 0) return null;
      const end = nl > 0 && head[nl - 1] === 13 ? nl - 1 : nl;
      const line = head.toString("utf8", 0, end);
      if (nl + 1 < head.length) this.queue[0] = head.subarray(nl + 1);
      else this.queue.shift();
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
    this.queue = [];
    this.parts = [];
    this.tail = 0;
    this.skipping = null;
  }
}

/** What the owner of a transport hears from its line buffer. */
export interface LineHooks {
  /** Who is on the other end, for messages (`agent`, `server`). */
  peer?: string;
  log?: (event: Record<string, unknown>) => void;
  /**
   * A line too long was skipped and nothing can be answered for it (it could not be told what it was): the session
   * cannot go on safely. Called once the messages before it have been delivered; without it the transport is
   * closed (after its onerror hears why).
   */
  fatal?: (error: Error) => void;
}

/**
 * Puts a LineReadBuffer into one of the SDK's stdio transports (before it starts). A batch read from the peer is
 * answered on the same transport with errors (batchRefusals), where the SDK's buffer gave no answer at all and
 * the peer waited for one. A line over the size limit (the SDK's buffer threw, and the transport closed without a
 * word) is skipped: a request in it is answered with an Invalid Request error by its id, the answer to one of our
 * requests fails that request, a notification is dropped; each is logged, and the session goes on. A line that
 * cannot be told apart is `fatal`. Returns false, leaving the SDK's own buffer, if the transport is not built as
 * expected (test/mcp-line-buffer.test.ts notices).
 */
export function useLineReadBuffer(transport: object, hooks: LineHooks = {}): boolean {
  const t = transport as { _readBuffer?: unknown; send?: unknown; onerror?: (e: Error) => void; close?: () => Promise<void> };
  const current = t._readBuffer as Partial<ReadBufferLike> | undefined;
  if (!current || typeof current.append !== "function" || typeof current.readMessage !== "function" || typeof current.clear !== "function") return false;
  const send = typeof t.send === "function" ? (t.send as (m: JSONRPCMessage) => Promise<void>).bind(transport) : null;
  const peer = hooks.peer ?? "peer";
  const log = hooks.log ?? (() => {});
  const oversize = (line: OversizeLine): void => {
    const what = describeOversize(line);
    if (line.kind === "request" && send !== null) {
      log({ level: "warn", msg: "message too long", from: peer, bytes: line.bytes, method: line.method, id: line.id, why: `${what}: dropped unread and answered with an error; nothing was run` });
      send({ jsonrpc: "2.0", id: line.id as string | number, error: { code: ErrorCode.InvalidRequest, message: `${what}: it was dropped unread and nothing was run. Send less in one message (large content by reference, such as a path or a URL)` } }).catch((e: unknown) => t.onerror?.(e as Error));
      return;
    }
    if (line.kind !== null) {
      log({ level: "warn", msg: "message too long", from: peer, bytes: line.bytes, method: line.method, id: line.id, why: line.kind === "response" ? `${what}: dropped unread; the request it answers fails with an error` : `${what}: dropped unread` });
      return;
    }
    const error = new Error(`the ${peer} sent ${what}, and it cannot be told what it was (${line.why}), so it cannot be answered; the session cannot go on safely`);
    log({ level: "error", msg: "message too long", from: peer, bytes: line.bytes, why: error.message });
    // after the messages read before it have been delivered (this runs while the transport reads them)
    queueMicrotask(() => {
      if (hooks.fatal) hooks.fatal(error);
      else {
        t.onerror?.(error);
        void t.close?.().catch(() => {});
      }
    });
  };
  t._readBuffer = new LineReadBuffer(
    send === null
      ? null
      : (elements) => {
          for (const m of batchRefusals(elements)) send(m).catch((e: unknown) => t.onerror?.(e as Error));
        },
    oversize,
  );
  return true;
}
