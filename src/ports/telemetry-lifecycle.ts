// What happens to stored telemetry after it is written: today the one-minute rollups, folded
// in periodically; later retention tiers and archives. Separate from TelemetryStore (appends and
// queries) so those can grow here without widening the store every query path depends on.
export interface TelemetryLifecycle {
  /** Folds newly stored points into the pre-aggregated rollups (run periodically). */
  rollUp(): Promise<void>;
  /** Resolves once rollups are verified at start; until then aggregates read raw points. */
  whenRollupsReady(): Promise<void>;
}
