// Prometheus view of the live anomaly models' memory (see domains/analytics/model-memory.ts):
// read from the service when scraped, so the ingest path does no metric work for it.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ModelMemoryStats } from '../domains/analytics/model-memory.js';

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
  const counter = (name: string, help: string, read: (s: ModelMemoryStats) => number) => {
    let seen = 0;
    return new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const now = read(stats());
        if (now > seen) this.inc(now - seen);
        seen = now;
      },
    });
  };
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
