// Where decisions go after they are made: a small seam so interception points work with or without an audit log.
import type { Decision } from "../types.js";

/** What a sink reports about itself for /healthz and /metrics. */
export interface SinkState {
  kind: string;
  ok: boolean;
  /** Records accepted so far. */
  size?: number;
  /** Records accepted but not yet durable (audit lag). */
  pending?: number;
  dropped?: number;
  lastError?: string | null;
}

/** Where a decision landed: its record id (`<log>:<seq>`) and inputHash, when the sink is a log that kept it. */
export interface SinkReceipt {
  record: string | null;
  inputHash: string | null;
}

/**
 * Records one decision. A rejected promise means the decision was NOT recorded: callers then fail closed.
 * A sink that can name the record returns a receipt (an approval outcome is bound to it later).
 */
export interface DecisionSink {
  append(action: unknown, decision: Decision): Promise<SinkReceipt | void>;
  state(): SinkState;
  close(): Promise<void>;
}

/** A sink that keeps decisions in memory (tests, `guard()` callers that want to inspect what happened). */
export class MemorySink implements DecisionSink {
  readonly entries: Array<{ action: unknown; decision: Decision }> = [];
  failWith: Error | null = null;

  async append(action: unknown, decision: Decision): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.entries.push({ action, decision });
  }

  state(): SinkState {
    return { kind: "memory", ok: this.failWith === null, size: this.entries.length, pending: 0, lastError: this.failWith?.message ?? null };
  }

  async close(): Promise<void> {}
}
