// Learned analytics state: per-series detector models (versioned) and remaining-useful-life
// models per device type.
export interface ModelRecord {
  tenantId: string;
  deviceId: string;
  key: string;
  kind: string;
  /** Increments on every retrain; periodic state saves keep the version. */
  version: number;
  state: unknown;
  /** Time range of the data the current version was trained on (epoch ms). */
  trainedFrom: number | null;
  trainedTo: number | null;
  points: number;
  updatedAt: number;
}

/** Names one series' model. */
export interface ModelKey {
  tenantId: string;
  deviceId: string;
  key: string;
}

/** A learned remaining-useful-life model for a device type, trained on run-to-failure histories. */
export interface RulModelRecord {
  tenantId: string;
  deviceType: string;
  keys: string[];
  /** Typical time between samples in the training histories: one RUL step. */
  stepMs: number;
  version: number;
  trainedAt: number;
  units: number;
  rows: number;
  state: unknown;
}

export interface ModelStore {
  init(): Promise<void>;
  saveModels(records: ModelRecord[]): Promise<void>;
  loadModels(): Promise<ModelRecord[]>;
  /** Every stored model without its state (`state: null`): what exists, cheap to hold in memory. */
  listModelSummaries(): Promise<ModelRecord[]>;
  /** The stored models of these series, with their state; a series without one is absent. */
  loadModelStates(keys: readonly ModelKey[]): Promise<ModelRecord[]>;
  /** Forgets the detector models of a deleted device (its alarms: AlarmStore.deleteDeviceAlarms). */
  deleteDeviceAnalytics(tenantId: string, deviceId: string): Promise<void>;
  putRulModel(model: RulModelRecord): Promise<void>;
  listRulModels(tenantId?: string): Promise<RulModelRecord[]>;
  deleteRulModel(tenantId: string, deviceType: string): Promise<boolean>;
}
