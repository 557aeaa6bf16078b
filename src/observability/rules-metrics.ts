// Prometheus view of the rules consumer: how far it is behind the ingest log and how many firings
// wait to become alarms. Read when scraped, so the evaluation path does no metric work for it.
import { Counter, Gauge, type Registry } from 'prom-client';

export interface RulesStats {
  /** Telemetry batches accepted but not evaluated yet (0 when scaled out: each node owns partitions). */
  lagBatches: number;
  /** Firings queued to become (or clear) alarms. */
  pendingAlarms: number;
  /** Rule × point evaluations since start. */
  pointsEvaluated: number;
}

export function registerRulesMetrics(registry: Registry, stats: () => RulesStats): void {
  new Gauge({
    name: 'vigil_rules_lag_batches',
    help: 'Telemetry batches accepted but not yet evaluated by the rules (single node)',
    registers: [registry],
    collect() {
      this.set(stats().lagBatches);
    },
  });
  new Gauge({
    name: 'vigil_rules_pending_alarms',
    help: 'Rule firings and clearings queued to become alarm changes',
    registers: [registry],
    collect() {
      this.set(stats().pendingAlarms);
    },
  });
  let seen = 0;
  new Counter({
    name: 'vigil_rules_evaluations_total',
    help: 'Rule evaluations of a point (one point through one rule)',
    registers: [registry],
    collect() {
      const now = stats().pointsEvaluated;
      if (now > seen) this.inc(now - seen);
      seen = now;
    },
  });
}
