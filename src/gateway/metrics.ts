// Prometheus metrics of the sidecar: decisions by verdict and rule, decide latency, errors, reloads, audit lag.
import { Counter, Gauge, Registry } from "prom-client";
import { HotCounter, HotHistogram } from "./hot-metrics.js";
import type { Decision } from "../types.js";
import type { Governor } from "./governor.js";

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly decisions: HotCounter;
  private readonly rules: HotCounter;
  private readonly latency: HotHistogram;
  private readonly errors: Counter<"type">;
  private readonly reloads: Counter<"result">;

  constructor(governor: Governor) {
    const registers = [this.registry];
    this.decisions = new HotCounter(this.registry, "warden_decisions_total", "Decisions by enforced verdict");
    this.rules = new HotCounter(this.registry, "warden_decision_reasons_total", "Reasons in decisions, by rule and code");
    this.latency = new HotHistogram(
      this.registry,
      "warden_decide_duration_seconds",
      "Time to decide and record one action (request handling inside the server)",
      "endpoint",
      [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1],
    );
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

  observe(d: Decision, seconds: number, endpoint: string): void {
    const verdict = d.verdict;
    this.decisions.inc(verdict, () => ({ verdict }));
    for (const r of d.reasons) this.rules.inc(`${r.verdict}\0${r.rule}\0${r.code}`, () => ({ verdict: r.verdict, rule: r.rule, code: r.code }));
    this.latency.observe(endpoint, seconds);
  }

  error(type: string): void {
    this.errors.inc({ type });
  }

  reload(ok: boolean): void {
    this.reloads.inc({ result: ok ? "ok" : "rejected" });
  }
}
