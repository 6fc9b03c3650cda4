// The agent's initialize, read before the real server is started: the proxy offers the real server exactly
// the client capabilities the agent has (sampling, roots, elicitation), so it must know them first.
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import { isInitializeRequest, type ClientCapabilities, type JSONRPCMessage, type MessageExtraInfo } from "@modelcontextprotocol/sdk/types.js";

/** The client capabilities the proxy passes on (it forwards these requests both ways; tasks are not governed, so not offered). */
export function forwardedCapabilities(agent: ClientCapabilities | undefined): ClientCapabilities {
  const out: ClientCapabilities = {};
  if (agent?.sampling) out.sampling = agent.sampling;
  if (agent?.roots) out.roots = agent.roots;
  if (agent?.elicitation) out.elicitation = agent.elicitation;
  return out;
}

/** The capabilities in an initialize request (null when the message is something else). */
export function initializeCapabilities(message: unknown): ClientCapabilities | null {
  return isInitializeRequest(message) ? message.params.capabilities : null;
}

/**
 * Wraps a transport so its first message can be read before a Server is connected to it: `open()` starts
 * the inner transport and resolves with the first message (null if it closed first); messages are buffered
 * until the Server's `connect()` calls `start()`, then replayed in order.
 */
export class FirstMessageTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  private readonly buffer: Array<[JSONRPCMessage, MessageExtraInfo | undefined]> = [];
  private attached = false;
  private closed = false;

  constructor(private readonly inner: Transport) {}

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  open(): Promise<JSONRPCMessage | null> {
    return new Promise((resolve, reject) => {
      this.inner.onmessage = (m, extra) => {
        if (this.attached) this.onmessage?.(m, extra);
        else this.buffer.push([m, extra]);
        resolve(m);
      };
      this.inner.onclose = () => {
        this.closed = true;
        resolve(null);
        if (this.attached) this.onclose?.();
      };
      this.inner.onerror = (e) => this.onerror?.(e);
      this.inner.start().catch(reject);
    });
  }

  async start(): Promise<void> {
    this.attached = true;
    for (const [m, extra] of this.buffer.splice(0)) this.onmessage?.(m, extra);
    if (this.closed) this.onclose?.();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
