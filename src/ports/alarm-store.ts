// Alarms raised by analytics (anomalies, predicted failures) and by rules: the current state of
// each alarm. Its history (status changes, comments) is the AlarmJournal's.
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

export interface AlarmStore {
  init(): Promise<void>;
  createAlarm(alarm: Alarm): Promise<void>;
  getAlarm(tenantId: string, id: string): Promise<Alarm | null>;
  listAlarms(tenantId: string, filter: AlarmFilter): Promise<{ items: Alarm[]; total: number }>;
  updateAlarm(tenantId: string, id: string, change: AlarmChange): Promise<Alarm | null>;
  /** Per device and key: how users judged the anomaly alarms (precision signal). */
  alarmFeedback(tenantId: string, type: AlarmType): Promise<AlarmFeedback[]>;
  /** Forgets every alarm of a deleted device. */
  deleteDeviceAlarms(tenantId: string, deviceId: string): Promise<void>;
}
