// Prometheus metrics of the sidecar: decisions by verdict and rule, decide latency, errors, reloads, audit lag.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Decision } from "../types.js";
import type { Governor } from "./governor.js";

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly decisions: Counter<"verdict">;
  private readonly rules: Counter<"verdict" | "rule" | "code">;
  private readonly latency: Histogram<"endpoint">;
  private readonly errors: Counter<"type">;
  private readonly reloads: Counter<"result">;

  constructor(governor: Governor) {
    const registers = [this.registry];
    this.decisions = new Counter({ name: "warden_decisions_total", help: "Decisions by enforced verdict", labelNames: ["verdict"], registers });
    this.rules = new Counter({ name: "warden_decision_reasons_total", help: "Reasons in decisions, by rule and code", labelNames: ["verdict", "rule", "code"], registers });
    this.latency = new Histogram({
      name: "warden_decide_duration_seconds",
      help: "Time to decide and record one action (request handling inside the server)",
      labelNames: ["endpoint"],
      buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1],
      registers,
    });
    this.errors = new Counter({ name: "warden_errors_total", help: "Rejected requests and internal errors, by type", labelNames: ["type"], registers });
    this.reloads = new Counter({ name: "warden_policy_reloads_total", help: "Policy reload attempts by result", labelNames: ["result"], registers });
    new Gauge({
      name: "warden_audit_lag_records",
      help: "Decisions accepted by the audit sink but not yet durable (0 without a sink)",
      registers,
      collect() {
        this.set(governor.recording?.state().pending ?? 0);
      },
    });
    new Gauge({
      name: "warden_audit_dropped_total",
      help: "Decisions the audit sink dropped (onFull=drop only)",
      registers,
      collect() {
        this.set(governor.recording?.state().dropped ?? 0);
      },
    });
    new Gauge({
      name: "warden_policy_info",
      help: "The running policy (value is always 1)",
      labelNames: ["id", "version", "hash"],
      registers,
      collect() {
        this.reset();
        const p = governor.policy;
        if (p) this.set({ id: p.info.id, version: p.info.version, hash: p.info.hash }, 1);
      },
    });
  }

  /**
   * Label-bound children, cached: `inc({labels})` hashes the label object on every call, which was a
   * measurable part of a request; the key sets are bounded (verdicts, the policy's rules and codes, two
   * endpoints), and a reload that brings new rules adds their children.
   */
  private readonly bound = new Map<string, { inc(): void }>();
  private readonly timers = new Map<string, { observe(v: number): void }>();

  private counter(key: string, make: () => { inc(): void }): { inc(): void } {
    let c = this.bound.get(key);
    if (c === undefined) this.bound.set(key, (c = make()));
    return c;
  }

  observe(d: Decision, seconds: number, endpoint: string): void {
    const verdict = d.verdict;
    this.counter(verdict, () => this.decisions.labels({ verdict })).inc();
    for (const r of d.reasons) this.counter(`${r.verdict}\0${r.rule}\0${r.code}`, () => this.rules.labels({ verdict: r.verdict, rule: r.rule, code: r.code })).inc();
    let h = this.timers.get(endpoint);
    if (h === undefined) this.timers.set(endpoint, (h = this.latency.labels({ endpoint })));
    h.observe(seconds);
  }

  error(type: string): void {
    this.errors.inc({ type });
  }

  reload(ok: boolean): void {
    this.reloads.inc({ result: ok ? "ok" : "rejected" });
  }
}
