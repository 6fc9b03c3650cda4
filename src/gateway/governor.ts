// The shared enforcement core of every interception point: decide, count throttles, record, fail closed.
import type { CompiledPolicy } from "../compile/build.js";
import { decide, engineBlock, NO_POLICY_INFO } from "../engine/decide.js";
import { recordable } from "../engine/recordable.js";
import { MemoryThrottleStore } from "../engine/throttle-store.js";
import type { Decision } from "../types.js";
import type { DecisionSink, SinkReceipt } from "./sink.js";

export interface GovernorOptions {
  sink?: DecisionSink | null;
  throttle?: MemoryThrottleStore;
}


/**
 * Holds the running policy (swappable for hot reload), the throttle counters and the sink.
 * decide() and the throttle commit run synchronously together, so concurrent callers never both
 * spend the last slot of a budget.
 */
export class Governor {
  readonly throttle: MemoryThrottleStore;
  private current: CompiledPolicy | null;
  private readonly sink: DecisionSink | null;

  constructor(policy: CompiledPolicy | null, options: GovernorOptions = {}) {
    this.current = policy;
    this.sink = options.sink ?? null;
    this.throttle = options.throttle ?? new MemoryThrottleStore();
  }

  get policy(): CompiledPolicy | null {
    return this.current;
  }

  /** Swaps the running policy (already validated by the caller). Throttle counters carry over. */
  setPolicy(policy: CompiledPolicy): void {
    this.current = policy;
  }

  get recording(): DecisionSink | null {
    return this.sink;
  }

  /** Decides, counts the call against its budgets, and records; an unrecordable decision becomes a BLOCK. */
  async decide(action: unknown): Promise<Decision> {
    const d = this.decideNow(action);
    if (this.sink === null) return d;
    try {
      await this.sink.append(action, d);
    } catch (e) {
      return notRecorded(d, e);
    }
    return d;
  }

  /**
   * decide(), also returning where the decision was recorded (an ESCALATE'd call's outcome is bound to it) and
   * the sensitive fields of the policy that made it (a reload may swap the policy while the record is written).
   */
  async decideRecorded(action: unknown): Promise<{ decision: Decision; recorded: SinkReceipt | null; sensitive: readonly string[] }> {
    const sensitive = this.current?.ir.sensitive ?? [];
    const d = this.decideNow(action);
    if (this.sink === null) return { decision: d, recorded: null, sensitive };
    try {
      return { decision: d, recorded: (await this.sink.append(action, d)) ?? null, sensitive };
    } catch (e) {
      return { decision: notRecorded(d, e), recorded: null, sensitive };
    }
  }

  /**
   * Records a decision made elsewhere (an approval outcome) in the same sink as the decisions. Rejects when it
   * could not be recorded: the caller must then not act on it. Resolves null without a sink.
   */
  async record(action: unknown, decision: Decision): Promise<SinkReceipt | null> {
    if (this.sink === null) return null;
    return (await this.sink.append(action, decision)) ?? null;
  }

  private decideNow(action: unknown): Decision {
    try {
      let d = decide(this.current, action, { throttle: this.throttle });
      // Recorded decisions only: what the log cannot hold as decided is refused (before it counts against a budget).
      if (this.sink !== null) d = recordable(action, d);
      this.throttle.commit(d);
      return d;
    } catch (e) {
      // decide() never throws by contract; a fault anywhere here is still never a permission.
      return engineBlock(this.current?.info ?? NO_POLICY_INFO, "engine", "RUNTIME_ERROR", `internal error while deciding: ${errorText(e)}`);
    }
  }
}

/** Not recorded means not enforced as anything but a BLOCK (the audit sink decides whether it buffers). */
function notRecorded(d: Decision, e: unknown): Decision {
  return engineBlock(d.policy, "audit", "AUDIT_UNAVAILABLE", `the decision could not be recorded, so the action is blocked: ${errorText(e)}`);
}

export function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 300);
}
