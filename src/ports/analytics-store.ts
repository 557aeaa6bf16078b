// Analytics state: per-series detector models (versioned), alarms raised by analytics, and
// predictive-maintenance policies per device type.
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

/** 'rule': raised by a user-defined rule (details.ruleId names it). */
export type AlarmType = 'anomaly' | 'predicted_failure' | 'rule';
/** Active or cleared × unacknowledged or acknowledged (as ThingsBoard): the condition and the
 *  operator move independently; an alarm is done when it is CLEARED_ACK. */
export const ALARM_STATUSES = ['ACTIVE_UNACK', 'ACTIVE_ACK', 'CLEARED_UNACK', 'CLEARED_ACK'] as const;
export type AlarmStatus = (typeof ALARM_STATUSES)[number];
export type AlarmSeverity = 'critical' | 'major' | 'minor' | 'warning' | 'indeterminate';

export interface Alarm {
  id: string;
  tenantId: string;
  deviceId: string;
  type: AlarmType;
  key: string | null;
  severity: AlarmSeverity;
  status: AlarmStatus;
  /** Dismissed as a false alarm (then CLEARED_ACK): the models' precision signal. */
  dismissed: boolean;
  message: string;
  details: unknown;
  createdAt: number;
  updatedAt: number;
  acknowledgedAt: number | null;
  clearedAt: number | null;
}

/** What an update may change on an alarm (updatedAt always). */
export interface AlarmChange {
  status?: AlarmStatus;
  dismissed?: boolean;
  severity?: AlarmSeverity;
  acknowledgedAt?: number;
  clearedAt?: number;
  updatedAt: number;
}

export interface AlarmFilter {
  deviceId?: string;
  /** Any of these statuses. */
  statuses?: AlarmStatus[];
  dismissed?: boolean;
  type?: AlarmType;
  /** Rule alarms of this rule (details.ruleId). */
  ruleId?: string;
  /** Members of this incident (details.incidentId). */
  incidentId?: string;
  /** Only alarms that lead an incident (details.incidentId is their own id). */
  incidentLeaders?: boolean;
  severity?: AlarmSeverity;
  /** Raised at or after / before (epoch ms). */
  fromMs?: number;
  toMs?: number;
  offset: number;
  limit: number;
}

export interface AlarmFeedback {
  deviceId: string;
  key: string | null;
  /** Acknowledged as real (and not dismissed). */
  acknowledged: number;
  dismissed: number;
  /** Active and not yet acknowledged. */
  open: number;
  /** Every alarm raised for the series, whatever its status now. */
  raised: number;
}

export interface MaintenancePolicy {
  tenantId: string;
  deviceType: string;
  key: string;
  threshold: number;
  failWhen: 'above' | 'below' | null;
  horizonMs: number;
  windowMs: number;
  updatedAt: number;
}

/** A multivariate anomaly model across several keys of every device of a type. */
export interface DetectorPolicy {
  tenantId: string;
  deviceType: string;
  keys: string[];
  /** Points of normal operation the model trains on before it scores. */
  fitPoints: number;
  updatedAt: number;
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

export interface AnalyticsStore {
  init(): Promise<void>;
  saveModels(records: ModelRecord[]): Promise<void>;
  loadModels(): Promise<ModelRecord[]>;
  /** Every stored model without its state (`state: null`): what exists, cheap to hold in memory. */
  listModelSummaries(): Promise<ModelRecord[]>;
  /** The stored models of these series, with their state; a series without one is absent. */
  loadModelStates(keys: readonly ModelKey[]): Promise<ModelRecord[]>;
  deleteDeviceAnalytics(tenantId: string, deviceId: string): Promise<void>;
  createAlarm(alarm: Alarm): Promise<void>;
  getAlarm(tenantId: string, id: string): Promise<Alarm | null>;
  listAlarms(tenantId: string, filter: AlarmFilter): Promise<{ items: Alarm[]; total: number }>;
  updateAlarm(tenantId: string, id: string, change: AlarmChange): Promise<Alarm | null>;
  /** Per device and key: how users judged the anomaly alarms (precision signal). */
  alarmFeedback(tenantId: string, type: AlarmType): Promise<AlarmFeedback[]>;
  putPolicy(policy: MaintenancePolicy): Promise<void>;
  listPolicies(tenantId?: string): Promise<MaintenancePolicy[]>;
  deletePolicy(tenantId: string, deviceType: string): Promise<boolean>;
  putDetectorPolicy(policy: DetectorPolicy): Promise<void>;
  listDetectorPolicies(tenantId?: string): Promise<DetectorPolicy[]>;
  deleteDetectorPolicy(tenantId: string, deviceType: string): Promise<boolean>;
  putRulModel(model: RulModelRecord): Promise<void>;
  listRulModels(tenantId?: string): Promise<RulModelRecord[]>;
  deleteRulModel(tenantId: string, deviceType: string): Promise<boolean>;
}
