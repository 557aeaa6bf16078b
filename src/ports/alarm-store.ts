// Alarms raised by analytics (anomalies, predicted failures) and by rules: the current state of
// each alarm. Its history (status changes, comments) is the AlarmJournal's.
/** 'rule': raised by a user-defined rule (details.ruleId names it). */
export type AlarmType = 'anomaly' | 'predicted_failure' | 'rule';
export type AlarmStatus = 'open' | 'acknowledged' | 'dismissed' | 'cleared';
export type AlarmSeverity = 'critical' | 'major' | 'minor' | 'warning' | 'indeterminate';

export interface Alarm {
  id: string;
  tenantId: string;
  deviceId: string;
  type: AlarmType;
  key: string | null;
  severity: AlarmSeverity;
  status: AlarmStatus;
  message: string;
  details: unknown;
  createdAt: number;
  updatedAt: number;
}

export interface AlarmFilter {
  deviceId?: string;
  status?: AlarmStatus;
  type?: AlarmType;
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
  acknowledged: number;
  dismissed: number;
  open: number;
  /** Every alarm raised for the series, whatever its status now. */
  raised: number;
}

export interface AlarmStore {
  init(): Promise<void>;
  createAlarm(alarm: Alarm): Promise<void>;
  getAlarm(tenantId: string, id: string): Promise<Alarm | null>;
  listAlarms(tenantId: string, filter: AlarmFilter): Promise<{ items: Alarm[]; total: number }>;
  setAlarmStatus(tenantId: string, id: string, status: AlarmStatus, at: number): Promise<Alarm | null>;
  /** Per device and key: how users judged the anomaly alarms (precision signal). */
  alarmFeedback(tenantId: string, type: AlarmType): Promise<AlarmFeedback[]>;
  /** Forgets every alarm of a deleted device. */
  deleteDeviceAlarms(tenantId: string, deviceId: string): Promise<void>;
}
