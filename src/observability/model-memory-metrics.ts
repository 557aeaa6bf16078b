// Prometheus view of the live anomaly models' memory (see domains/analytics/model-memory.ts):
// read from the service when scraped, so the ingest path does no metric work for it.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ModelMemoryStats } from '../domains/analytics/model-memory.js';
import type { DetectionWorkerStats } from '../domains/analytics/detection-worker-client.js';

export function registerModelMemoryMetrics(registry: Registry, stats: () => ModelMemoryStats): void {
  const gauge = (name: string, help: string, read: (s: ModelMemoryStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(stats()));
      },
    });
  // Monotonic totals kept by the service: exposed as counters by advancing them to its value.
  const counter = (name: string, help: string, read: (s: ModelMemoryStats) => number) => advancingCounter(registry, name, help, () => read(stats()));
  gauge('vigil_models_resident', 'Live anomaly models held in memory', (s) => s.residentModels);
  gauge('vigil_models_resident_bytes', 'Estimated heap bytes of the models held in memory', (s) => s.residentBytes);
  gauge('vigil_models_budget_bytes', 'Model memory budget (VIGIL_MODEL_MEMORY_BUDGET_MB)', (s) => s.budgetBytes);
  gauge('vigil_models_unsaved', 'Models with learning not yet written to storage', (s) => s.unsavedModels);
  counter('vigil_models_spilled_total', 'Models spilled from memory to storage (least recently seen, over budget)', (s) => s.spills);
  counter('vigil_models_reloaded_total', 'Spilled models loaded back when their series sent again', (s) => s.reloads);
  counter('vigil_models_saved_total', 'Model states written to storage', (s) => s.modelsSaved);
  counter(
    'vigil_models_unscored_points_total',
    'Points stored but not scored because their model was still loading and its queue was full',
    (s) => s.pendingPointsDropped,
  );
}

/** The detection worker's queue (see domains/analytics/detection-worker-client.ts), read when scraped. */
export function registerDetectionWorkerMetrics(registry: Registry, stats: () => DetectionWorkerStats): void {
  new Gauge({
    name: 'vigil_detection_backlog_points',
    help: 'Accepted points posted to the detection worker and not yet scored',
    registers: [registry],
    collect() {
      this.set(stats().backlogPoints);
    },
  });
  const counter = (name: string, help: string, read: (s: DetectionWorkerStats) => number) => advancingCounter(registry, name, help, () => read(stats()));
  counter('vigil_detection_skipped_points_total', 'Accepted points not scored because the detection worker was too far behind (VIGIL_DETECTION_MAX_BACKLOG_POINTS) or being restarted', (s) => s.skippedPoints);
  counter('vigil_detection_worker_restarts_total', 'Times the detection worker died and was started again', (s) => s.restarts);
}

/**
 * A counter that follows a total kept elsewhere, advanced to it when scraped. A total that went
 * down (its owner restarted, e.g. the detection worker) is followed from its new value on.
 */
function advancingCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = now;
    },
  });
}
